// Probe: under a tight publishing loop, how long until each of five subscribers gets its first
// message (direct PUB, and through Proxy(XSUB, XPUB))? Side by side with zeromq.js.
import { it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
for (const [name, lib] of [["zmtp", z], ["zeromq.js", zmq]] as const)
  for (const via of ["direct", "proxy"])
  it(`${name} ${via}`, async () => {
    const L = lib as any
    let pub: any, proxy: any, run: any, ep: string
    const xsub = new L.XSubscriber(); const xpub = new L.XPublisher()
    if (via === "proxy") {
      await xsub.bind("tcp://127.0.0.1:*"); await xpub.bind("tcp://127.0.0.1:*")
      pub = new L.Publisher(); pub.connect(xsub.lastEndpoint); ep = xpub.lastEndpoint
      proxy = new L.Proxy(xsub, xpub); run = proxy.run()
    } else { pub = new L.Publisher(); await pub.bind("tcp://127.0.0.1:*"); ep = pub.lastEndpoint }
    let stop = false; let sent = 0
    const loop = (async () => { while (!stop) { await pub.send("t" + sent++) } })()
    await sleep(50)
    const t0 = Date.now()
    const subs = Array.from({ length: 5 }, () => { const s = new L.Subscriber(); s.subscribe("t"); s.connect(ep); return s })
    const firsts = await Promise.all(subs.map(async (s: any) => { s.receiveTimeout = 10000; try { await s.receive(); return Date.now() - t0 } catch { return -1 } }))
    stop = true; await loop
    console.log(name, via, "first message after ms:", firsts.join(" "), "sent", sent)
    if (proxy) { proxy.terminate(); await run } else pub.close()
    for (const s of subs) s.close(); if (via === "proxy") pub.close(); else { xsub.close(); xpub.close() }
  })
