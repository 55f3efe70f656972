import * as zmq from "zeromq"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const p = new zmq.Publisher({ noDrop: true, sendHighWaterMark: 2 }); await p.bind("tcp://127.0.0.1:*")
const s = new zmq.Subscriber({ receiveHighWaterMark: 2 }); s.subscribe("A"); s.subscribe("!s"); s.connect(p.lastEndpoint); await sleep(200)
for (let i = 0; i < 3; i++) { await p.send("!s" + i); s.receiveTimeout = 100; console.log("sync", String(await s.receive())) }
s.unsubscribe("!s")
p.sendTimeout = 1000
let ok = 0; for (;;) { const t0 = Date.now(); try { await p.send(["A" + ok, Buffer.alloc(65536)]); ok++ } catch (e) { console.log("after", ok, e.code, "in", Date.now() - t0, "ms"); break } }
for (const t of [0, 0, 10]) { p.sendTimeout = t; console.log("B timeout", t, await p.send("B").then(() => "ok", (e) => e.code)) }
p.sendTimeout = -1
const t0 = Date.now(); const pend = p.send(["A-last", "x"]).then(() => "resolved after " + (Date.now() - t0), (e) => e.code)
await sleep(300)
s.receiveTimeout = 1000
const got = []; for (;;) { try { got.push(String((await s.receive())[0])) } catch { break } }
console.log("sub got", got, await Promise.race([pend, sleep(500).then(() => "still pending")]))
s.close(); p.close()
