// Probe README migration rows against zeromq.js: (1) noDrop with sendTimeout; (2) conflate on a SUB
// and its outgoing subscriptions.
import { it } from "vitest"
import * as zmq from "zeromq"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
it("zeromq.js noDrop + sendTimeout", async () => {
  for (const timeout of [500, -1]) {
    const pub = new zmq.Publisher({ noDrop: true, sendHighWaterMark: 10 }); await pub.bind("tcp://127.0.0.1:*")
    const slow = new zmq.Subscriber({ receiveHighWaterMark: 10 }); slow.connect(pub.lastEndpoint!); slow.subscribe("t")
    await sleep(300)
    pub.sendTimeout = 0; let n = 0
    for (;;) { try { await pub.send("t" + "x".repeat(1000)); n++ } catch { break } if (n % 100 === 0) await sleep(1) }
    await sleep(200)
    pub.sendTimeout = 0; let again = 0
    for (;;) { try { await pub.send("t" + "x".repeat(1000)); again++ } catch { break } }
    pub.sendTimeout = timeout
    const t0 = Date.now()
    const r = await Promise.race([pub.send("t-last").then(() => "resolved", (e: any) => "rejected " + e.code), sleep(2000).then(() => "still waiting at 2000 ms")])
    console.log(`sendTimeout ${timeout}: filled ${n}+${again}; ${r} after ${Date.now() - t0} ms`)
    slow.close(); pub.close()
  }
})
it("zeromq.js SUB conflate: subscriptions", async () => {
  const x = new zmq.XPublisher({ verbosity: "allSubs" }); await x.bind("tcp://127.0.0.1:*")
  const s = new zmq.Subscriber({ conflate: true }); s.connect(x.lastEndpoint!)
  await sleep(200)
  s.subscribe("a"); s.subscribe("b"); s.subscribe("c")
  x.receiveTimeout = 500; const got: string[] = []
  try { for (;;) got.push((await x.receive())[0]!.toString("latin1")) } catch {}
  console.log("conflate SUB, connected, three subscribes: XPUB told", JSON.stringify(got))
  const s2 = new zmq.Subscriber({ conflate: true }); s2.subscribe("d"); s2.subscribe("e"); s2.subscribe("f"); s2.connect(x.lastEndpoint!)
  const got2: string[] = []
  try { for (;;) got2.push((await x.receive())[0]!.toString("latin1")) } catch {}
  console.log("conflate SUB, subscribed before connect: XPUB told", JSON.stringify(got2))
  s.close(); s2.close(); x.close()
})
