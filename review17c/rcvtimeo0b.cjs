// ZMQ_RCVTIMEO 0 (or 1) on a v5 PULL, after one message arrives: the loop's next receive times out
// at once, each time: does the event loop still turn, and how many "error" events?
const { v5, zmqjs, sleep, port, which } = require("./lib.cjs")
;(async () => {
  const p = await port()
  const s = v5.socket("pull")
  let errors = 0, msgs = 0
  s.on("error", () => errors++)
  s.on("message", () => msgs++)
  s.setsockopt(v5.ZMQ_RCVTIMEO, Number(process.argv[3] ?? 0))
  await new Promise((r) => s.bind(`tcp://127.0.0.1:${p}`, r))
  const push = new zmqjs.Push(); push.connect(`tcp://127.0.0.1:${p}`)
  await push.send("one")
  let ticks = 0
  const iv = setInterval(() => ticks++, 10)
  setTimeout(() => { console.log(which, "timer ran: ticks", ticks, "msgs", msgs, "errors", errors, "heap MB", (process.memoryUsage().heapUsed / 1e6).toFixed(0)); clearInterval(iv); push.close(); s.close() }, 1000)
})()
