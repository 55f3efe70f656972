// Probe: what a libzmq XPUB with welcomeMessage sends (as seen by a zmtp SUB subscribed to everything).
import { it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
for (const how of ["ctor", "prop", "setStringOption"])
it(how, async () => {
  const x = how === "ctor" ? new zmq.XPublisher({ welcomeMessage: "W" }) : new zmq.XPublisher()
  if (how === "prop") x.welcomeMessage = "W"
  if (how === "setStringOption") (x as any).setStringOption(72, "W")
  await x.bind("tcp://127.0.0.1:*")
  const b = new z.Subscriber(); b.subscribe(); b.connect(x.lastEndpoint!)
  b.receiveTimeout = 1000
  try { console.log(how, "got", (await b.receive()).map(f => f.toString("hex"))) } catch (e) { console.log(how, "nothing") }
  b.close(); x.close()
})
