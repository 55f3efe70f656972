// bindSync then bind(cb) then close() at once; bindSync then unbind(cb) at once.
const { v5, sleep, port, which } = require("./lib.cjs")
const out = (...a) => console.log(which, ...a)
process.on("uncaughtException", (e) => out("UNCAUGHT", e.message))
;(async () => {
  { const [p1, p2] = [await port(), await port()]; const s = v5.socket("pull"); const ev = []
    s.on("error", (e) => ev.push("error:" + e.message))
    s.bindSync(`tcp://127.0.0.1:${p1}`)
    s.bind(`tcp://127.0.0.1:${p2}`, (e) => ev.push("cb:" + (e ? e.message : "ok")))
    s.close(); await sleep(300); out("bindSync; bind(cb); close:", ev.join(" | ")) }
  { const p1 = await port(); const s = v5.socket("pull"); const ev = []
    s.on("error", (e) => ev.push("error:" + e.message))
    s.bindSync(`tcp://127.0.0.1:${p1}`)
    s.unbind(`tcp://127.0.0.1:${p1}`, (e) => ev.push("unbind cb:" + (e ? e.message : "ok")))
    await sleep(300); out("bindSync; unbind(cb):", ev.join(" | ")); s.close() }
  { const p1 = await port(); const s = v5.socket("pull"); const ev = []
    s.on("error", (e) => ev.push("error:" + e.message))
    s.bindSync(`tcp://127.0.0.1:${p1}`)
    s.unbindSync(`tcp://127.0.0.1:${p1}`)
    await sleep(300); out("bindSync; unbindSync:", ev.join(" | ")); s.close() }
  process.exit()
})()
