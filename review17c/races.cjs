// Close and reconnect races.
const { v5, zmqjs, sleep, port, which } = require("./lib.cjs")
const out = (...a) => console.log(which, ...a)
process.on("unhandledRejection", (e) => out("UNHANDLED REJECTION", e && e.message))
process.on("uncaughtException", (e) => out("UNCAUGHT", e && e.message))
const listening = (p) => new Promise((res) => { const c = require("net").connect(p, "127.0.0.1"); c.on("connect", () => { c.destroy(); res(true) }); c.on("error", () => res(false)) })
;(async () => {
  { const p = await port(); const s = v5.socket("rep"); const ev = []
    s.on("error", (e) => ev.push("error:" + e.message)); s.on("bind", () => ev.push("bind"))
    s.bind(`tcp://127.0.0.1:${p}`, (e) => ev.push("cb:" + (e ? e.message : "ok"))); s.close()
    await sleep(300); out("bind(cb);close:", ev.join(" | "), "port listening after:", await listening(p)) }
  { const p = await port(); const s = v5.socket("rep"); const ev = []
    s.on("error", (e) => ev.push("error:" + e.message))
    try { s.bindSync(`tcp://127.0.0.1:${p}`) } catch (e) { ev.push("throw:" + e.message) }
    s.close(); await sleep(300); out("bindSync;close:", ev.join(" | "), "listening after:", await listening(p)) }
  { const p = await port(); const s = v5.socket("rep"); const ev = []
    s.on("error", (e) => ev.push("error:" + e.message))
    s.bindSync(`tcp://127.0.0.1:${p}`)
    try { s.bindSync(`tcp://127.0.0.1:${p}`) } catch (e) { ev.push("throw2:" + e.message) }
    await sleep(300); out("bindSync twice same port:", ev.join(" | ")); s.close() }
  { const p = await port(); const s = v5.socket("rep"); const ev = []
    s.on("error", (e) => ev.push("error:" + e.message))
    s.bindSync(`tcp://127.0.0.1:${p}`)
    out("bindSync last_endpoint immediately:", JSON.stringify(s.last_endpoint))
    const req = v5.socket("req"); req.connect(`tcp://127.0.0.1:${p}`)
    s.on("message", (m) => s.send("re:" + m)); req.on("message", (m) => ev.push("reply:" + m)); req.send("hi")
    await sleep(300); out("bindSync then req:", ev.join(" | ")); s.close(); req.close() }
  { // unbind while peers connect
    const p = await port(); const s = v5.socket("pull"); const ev = []
    s.on("error", (e) => ev.push("error:" + e.message)); s.on("message", (m) => ev.push("msg:" + m))
    await new Promise((r) => s.bind(`tcp://127.0.0.1:${p}`, r))
    const pushes = []
    for (let i = 0; i < 5; i++) { const q = v5.socket("push"); q.connect(`tcp://127.0.0.1:${p}`); q.send("p" + i); pushes.push(q) }
    s.unbind(`tcp://127.0.0.1:${p}`, (e) => ev.push("unbind-cb:" + (e ? e.message : "ok")))
    await sleep(500)
    out("unbind while connecting:", ev.filter((x) => !x.startsWith("msg")).join(" | "), "msgs", ev.filter((x) => x.startsWith("msg")).length, "listening", await listening(p))
    for (const q of pushes) { q.setsockopt(17, 0); q.close() } s.close() }
  { // bind(cb) twice at once
    const p = await port(); const p2 = await port(); const s = v5.socket("pull"); const ev = []
    s.on("error", (e) => ev.push("error:" + e.message))
    s.bind(`tcp://127.0.0.1:${p}`, (e) => ev.push("cb1:" + (e ? e.message : "ok")))
    try { s.bind(`tcp://127.0.0.1:${p2}`, (e) => ev.push("cb2:" + (e ? e.message : "ok"))) } catch (e) { ev.push("throw2:" + e.message) }
    await sleep(300); out("bind twice at once:", ev.join(" | ")); s.close() }
  { // REQ whose REP restarts
    const p = await port(); const ev = []
    let rep = new zmqjs.Reply(); await rep.bind(`tcp://127.0.0.1:${p}`)
    const req = v5.socket("req"); req.setsockopt(18, 50)
    req.on("message", (m) => ev.push("reply:" + m)); req.on("error", (e) => ev.push("error:" + e.message))
    req.connect(`tcp://127.0.0.1:${p}`)
    req.send("one", 0, (e) => ev.push("cb1:" + (e ? e.message : "ok")))
    await rep.receive(); rep.close() // never replies
    await sleep(200)
    rep = new zmqjs.Reply(); await rep.bind(`tcp://127.0.0.1:${p}`)
    req.send("two", 0, (e) => ev.push("cb2:" + (e ? e.message : "ok")))
    const r = await Promise.race([rep.receive().then((m) => "rep got " + m), sleep(1000).then(() => "rep got nothing")])
    ev.push(r)
    await sleep(200)
    out("REQ with restarted REP:", ev.join(" | ")); req.setsockopt(17, 0); req.close(); rep.close() }
  await sleep(100); out("done")
})()
