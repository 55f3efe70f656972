// SNDMORE sequences, other flags, invalid message types.
const { v5, zmqjs, sleep, port, which } = require("../review17c/lib.cjs")
const out = (...a) => console.log(which, ...a)
process.on("unhandledRejection", (e) => out("UNHANDLED REJECTION", e && e.message))
process.on("uncaughtException", (e) => out("UNCAUGHT", e && e.message))
async function rig() {
  const p = await port(); const pull = new (require("../dist/index.cjs").Pull)(); await pull.bind(`tcp://127.0.0.1:${p}`)
  const push = v5.socket("push"); push.connect(`tcp://127.0.0.1:${p}`)
  const ev = []; push.on("error", (e) => ev.push("error:" + (e.code || "") + ":" + e.message))
  const recv = async (n) => { const got = []; for (let i = 0; i < n; i++) { const m = await Promise.race([pull.receive(), sleep(500).then(() => null)]); if (!m) break; got.push(m.map(String).join("+")) } return got }
  return { pull, push, ev, recv, done: () => { push.setsockopt(17, 0); push.close(); pull.close() } }
}
;(async () => {
  { const r = await rig()
    r.push.send("a", v5.ZMQ_SNDMORE); r.push.send(["b", "c"], v5.ZMQ_SNDMORE); r.push.send("d")
    out("sndmore:", (await r.recv(1)).join(" ; ")); r.done() }
  { const r = await rig()
    r.push.send("a", 1 /* ZMQ_DONTWAIT */, (e) => r.ev.push("cb:" + (e ? e.message : "ok")))
    r.push.send("b", 3 /* DONTWAIT|SNDMORE */); r.push.send("c", 4)
    out("dontwait flags:", (await r.recv(3)).join(" ; "), "|", r.ev.join(" | ")); r.done() }
  { const r = await rig()
    r.push.send("a", "2"); r.push.send("b", -1); r.push.send("c", 2.9); r.push.send("d", NaN); r.push.send("e")
    out("odd flags:", (await r.recv(5)).join(" ; "), "|", r.ev.join(" | ")); r.done() }
  for (const [label, msg] of [["number", 42], ["null", null], ["undefined", undefined], ["array of arrays", [["a", "b"], "c"]], ["object", { a: 1 }], ["Uint8Array", new Uint8Array([65])], ["ArrayBuffer", new Uint8Array([66]).buffer], ["empty array", []], ["array with null", ["a", null]], ["boolean", true]]) {
    const r = await rig()
    let cbres = "none"
    try { r.push.send(msg, 0, (e) => { cbres = e ? "err:" + e.message : "ok" }) } catch (e) { r.ev.push("throw:" + e.message) }
    r.push.send("after")
    const got = await r.recv(2)
    out(`invalid ${label}:`, "cb", cbres, "| got", JSON.stringify(got), "|", r.ev.join(" | "))
    r.done()
  }
  { // SNDMORE then close, new socket OK; SNDMORE then error frame
    const r = await rig()
    r.push.send("a", 2); r.push.close()
    out("sndmore then close: closed", r.push.closed); r.pull.close() }
  { const r = await rig()
    r.push.send("a", 2); r.push.send(42, 2); r.push.send("z", 0, (e) => r.ev.push("cb:" + (e ? e.message : "ok")))
    r.push.send("next")
    out("sndmore with bad frame:", JSON.stringify(await r.recv(2)), "|", r.ev.join(" | ")); r.done() }
  { // send on closed socket
    const r = await rig(); r.push.close()
    let res = "no cb"
    try { r.push.send("x", 0, (e) => { res = e ? "cb err:" + e.message : "cb ok" }) } catch (e) { res = "throw:" + e.message }
    await sleep(200); out("send after close:", res, "|", r.ev.join(" | ")); r.pull.close() }
  { // pending sends then close: callbacks?
    const p = await port(); const pull = new (require("../dist/index.cjs").Pull)({ receiveHighWaterMark: 1 }); await pull.bind(`tcp://127.0.0.1:${p}`)
    const push = v5.socket("push"); push.setsockopt(v5.ZMQ_SNDHWM, 1); push.connect(`tcp://127.0.0.1:${p}`)
    const ev = []; push.on("error", (e) => ev.push("error:" + e.message))
    await sleep(100)
    let cbs = 0, errs = 0
    for (let i = 0; i < 20000; i++) push.send(Buffer.alloc(1000), 0, (e) => { cbs++; if (e) errs++ })
    await sleep(300)
    const before = cbs
    push.setsockopt(17, 0); push.close()
    await sleep(300)
    out("pending sends then close: cbs before", before, "after close", cbs, "errs", errs, "events", [...new Set(ev)].join(" | "), ev.length)
    pull.close() }
  await sleep(100); out("done")
})()
