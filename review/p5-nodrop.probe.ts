// Probe: noDrop sends that wait for a full subscriber: what lets them go (the subscriber leaving,
// unsubscribing), and sendTimeout. Side by side with zeromq.js.
import { it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function fillUp(pub: any): Promise<number> {
  let n = 0
  pub.sendTimeout = 0
  for (;;) { try { await pub.send("t" + "x".repeat(1000)); n++ } catch { break } ; if (n % 100 === 0) await sleep(1) }
  return n
}
async function scenario(lib: any, what: string): Promise<string> {
  const pub = new lib.Publisher({ noDrop: true, sendHighWaterMark: 10 }); await pub.bind("tcp://127.0.0.1:*")
  const slow = new zmq.Subscriber({ receiveHighWaterMark: 10 }); slow.connect(pub.lastEndpoint); slow.subscribe("t")
  await sleep(300)
  const n = await fillUp(pub)
  pub.sendTimeout = what === "timeout" ? 300 : 3000
  const t0 = Date.now()
  const p = pub.send("t-last").then(() => "resolved", (e: any) => "rejected " + e.code)
  if (what === "leave") { await sleep(100); slow.close() }
  if (what === "unsubscribe") { await sleep(100); slow.unsubscribe("t") }
  const r = await p
  const res = `${what}: filled ${n > 0 ? ">0" : 0}; send ${r} after ~${Math.round((Date.now() - t0) / 100) * 100} ms`
  if (!slow.closed) slow.close(); pub.close(); return res
}
for (const what of ["timeout", "leave", "unsubscribe"])
  it(what, async () => {
    const ours = await scenario(z, what); const theirs = await scenario(zmq, what)
    console.log("\n zmtp     ", ours, "\n zeromq.js", theirs)
  })
