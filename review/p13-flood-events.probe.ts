// Probe: under a tight PUB send loop (nobody subscribed yet), when do a new SUB's connect and
// handshake happen, and when does its first message arrive? (zmtp)
import { it } from "vitest"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
it("timeline", async () => {
  const pub = new z.Publisher(); await pub.bind("tcp://127.0.0.1:*")
  const pe: string[] = []; const t0 = Date.now()
  for (const t of ["accept", "handshake"]) pub.events.on(t as any, () => pe.push(`pub ${t} ${Date.now() - t0}`))
  let stop = false; let sent = 0; let turns = 0
  const ticker = setInterval(() => turns++, 1)
  const loop = (async () => { while (!stop) { await pub.send("t" + sent++) } })()
  const s = new z.Subscriber(); s.subscribe("t")
  for (const t of ["connect", "handshake"]) s.events.on(t as any, () => pe.push(`sub ${t} ${Date.now() - t0}`))
  s.connect(pub.lastEndpoint!)
  s.receiveTimeout = 10000; await s.receive(); pe.push(`first message ${Date.now() - t0}`)
  stop = true; await loop; clearInterval(ticker)
  console.log(pe.join("\n"), "\nsent", sent, "interval turns", turns)
  s.close(); pub.close()
})
