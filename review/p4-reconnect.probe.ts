// Probe: SUB/XSUB reconnect re-sends subscriptions exactly once; counted subscriptions across a
// publisher restart on the same port; unsubscribe while disconnected. The observer is a libzmq XPUB
// with verbosity allSubsUnsubs (sees every subscription message), so duplicates show.
import { it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function drain(s: any, ms = 300): Promise<string[]> {
  s.receiveTimeout = ms; const got: string[] = []
  try { for (;;) got.push((await s.receive()).map((f: Buffer) => String(f[0]) + f.subarray(1).toString()).join("|")) } catch {}
  return got.sort()
}
async function scenario(lib: any, kind: string): Promise<string[]> {
  const out: string[] = []
  let x = new zmq.XPublisher({ verbosity: "allSubsUnsubs" }); await x.bind("tcp://127.0.0.1:*"); const ep = x.lastEndpoint!
  const s = new lib[kind]({ reconnectInterval: 50 })
  const sub = (t: string) => kind === "Subscriber" ? s.subscribe(t) : s.send(Buffer.from("\x01" + t))
  const unsub = (t: string) => kind === "Subscriber" ? s.unsubscribe(t) : s.send(Buffer.from("\x00" + t))
  await sub("a"); await sub("a"); await sub("b")
  s.connect(ep)
  await sleep(300); out.push("first:" + (await drain(x)))
  x.close(); await sleep(100)
  await unsub("a"); await unsub("b"); await sub("c")
  x = new zmq.XPublisher({ verbosity: "allSubsUnsubs" }); await x.bind(ep)
  await sleep(600); out.push("restart:" + (await drain(x)))
  await unsub("a"); await sleep(200); out.push("unsubLastA:" + (await drain(x)))
  x.close(); await sleep(100)
  x = new zmq.XPublisher({ verbosity: "allSubsUnsubs" }); await x.bind(ep)
  await sleep(600); out.push("restart2:" + (await drain(x)))
  s.close(); await sleep(100); x.close()
  return out
}
for (const kind of ["Subscriber", "XSubscriber"])
  it(kind, async () => {
    const ours = await scenario(z, kind); const theirs = await scenario(zmq, kind)
    console.log(kind, "\n zmtp     ", JSON.stringify(ours), "\n zeromq.js", JSON.stringify(theirs), ours.join() === theirs.join() ? "SAME" : "DIFFERENT")
  })
