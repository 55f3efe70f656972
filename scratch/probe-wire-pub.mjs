import * as zmq from "zeromq"
import { Raw, command, message, sleep } from "./raw.mjs"
const sub = (t) => command("SUBSCRIBE", Buffer.from(t)), cancel = (t) => command("CANCEL", Buffer.from(t))
const dsub = (t) => message([Buffer.concat([Buffer.from([1]), Buffer.from(t)])]), dcancel = (t) => message([Buffer.concat([Buffer.from([0]), Buffer.from(t)])])
async function drain(x, ms = 200) { x.receiveTimeout = ms; const out = []; for (;;) { let m; try { m = (await x.receive()).map((f) => JSON.stringify(f.toString("latin1"))).join(",") } catch { return out } out.push(m) } }
for (const minor of []) {
  const p = new zmq.Publisher()
  await p.bind("tcp://127.0.0.1:*")
  const r = await Raw.connect(p.lastEndpoint)
  console.log(`\n== PUB, raw SUB 3.${minor}`, await r.handshake("SUB", minor))
  r.send(Buffer.concat([sub("A"), dsub("B"), message([Buffer.from([1, 67]), "x"]), message(["hello"])]))
  await sleep(100)
  for (const t of ["A1", "B1", "C1", "x1", "h1", "D1"]) await p.send(t)
  console.log(" A cmd, B data, [\\x01C,x], hello:", await r.frames())
  r.send(Buffer.concat([cancel("A"), dcancel("B"), sub("D"), sub("D"), cancel("D")]))
  await sleep(100)
  for (const t of ["A2", "B2", "C2", "D2"]) await p.send(t)
  console.log(" cancel A cmd, cancel B data, sub D x2, cancel D once:", await r.frames())
  r.destroy(); p.close()
}
// XPUB notifications
for (const verbosity of [null, "allSubs", "allSubsUnsubs"]) {
  const x = new zmq.XPublisher({ verbosity })
  await x.bind("tcp://127.0.0.1:*")
  const r1 = await Raw.connect(x.lastEndpoint); await r1.handshake("SUB", 1)
  const r2 = await Raw.connect(x.lastEndpoint); await r2.handshake("XSUB", 1)
  r1.send(Buffer.concat([sub("A"), sub("A"), dsub("A")])); await sleep(50)
  r2.send(Buffer.concat([sub("A"), dsub("B")])); await sleep(50)
  r2.send(Buffer.concat([message(["up1"]), message(["up2", "more"]), message([Buffer.from([1, 69]), "tail"]), message(["head", Buffer.from([1, 70])]), message([Buffer.alloc(0)])])); await sleep(50)
  console.log(`\n== XPUB verbosity ${verbosity}: r1 sub A x3, r2 sub A,B, r2 user msgs:`, await drain(x))
  r1.send(Buffer.concat([cancel("A")])); await sleep(50)
  console.log(" r1 cancel A:", await drain(x))
  r1.send(Buffer.concat([cancel("A"), cancel("Q")])); await sleep(50)
  console.log(" r1 cancel A again, cancel Q (never):", await drain(x))
  r2.send(sub("Z")); await sleep(50); await drain(x)
  r2.destroy(); await sleep(100)
  console.log(" r2 disconnects (had A,B,E,F?,Z):", await drain(x))
  r1.destroy(); x.close()
}
