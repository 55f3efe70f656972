// Re-entrancy through callbacks and events, the same script on both v5 layers.
const { v5, zmqjs, sleep, port, which } = require("./lib.cjs")
const out = (...a) => console.log(which, ...a)
process.on("unhandledRejection", (e) => out("UNHANDLED REJECTION", e && e.message))
process.on("uncaughtException", (e) => out("UNCAUGHT", e && e.message))
async function pair(t1, t2) {
  const p = await port(); const a = v5.socket(t1); const b = v5.socket(t2)
  await new Promise((r) => a.bind(`tcp://127.0.0.1:${p}`, r)); b.connect(`tcp://127.0.0.1:${p}`); return [a, b]
}
;(async () => {
  { // close() inside "message" with many queued
    const [pull, push] = await pair("pull", "push")
    let n = 0, errs = 0
    pull.on("error", (e) => { errs++; out("close-in-message error", e.code, e.message) })
    pull.on("message", () => { n++; if (n === 1) pull.close() })
    for (let i = 0; i < 1000; i++) push.send("x")
    await sleep(500)
    out("close-in-message: messages emitted", n, "errors", errs, "closed", pull.closed)
    push.setsockopt(17, 0); push.close()
  }
  { // send() inside send callback, chained 1000 deep
    const [pull, push] = await pair("pull", "push")
    let n = 0, cbs = 0
    pull.on("message", () => n++)
    const go = (i) => push.send(String(i), 0, (e) => { cbs++; if (e) out("cb err", e.message); if (i < 1000) go(i + 1) })
    go(1)
    await sleep(1000)
    out("send-in-callback: callbacks", cbs, "received", n)
    push.setsockopt(17, 0); push.close(); pull.close()
  }
  { // removeAllListeners inside message; then later messages?
    const [pull, push] = await pair("pull", "push")
    let n = 0
    pull.on("message", () => { n++; pull.removeAllListeners() })
    for (let i = 0; i < 100; i++) push.send("x")
    await sleep(300)
    out("removeAll-in-message: seen", n)
    pull.on("message", () => n++)
    push.send("y")
    await sleep(300)
    out("removeAll-in-message then new listener: seen", n)
    push.setsockopt(17, 0); push.close(); pull.close()
  }
  { // pause()/resume() inside each message
    const [pull, push] = await pair("pull", "push")
    let n = 0
    const seen = []
    pull.on("message", (m) => { n++; seen.push(+m.toString()); pull.pause(); pull.resume() })
    for (let i = 0; i < 2000; i++) push.send(String(i))
    await sleep(1500)
    let inorder = seen.every((v, i) => v === i)
    out("pause-resume-in-message: seen", n, "in order", inorder, "unique", new Set(seen).size)
    push.setsockopt(17, 0); push.close(); pull.close()
  }
  { // pause inside message, resume from a timer, a few times
    const [pull, push] = await pair("pull", "push")
    const seen = []
    pull.on("message", (m) => { seen.push(+m.toString()); pull.pause(); setTimeout(() => pull.resume(), 1) })
    for (let i = 0; i < 300; i++) push.send(String(i))
    await sleep(2500)
    out("pause-in-message-resume-timer: seen", seen.length, "in order", seen.every((v, i) => v === i), "unique", new Set(seen).size)
    push.setsockopt(17, 0); push.close(); pull.close()
  }
  { // monitor handler that closes the socket on "connect"
    const p = await port()
    const pull = v5.socket("pull"); await new Promise((r) => pull.bind(`tcp://127.0.0.1:${p}`, r))
    const push = v5.socket("push")
    const ev = []
    for (const e of ["connect", "connect_delay", "connect_retry", "close", "disconnect", "error"]) push.on(e, (v, a, err) => { ev.push(e); if (e === "connect") push.close() })
    push.monitor()
    push.connect(`tcp://127.0.0.1:${p}`)
    await sleep(500)
    out("monitor-close-on-connect: events", ev.join(","), "closed", push.closed)
    pull.close()
  }
  { // monitor then close immediately
    const push = v5.socket("push")
    const ev = []
    for (const e of ["close", "disconnect", "error", "end"]) push.on(e, () => ev.push(e))
    push.monitor(); push.close()
    await sleep(300)
    out("monitor-then-close: events", ev.join(","))
  }
  await sleep(200)
  out("done")
})()
