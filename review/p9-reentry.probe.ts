// Probe: re-entrancy through events and loops: subscribe/unsubscribe/close from an events listener,
// close inside a for-await body while a PUB floods, Proxy(XSUB, XPUB) with its sockets closed under it.
import { it, expect } from "vitest"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
it("events listener: unsubscribe/subscribe on handshake, close on disconnect", async () => {
  const x = new z.XPublisher({ verbosity: "allSubsUnsubs" }); await x.bind("tcp://127.0.0.1:*")
  const s = new z.Subscriber({ reconnectInterval: 20 }); s.subscribe("a")
  let n = 0
  s.events.on("handshake", () => { n++; s.unsubscribe("a"); s.subscribe("b"); if (n === 1) s.subscribe("a") })
  s.events.on("disconnect", () => { s.close() })
  s.connect(x.lastEndpoint!)
  x.receiveTimeout = 500; const got: string[] = []
  try { for (;;) got.push((await x.receive())[0]!.toString("latin1")) } catch {}
  console.log("told", JSON.stringify(got))
  x.close(); await sleep(100)
  console.log("sub closed by disconnect listener:", s.closed)
})
it("close inside for-await while flooded", async () => {
  const p = new z.Publisher(); await p.bind("tcp://127.0.0.1:*")
  const s = new z.Subscriber(); s.subscribe(); s.connect(p.lastEndpoint!)
  let stop = false; let sent = 0
  const flood = (async () => { while (!stop) { await p.send(["x", Buffer.alloc(100)]); sent++ } })()
  let got = 0
  for await (const m of s) { got++; if (got === 1000) s.close(); expect(m.length).toBe(2) }
  stop = true; await flood; p.close()
  console.log("for-await ended after", got, "sent", sent)
})
it("Proxy(XSUB, XPUB): close the XPUB under it, and terminate while subscriptions flow", async () => {
  for (const what of ["closeXpub", "closeXsub", "terminate"]) {
    const xsub = new z.XSubscriber(); await xsub.bind("tcp://127.0.0.1:*")
    const xpub = new z.XPublisher(); await xpub.bind("tcp://127.0.0.1:*")
    const pub = new z.Publisher(); pub.connect(xsub.lastEndpoint!)
    const subs = Array.from({ length: 5 }, () => { const s = new z.Subscriber(); s.subscribe("t"); s.connect(xpub.lastEndpoint!); return s })
    const proxy = new z.Proxy(xsub, xpub); const run = proxy.run()
    let stop = false
    const flood = (async () => { while (!stop) { await pub.send("t" + Math.random()); } })()
    await sleep(300)
    const got = await Promise.all(subs.map(async (s) => { s.receiveTimeout = 1000; try { await s.receive(); return 1 } catch { return 0 } }))
    if (what === "closeXpub") xpub.close(); else if (what === "closeXsub") xsub.close(); else proxy.terminate()
    const r = await Promise.race([run.then(() => "run resolved", (e) => "run rejected " + e), sleep(2000).then(() => "run still going")])
    stop = true; await flood
    console.log(what, "subs got", got.join(""), r, "closed:", xsub.closed, xpub.closed)
    for (const s of subs) s.close(); pub.close(); xsub.close(); xpub.close()
  }
})
