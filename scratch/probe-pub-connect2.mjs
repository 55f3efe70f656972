import * as zmq from "zeromq"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
for (const tr of ["ipc", "tcp"]) {
const ep = tr === "ipc" ? "ipc:///tmp/h16a-probe-pc2.sock" : "tcp://127.0.0.1:47391"
const s1 = new zmq.Subscriber(); s1.subscribe("A"); await s1.bind(ep)
const p = new zmq.Publisher({ reconnectInterval: 50 }); p.connect(ep)
const ev = []; (async () => { for await (const e of p.events) ev.push(e.type) })()
s1.receiveTimeout = 50
for (let i = 0; ; i++) { await p.send("A-sync" + i); try { await s1.receive(); break } catch {} }
s1.close(); await sleep(200)
for (const t of ["A-while-away", "B-while-away"]) await p.send(t)
const s2 = new zmq.Subscriber(); s2.subscribe("B"); s2.subscribe("A"); await s2.bind(ep)
s2.receiveTimeout = 100
const got = []
for (let i = 0; i < 10; i++) { await p.send("B-after" + i); try { got.push(String(await s2.receive())) } catch {} }
for (;;) { try { got.push(String(await s2.receive())) } catch { break } }
console.log(tr, "new SUB (subscribed B, A) got:", got, ev)
s2.close(); p.close()
}
