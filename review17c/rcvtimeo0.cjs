// ZMQ_RCVTIMEO 0 on a v5 socket with nothing to read: does the event loop still turn?
const { v5, sleep, which } = require("./lib.cjs")
const s = v5.socket(process.argv[3] || "pull")
let errors = 0
s.on("error", () => errors++)
s.setsockopt(v5.ZMQ_RCVTIMEO, Number(process.argv[4] ?? 0))
let ticks = 0
const iv = setInterval(() => ticks++, 10)
setTimeout(() => { console.log(which, "timer ran: ticks", ticks, "errors", errors); clearInterval(iv); s.close() }, 500)
