import * as zmq from "zeromq"
import { Raw, command, message, sleep } from "./raw.mjs"
const sub = (t) => command("SUBSCRIBE", Buffer.from(t)), cancel = (t) => command("CANCEL", Buffer.from(t))
async function drain(x, ms = 200) { x.receiveTimeout = ms; const out = []; for (;;) { let m; try { m = (await x.receive()).map((f) => JSON.stringify(f.toString("latin1"))).join(",") } catch { return out } out.push(m) } }
const x = new zmq.XPublisher({ manual: true })
await x.bind("tcp://127.0.0.1:*")
const r1 = await Raw.connect(x.lastEndpoint); await r1.handshake("SUB", 1)
const r2 = await Raw.connect(x.lastEndpoint); await r2.handshake("SUB", 1)
r1.send(Buffer.concat([sub("A"), sub("A")])); await sleep(50)
console.log("manual: r1 sub A x2:", await drain(x))
await x.send("A1"); console.log(" no manual subscribe yet, r1 gets:", await r1.frames(150))
// set subscription for last pipe (r1)
x.setStringOption?.(6, "A")
console.log("has setStringOption", typeof x.setStringOption)
await x.send("A2"); console.log(" after manual subscribe A, r1 gets:", await r1.frames(150), "r2 gets", await r2.frames(100))
r2.send(sub("B")); await sleep(50); console.log(" r2 sub B:", await drain(x))
x.setStringOption(6, "Q")  // applied to r2
await x.send("Q1"); await x.send("A3"); console.log(" r1:", await r1.frames(150), "r2:", await r2.frames(150))
r1.send(cancel("A")); await sleep(50); console.log(" r1 cancel A:", await drain(x))
await x.send("A4"); console.log(" r1 still subscribed (manual):", await r1.frames(150))
x.setStringOption(7, "A") // unsubscribe for r1
await x.send("A5"); console.log(" after manual unsubscribe:", await r1.frames(150))
r2.send(sub("C")); await sleep(50); await drain(x)
r2.destroy(); await sleep(100); console.log(" r2 disconnect (asked B, C; manual Q):", await drain(x))
try { new zmq.XPublisher().setStringOption(6, "x"); console.log("non-manual subscribe ok") } catch (e) { console.log("non-manual subscribe:", e.code, e.message) }
r1.destroy(); x.close()
// welcome
const w = new zmq.XPublisher({ welcomeMessage: "W" })
await w.bind("tcp://127.0.0.1:*")
const s = new zmq.Subscriber(); s.subscribe("W"); s.connect(w.lastEndpoint)
s.receiveTimeout = 1000; console.log("welcome to SUB subscribed W:", String(await s.receive()))
console.log(" xpub sees:", await drain(w))
const s2 = new zmq.Subscriber(); s2.subscribe("X"); s2.connect(w.lastEndpoint); s2.receiveTimeout = 300
console.log(" SUB subscribed X gets welcome?", await s2.receive().then(String, (e) => e.code))
const rw = await Raw.connect(w.lastEndpoint); await rw.handshake("SUB", 1); console.log(" raw sub, no subscription, gets:", await rw.frames(200))
rw.destroy(); s.close(); s2.close(); w.close()
