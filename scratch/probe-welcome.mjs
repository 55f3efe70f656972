import * as zmq from "zeromq"
import { Raw, command, sleep } from "./raw.mjs"
for (const how of ["ctor", "prop"]) {
  const w = how === "ctor" ? new zmq.XPublisher({ welcomeMessage: "W" }) : new zmq.XPublisher()
  if (how === "prop") w.welcomeMessage = "W"
  await w.bind("tcp://127.0.0.1:*")
  const rw = await Raw.connect(w.lastEndpoint); console.log(how, await rw.handshake("SUB", 1)); console.log(" raw sub, no subscription, gets:", await rw.frames(300))
  rw.destroy()
  const s = new zmq.Subscriber(); s.subscribe("W"); s.connect(w.lastEndpoint); s.receiveTimeout = 1000
  console.log(" SUB W:", await s.receive().then(String, (e) => e.code))
  s.close(); w.close()
}
