// Rough check of issue 16 item 3: a PUB's throughput with 10,000 subscriptions vs one (same process, tcp).
import { Publisher, Subscriber } from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function run(nSubs: number): Promise<number> {
  const pub = new Publisher({ sendHighWaterMark: 100_000 }); await pub.bind("tcp://127.0.0.1:*")
  const sub = new Subscriber({ receiveHighWaterMark: 100_000 })
  for (let i = 0; i < nSubs - 1; i++) sub.subscribe(`topic-${String(i).padStart(5, "0")}`)
  sub.subscribe("match")
  sub.connect(pub.lastEndpoint!)
  sub.receiveTimeout = 20
  for (;;) { await pub.send("match-sync"); try { await sub.receive(); break } catch {} }
  sub.receiveTimeout = -1
  const N = 300_000
  const msg = Buffer.from("match-0123456789") // 16 B
  let got = 0
  const reader = (async () => { for await (const _ of sub) { if (++got >= N) break } })()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < N; i++) { await pub.send(msg); if ((i & 1023) === 0) await new Promise((r) => setImmediate(r)) }
  await reader
  const dt = Number(process.hrtime.bigint() - t0) / 1e9
  pub.close(); sub.close()
  return N / dt
}
const r1 = [], r10k = []
for (let k = 0; k < 3; k++) { r1.push(await run(1)); r10k.push(await run(10_000)) }
const med = (a: number[]) => a.sort((x, y) => x - y)[1]!
console.log(`1 subscription: ${Math.round(med(r1))} msg/s; 10,000 subscriptions: ${Math.round(med(r10k))} msg/s; ratio ${(med(r10k) / med(r1)).toFixed(2)}`)
