import * as zmq from "zeromq"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const ep = "ipc:///tmp/h16a-probe-pc.sock"
const s1 = new zmq.Subscriber(); s1.subscribe("A"); await s1.bind(ep)
const p = new zmq.Publisher({ reconnectInterval: 50 }); p.connect(ep)
s1.receiveTimeout = 50
for (let i = 0; ; i++) { await p.send("A-sync" + i); try { await s1.receive(); break } catch {} }
s1.close(); await sleep(100)
for (const t of ["A-while-away", "B-while-away"]) await p.send(t)
const s2 = new zmq.Subscriber(); s2.subscribe("B"); await s2.bind(ep)
await sleep(300)
for (let i = 0; i < 5; i++) { await p.send("B-after" + i); await sleep(50) }
s2.receiveTimeout = 300
const got = []; for (;;) { try { got.push(String(await s2.receive())) } catch { break } }
console.log("new SUB (subscribed B) got:", got)
s2.close(); p.close()
