// Probe: a SUB (connected) subscribes to many topics in one synchronous loop; how many reach the
// publisher? The publisher is an XPUB (zmtp or libzmq) whose application counts the subscriptions.
import { it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function scenario(subLib: any, pubLib: any, n: number, topicLen: number): Promise<string> {
  const pub = new pubLib.XPublisher({ receiveHighWaterMark: 0 }); await pub.bind("tcp://127.0.0.1:*")
  const sub = new subLib.Subscriber(); sub.connect(pub.lastEndpoint)
  sub.subscribe("sync")
  await pub.receive()
  const topic = (i: number) => (i.toString().padStart(6, "0") + "t").padEnd(topicLen, "x")
  for (let i = 0; i < n; i++) sub.subscribe(topic(i))
  let got = 0; pub.receiveTimeout = 1500
  try { for (;;) { await pub.receive(); got++ } } catch {}
  sub.close(); pub.close()
  return `${n} topics of ${topicLen}: XPUB told of ${got}`
}
for (const [sn, sl] of [["zmtp", z], ["zeromq.js", zmq]] as const)
  for (const [pn, pl] of [["zmtp", z], ["zeromq.js", zmq]] as const)
    it(`${sn} SUB -> ${pn} XPUB`, async () => {
      for (const [n, len] of [[5000, 10], [3000, 2000]]) console.log(`${sn} SUB, ${pn} XPUB:`, await scenario(sl, pl, n, len))
    })
