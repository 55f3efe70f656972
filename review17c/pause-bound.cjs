// Paused v5 PULL flooded with 16 KiB messages for 3 s: does the peer stall (backpressure) and
// does the v5 side's memory stay bounded?
const { v5, zmqjs, sleep, port, which } = require("./lib.cjs")
;(async () => {
  const p = await port()
  const pull = v5.socket("pull")
  let n = 0
  pull.on("message", () => { n++ })
  await new Promise((r) => pull.bind(`tcp://127.0.0.1:${p}`, r))
  pull.pause()
  const push = new zmqjs.Push({ sendHighWaterMark: 10, linger: 0 })
  push.connect(`tcp://127.0.0.1:${p}`)
  let sent = 0, stop = false
  const body = Buffer.alloc(16384)
  const sender = (async () => { while (!stop) { await push.send(body); sent++ } })().catch(() => {})
  const base = process.memoryUsage()
  for (let i = 0; i < 6; i++) { await sleep(500); const m = process.memoryUsage(); console.log(which, "sent", sent, "emitted", n, "rss MB", (m.rss / 1e6).toFixed(0), "ab MB", (m.arrayBuffers / 1e6).toFixed(0)) }
  pull.resume()
  await sleep(1000)
  stop = true
  console.log(which, "after resume emitted", n, "sent", sent)
  push.close(); pull.setsockopt(17, 0); pull.close()
})()
