// Probe: conflate on PUB / SUB with multipart messages, and multipart atomicity when a subscriber
// lags (sendHighWaterMark 1). Side by side with zeromq.js.
import { it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function drain(s: any, ms = 300): Promise<string[]> {
  s.receiveTimeout = ms; const got: string[] = []
  try { for (;;) got.push((await s.receive()).map((f: Buffer) => f.toString()).join("|")) } catch {}
  return got
}
async function scenario(lib: any, side: string): Promise<string> {
  const pub = new (side === "pub" ? lib : zmq).Publisher(side === "pub" ? { conflate: true } : {}); await pub.bind("tcp://127.0.0.1:*")
  const sub = new (side === "sub" ? lib : zmq).Subscriber(side === "sub" ? { conflate: true } : {}); sub.subscribe("t"); sub.connect(pub.lastEndpoint)
  await sleep(300)
  for (let i = 0; i < 5; i++) await pub.send(["t" + i, "a" + i, "b" + i])
  await sleep(200)
  const r = (await drain(sub)).join(", ")
  sub.close(); pub.close(); return side + ": " + r
}
for (const side of ["pub", "sub"])
  it(side, async () => {
    const ours = await scenario(z, side); const theirs = await scenario(zmq, side)
    console.log("\n zmtp     ", ours, "\n zeromq.js", theirs)
  })
