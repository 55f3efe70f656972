const { v6, zmqjs, sleep, port, which } = require("./lib.cjs")
;(async () => {
  const p = await port(); const pull = new zmqjs.Pull(); await pull.bind(`tcp://127.0.0.1:${p}`)
  const push = new v6.Push(); push.connect(`tcp://127.0.0.1:${p}`)
  try { await push.send([]); console.log(which, "v6 send([]) resolved") } catch (e) { console.log(which, "v6 send([]) rejected", e.code, e.message) }
  await push.send("x")
  const m = await pull.receive(); console.log(which, "got", m.map(String))
  push.close(); pull.close()
  // pending-send-then-close message
  const p2 = await port(); const pl = new zmqjs.Pull({ receiveHighWaterMark: 1 }); await pl.bind(`tcp://127.0.0.1:${p2}`)
  const { v5 } = require("./lib.cjs")
  const s = v5.socket("push"); s.setsockopt(v5.ZMQ_SNDHWM, 1); s.connect(`tcp://127.0.0.1:${p2}`)
  await sleep(100)
  let last
  for (let i = 0; i < 20000; i++) s.send(Buffer.alloc(1000), 0, (e) => { last = e ? e.code + ":" + e.message : "ok" })
  await sleep(300); s.setsockopt(17, 0); s.close(); await sleep(200)
  console.log(which, "in-flight cb at close:", last)
  pl.close()
})()
