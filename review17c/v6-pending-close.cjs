// v6: a send pending at the HWM when close() is called, linger -1 / 0: what becomes of its promise?
const { v6, zmqjs, sleep, port, which } = require("./lib.cjs")
;(async () => {
  for (const linger of [-1, 0, 100]) {
    const p = await port()
    const pull = new zmqjs.Pull({ receiveHighWaterMark: 1 }); await pull.bind(`tcp://127.0.0.1:${p}`)
    const push = new v6.Push({ sendHighWaterMark: 1, linger }); push.connect(`tcp://127.0.0.1:${p}`)
    await sleep(100)
    let state = "pending"
    for (;;) { const pr = push.send(Buffer.alloc(1000)); const r = await Promise.race([pr.then(() => true), sleep(50).then(() => false)]); if (!r) { pr.then(() => (state = "resolved"), (e) => (state = "rejected " + e.code)); break } }
    await sleep(50)
    push.close()
    await sleep(300)
    console.log(which, "linger", linger, "pending send after close:", state)
    pull.close()
  }
  process.exit()
})()
