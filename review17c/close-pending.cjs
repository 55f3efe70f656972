// A v5 PUSH blocked at its HWM (peer not reading), sends queued without callbacks, no "error"
// listener: close() it. zeromq.js: nothing happens. Does zmtp throw an unhandled "error" event?
const { v5, zmqjs, sleep, port, which } = require("./lib.cjs")
process.on("uncaughtException", (e) => { console.log(which, "UNCAUGHT", e.code, e.message); process.exitCode = 1 })
;(async () => {
  const p = await port()
  const pull = new zmqjs.Pull({ receiveHighWaterMark: 1 }); await pull.bind(`tcp://127.0.0.1:${p}`)
  const push = v5.socket("push")
  push.setsockopt(v5.ZMQ_SNDHWM, 1)
  push.connect(`tcp://127.0.0.1:${p}`)
  await sleep(100)
  for (let i = 0; i < 20000; i++) push.send(Buffer.alloc(1000))
  await sleep(300)
  push.setsockopt(v5.ZMQ_LINGER, Number(process.argv[3] ?? -1) === -1 ? -1 : Number(process.argv[3]))
  push.close()
  await sleep(300)
  console.log(which, "after close: ok"); if (Number(process.argv[3] ?? -1) === -1) process.exit()
  pull.close()
})()
