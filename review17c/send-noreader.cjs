// A v5 PUSH sends 100k messages (no callbacks) to a connected v6 PULL that never reads.
const { v5, zmqjs, sleep, port, which } = require("./lib.cjs")
;(async () => {
  const p = await port()
  const pull = new zmqjs.Pull({ receiveHighWaterMark: 10 })
  await pull.bind(`tcp://127.0.0.1:${p}`)
  const push = v5.socket("push")
  push.on("error", (e) => console.log("error", e.message))
  push.connect(`tcp://127.0.0.1:${p}`)
  await sleep(200)
  const m0 = process.memoryUsage()
  const t0 = Date.now()
  for (let i = 0; i < 100000; i++) push.send(Buffer.alloc(64, i & 255))
  const t1 = Date.now()
  await sleep(1000)
  const m1 = process.memoryUsage()
  console.log(which, "send calls ms", t1 - t0, "heap MB delta", ((m1.heapUsed - m0.heapUsed) / 1e6).toFixed(1), "ab MB", ((m1.arrayBuffers - m0.arrayBuffers) / 1e6).toFixed(1), "queued", push._sendQueue ? push._sendQueue.length : push.sendQueue.length)
  // now read them all: every one arrives exactly once, in order
  let got = 0, bad = 0
  const t2 = Date.now()
  while (got < 100000) { const [m] = await Promise.race([pull.receive(), sleep(3000).then(() => [null])]); if (!m) break; if (m[0] !== (got & 255)) bad++; got++ }
  console.log(which, "read", got, "out of order", bad, "ms", Date.now() - t2)
  push.setsockopt(17, 0); push.close(); pull.close()
})()
