import * as zmq from "zeromq"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const p = new zmq.Publisher({ noDrop: true, sendHighWaterMark: 2 }); await p.bind("tcp://127.0.0.1:*")
const s = new zmq.Subscriber({ receiveHighWaterMark: 2 }); s.subscribe("A"); s.connect(p.lastEndpoint); await sleep(200)
p.sendTimeout = 100
let ok = 0; for (;;) { try { await p.send(["A" + ok, Buffer.alloc(65536)]); ok++ } catch (e) { console.log("after", ok, e.code); break } }
for (const t of [0, 0, 10, 0, 100]) { p.sendTimeout = t; console.log("timeout", t, "writable", p.writable, await p.send("B").then(() => "ok", (e) => e.code)) }
s.close(); p.close()
