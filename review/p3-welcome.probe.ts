// Probe: XPUB welcomeMessage to second subscriber, libzmq vs zmtp.
import { it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
for (const [n, lib] of [["zmtp", z], ["zeromq.js", zmq]] as const)
  for (const order of ["subFirst", "connectFirst"])
  it(`${n} ${order}`, async () => {
    const x = new (lib as any).XPublisher({ welcomeMessage: "W" }); await x.bind("tcp://127.0.0.1:*")
    const b = new zmq.Subscriber()
    if (order === "subFirst") { b.subscribe("W"); b.connect(x.lastEndpoint) } else { b.connect(x.lastEndpoint); b.subscribe("W") }
    b.receiveTimeout = 1000
    try { console.log(n, order, "got", (await b.receive()).toString()) } catch (e) { console.log(n, order, "nothing") }
    x.receiveTimeout = 100; try { console.log(n, order, "x got", (await x.receive()).toString()) } catch {}
    b.close(); x.close()
  })
