import * as zmq from "zeromq"
import { listen, sleep, message } from "./raw.mjs"
for (const kind of ["Subscriber", "XSubscriber"]) for (const minor of [1, 0]) {
  const L = await listen()
  const s = new zmq[kind]({ reconnectInterval: 50 })
  const sub = (t) => kind === "Subscriber" ? s.subscribe(t) : s.send(Buffer.concat([Buffer.from([1]), Buffer.from(t)]))
  const unsub = (t) => kind === "Subscriber" ? s.unsubscribe(t) : s.send(Buffer.concat([Buffer.from([0]), Buffer.from(t)]))
  await sub("A")
  s.connect(L.ep)
  const r = await L.accept()
  console.log(`\n== ${kind} to 3.${minor} peer`, await r.handshake("PUB", minor))
  console.log(" before-connect sub A:", await r.frames())
  await sub("B"); await sub("B"); console.log(" sub B x2:", await r.frames())
  await unsub("B"); console.log(" unsub B (1 left):", await r.frames())
  await unsub("B"); console.log(" unsub B (0 left):", await r.frames())
  await unsub("Z"); console.log(" unsub Z (never):", await r.frames())
  await sub(""); console.log(" sub '':", await r.frames())
  if (kind === "XSubscriber") {
    await s.send("hello"); await s.send([Buffer.from([1, 67]), Buffer.from("x")]); await s.send([Buffer.from("u"), Buffer.from([1, 68])]); await s.send(Buffer.alloc(0))
    console.log(" user hello; [\\x01C,x]; [u,\\x01D]; empty:", await r.frames())
    await unsub("C"); console.log(" unsub C:", await r.frames())
    await unsub("D"); console.log(" unsub D:", await r.frames())
  }
  r.destroy()
  const r2 = await L.accept()
  console.log(" reconnect:", await r2.handshake("PUB", minor), await r2.frames())
  r2.destroy(); s.close(); L.close()
}
