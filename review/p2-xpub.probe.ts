// Probe: XPUB notifications (verbosity combos, counted subscriptions, peers leaving, manual mode)
// side by side with zeromq.js: the same script against each library's XPUB, libzmq SUB/XSUB peers.
import { it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function drain(s: any, ms = 200): Promise<string[]> {
  s.receiveTimeout = ms; const got: string[] = []
  try { for (;;) got.push((await s.receive()).map((f: Buffer) => (f[0]! <= 1 ? String(f[0]) : "") + f.subarray(f[0]! <= 1 ? 1 : 0).toString()).join("|")) } catch {}
  return got
}
const msub = (x: any, t: string) => x.setStringOption(6, t)
const scenarios: Record<string, (lib: any) => Promise<string[]>> = {
  async verbosityFlip(lib) {
    const x = new lib.XPublisher(); await x.bind("tcp://127.0.0.1:*")
    const a = new zmq.XSubscriber(); a.connect(x.lastEndpoint)
    const out: string[] = []
    await a.send(Buffer.from("\x01t")); await a.send(Buffer.from("\x01t")); out.push("v=null:" + (await drain(x)))
    x.verbosity = "allSubsUnsubs"; await a.send(Buffer.from("\x01t")); await a.send(Buffer.from("\x00t")); out.push("v=allSubsUnsubs:" + (await drain(x)))
    x.verbosity = "allSubs"; await a.send(Buffer.from("\x01u")); await a.send(Buffer.from("\x01u")); await a.send(Buffer.from("\x00u")); out.push("v=allSubs:" + (await drain(x)))
    x.verbosity = null; await a.send(Buffer.from("\x01w")); await a.send(Buffer.from("\x01w")); out.push("v=null:" + (await drain(x)))
    a.linger = 0; a.close(); await sleep(200); out.push("left:" + (await drain(x)))
    x.close(); return out
  },
  async twoPeersLeave(lib) {
    const x = new lib.XPublisher({ verbosity: "allSubsUnsubs" }); await x.bind("tcp://127.0.0.1:*")
    const a = new zmq.Subscriber(); a.connect(x.lastEndpoint); a.subscribe("t"); a.subscribe("t"); a.subscribe("")
    const b = new zmq.Subscriber(); b.connect(x.lastEndpoint); b.subscribe("t")
    await sleep(200); const out = ["subs:" + (await drain(x))]
    a.unsubscribe("t"); await sleep(100); out.push("unsub1:" + (await drain(x)))
    a.close(); await sleep(200); out.push("aLeft:" + (await drain(x)))
    b.close(); await sleep(200); out.push("bLeft:" + (await drain(x)))
    x.close(); return out
  },
  async emptyAndOdd(lib) {
    const x = new lib.XPublisher(); await x.bind("tcp://127.0.0.1:*")
    const a = new zmq.XSubscriber(); a.connect(x.lastEndpoint)
    await sleep(100)
    await a.send(Buffer.from([1])); await a.send(Buffer.from([0])); await a.send(Buffer.alloc(0)); await a.send(Buffer.from([2, 3]))
    await a.send([Buffer.from("\x01m"), Buffer.from("data"), Buffer.from("\x00m")])
    await a.send([Buffer.from("data2"), Buffer.from("\x01n")])
    const out = ["msgs:" + (await drain(x))]
    a.close(); x.close(); return out
  },
  async manualLastPeerGone(lib) {
    const x = new lib.XPublisher({ manual: true }); await x.bind("tcp://127.0.0.1:*")
    const a = new zmq.Subscriber(); a.connect(x.lastEndpoint); a.subscribe("t")
    const b = new zmq.Subscriber(); 
    await sleep(200); const out = ["subs:" + (await drain(x))]
    a.close(); await sleep(200); out.push("aLeft:" + (await drain(x)))
    msub(x, "t")  // last peer gone
    b.connect(x.lastEndpoint); b.subscribe("q"); await sleep(200); out.push("b:" + (await drain(x)))
    await x.send("t-1"); b.receiveTimeout = 200; try { out.push("b got " + (await b.receive())[0]) } catch { out.push("b got nothing") }
    msub(x, "t"); await x.send("t-2"); try { out.push("b got " + (await b.receive())[0]) } catch { out.push("b got nothing") }
    b.close(); await sleep(200); out.push("bLeft:" + (await drain(x)))
    x.close(); return out
  },
  async welcome(lib) {
    const x = new lib.XPublisher({ welcomeMessage: "W" }); await x.bind("tcp://127.0.0.1:*")
    const a = new zmq.Subscriber(); a.connect(x.lastEndpoint); a.subscribe("Q")
    await sleep(200); const out = ["x:" + (await drain(x)), "a:" + (await drain(a))]
    const b = new zmq.Subscriber(); b.connect(x.lastEndpoint); b.subscribe("W")
    await sleep(200); out.push("b:" + (await drain(b)))
    a.close(); b.close(); x.close(); return out
  },
}
for (const [name, f] of Object.entries(scenarios)) {
  it(name, async () => {
    const ours = await f(z); const theirs = await f(zmq)
    console.log(name, "\n zmtp     ", JSON.stringify(ours), "\n zeromq.js", JSON.stringify(theirs), ours.join() === theirs.join() ? "SAME" : "DIFFERENT")
  })
}
