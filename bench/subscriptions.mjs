#!/usr/bin/env node
// Issue 16 item 3: a PUB's throughput with 10,000 subscriptions against its throughput with one, for
// zmtp (this checkout's dist/) and zeromq.js, in the same run. One SUB in the same process over tcp
// subscribes to 9,999 topics that never match ("topic-00000" ...) plus "match"; the PUB sends 16 B
// messages starting with "match". A raw `net` baseline has no subscriptions to match, so it has no
// row here. Prints msgs/s (median of 7 rounds after a warm-up round, interleaved) and the 10,000 / 1 ratio per library.
//   npx tsup && node bench/subscriptions.mjs [--count 300000]
const root = new URL("..", import.meta.url).pathname
const zmtp = await import(root + "dist/index.js")
const zeromq = await import("zeromq")
const argv = process.argv.slice(2)
const N = Number(argv[argv.indexOf("--count") + 1] || 300_000) || 300_000
const ROUNDS = 7
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function run(lib, nSubs) {
  const pub = new lib.Publisher({ sendHighWaterMark: 100_000 })
  await pub.bind("tcp://127.0.0.1:*")
  // A SUB drops subscriptions past its send HWM (libzmq does too): room for all 10,000.
  // zeromq.js's Subscriber has no sendHighWaterMark property: ZMQ_SNDHWM (23) by number, in both.
  const sub = new lib.Subscriber({ receiveHighWaterMark: 100_000 })
  sub.setInt32Option(23, 100_000)
  for (let i = 0; i < nSubs - 1; i++) sub.subscribe(`topic-${String(i).padStart(5, "0")}`)
  sub.subscribe("match")
  sub.connect(pub.lastEndpoint)
  // Wait until every subscription reached the publisher: the last one sent is "match".
  sub.receiveTimeout = 20
  for (;;) {
    await pub.send("match-sync")
    try {
      await sub.receive()
      break
    } catch {
      await sleep(5)
    }
  }
  sub.receiveTimeout = -1
  const msg = Buffer.from("match-0123456789") // 16 B
  let got = 0
  const reader = (async () => {
    for await (const _ of sub) if (++got >= N) break
  })()
  const t0 = process.hrtime.bigint()
  // A turn of the event loop every 1,024 sends, so that the SUB in this process reads and nothing is dropped.
  for (let i = 0; i < N; i++) {
    await pub.send(msg)
    if ((i & 1023) === 0) await new Promise((r) => setImmediate(r))
  }
  await reader
  const rate = N / (Number(process.hrtime.bigint() - t0) / 1e9)
  pub.close()
  sub.close()
  return rate
}

const libs = process.env.ONLY_ZMTP ? { zmtp } : { zmtp, "zeromq.js": zeromq }
const rates = Object.fromEntries(Object.keys(libs).map((k) => [k, { 1: [], 10000: [] }]))
// Round 0 warms the JIT up and is not counted.
for (let round = 0; round <= ROUNDS; round++) {
  for (const [name, lib] of Object.entries(libs)) {
    for (const n of [1, 10000]) {
      const r = await run(lib, n)
      if (round > 0) rates[name][n].push(r)
    }
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
const fmt = (r) => `${(r / 1000).toFixed(0)}k`
console.log(`PUB -> SUB 16 B, ${N} messages, median of ${ROUNDS} rounds after a warm-up round (${new Date().toISOString().slice(0, 16)}, Node ${process.version})`)
console.log("| library | 1 subscription msgs/s | 10,000 subscriptions msgs/s | 10,000 / 1 |")
console.log("| --- | ---: | ---: | ---: |")
for (const name of Object.keys(libs)) {
  const a = med(rates[name][1])
  const b = med(rates[name][10000])
  console.log(`| ${name} | ${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(2)}× |`)
}
if (process.env.ONLY_ZMTP) process.exit(0)
const z1 = med(rates.zmtp[1])
const j1 = med(rates["zeromq.js"][1])
console.log(`zmtp / zeromq.js with one subscription: ${(z1 / j1).toFixed(2)}×; with 10,000: ${(med(rates.zmtp[10000]) / med(rates["zeromq.js"][10000])).toFixed(2)}×`)
process.exit(0)
