// Probe: Proxy(XSUB, XPUB) with five subscribers of one topic and a flooding publisher: does each
// subscriber receive? Side by side with zeromq.js.
import { it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
for (const [name, lib] of [["zmtp", z], ["zeromq.js", zmq]] as const)
  for (const flood of [true, false])
  it(`${name} flood=${flood}`, async () => {
    const L = lib as any
    const xsub = new L.XSubscriber(); await xsub.bind("tcp://127.0.0.1:*")
    const xpub = new L.XPublisher(); await xpub.bind("tcp://127.0.0.1:*")
    const pub = new L.Publisher(); pub.connect(xsub.lastEndpoint)
    const subs = Array.from({ length: 5 }, () => { const s = new L.Subscriber(); s.subscribe("t"); s.connect(xpub.lastEndpoint); return s })
    const proxy = new L.Proxy(xsub, xpub); const run = proxy.run()
    let stop = false; let sent = 0
    const loop = (async () => { while (!stop) { await pub.send("t" + sent++); if (!flood) await sleep(1) } })()
    await sleep(300)
    const got = await Promise.all(subs.map(async (s: any) => { s.receiveTimeout = 2000; try { await s.receive(); return 1 } catch { return 0 } }))
    stop = true; await loop
    console.log(name, "flood", flood, "subs got", got.join(""), "sent", sent, (xpub as any).subscriptions ? "xpub prefixes " + (xpub as any).subscriptions.size + " peers " + (xpub as any).peers.size : "")
    proxy.terminate(); await run
    for (const s of subs) s.close(); pub.close()
  })
