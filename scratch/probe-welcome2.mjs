import * as zmq from "zeromq"
import { Raw, command, message, sleep } from "./raw.mjs"
const w = new zmq.XPublisher({ welcomeMessage: "W" })
await w.bind("tcp://127.0.0.1:*")
const rw = await Raw.connect(w.lastEndpoint); await rw.handshake("SUB", 1); console.log(" raw gets before sending:", await rw.frames(300))
rw.send(command("SUBSCRIBE", Buffer.from("Z"))); console.log(" after raw SUBSCRIBE Z:", await rw.frames(300))
w.receiveTimeout = 300; console.log(" xpub got", await w.receive().then(String, (e) => e.code))
console.log(" after xpub receive:", await rw.frames(300))
await w.send("Z1"); console.log(" after send Z1:", await rw.frames(300))
rw.destroy(); w.close()
const w2 = new zmq.XPublisher({ welcomeMessage: "W" })
await w2.bind("tcp://127.0.0.1:*")
const s = new zmq.Subscriber(); s.subscribe("W"); s.connect(w2.lastEndpoint); s.receiveTimeout = 500
await sleep(200)
w2.receiveTimeout = 300; console.log("xpub2 got", await w2.receive().then(String, (e) => e.code))
console.log(" SUB W:", await s.receive().then(String, (e) => e.code))
s.close(); w2.close()
