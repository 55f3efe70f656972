// A v5 PULL with a "message" listener, flooded by a zeromq.js v6 PUSH; pause() in the first
// message: how many "message" events still arrive after pause()? Then resume: all arrive?
const { v5, zmqjs, sleep, port, which } = require("./lib.cjs")
;(async () => {
  const p = await port()
  const pull = v5.socket("pull")
  let n = 0, afterPause = 0, paused = false
  pull.on("message", () => { n++; if (paused) afterPause++; if (n === 1) { pull.pause(); paused = true } })
  await new Promise((r) => pull.bind(`tcp://127.0.0.1:${p}`, r))
  const push = new zmqjs.Push({ sendHighWaterMark: 1000, linger: 0 })
  push.connect(`tcp://127.0.0.1:${p}`)
  const N = 20000
  let sent = 0
  const sender = (async () => { for (let i = 0; i < N; i++) { await push.send(Buffer.alloc(100)); sent++ } })()
  await sleep(1500)
  console.log(which, "received", n, "emitted after pause", afterPause, "sent by peer", sent)
  paused = false
  pull.resume()
  await Promise.race([sender, sleep(5000)])
  await sleep(500)
  console.log(which, "after resume received", n, "of", N, "sent", sent)
  push.close(); pull.setsockopt(17, 0); pull.close()
})()
