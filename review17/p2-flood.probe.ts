// Probe: a raw TCP peer floods a Stream whose application never receives; and a trickle.
import { it } from "vitest"
import { connect as netConnect } from "node:net"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

it("flood: 256 MB offered, app never receives", async () => {
  const s = new z.Stream(); await s.bind("tcp://127.0.0.1:*")
  const ep = s.lastEndpoint!; const port = Number(ep.slice(ep.lastIndexOf(":") + 1))
  const c = netConnect({ host: "127.0.0.1", port }); c.on("error", () => {})
  await new Promise((r) => c.once("connect", r))
  const chunk = Buffer.alloc(1 << 20, 0x41)
  let written = 0
  const rss0 = process.memoryUsage().rss
  const t0 = Date.now()
  while (Date.now() - t0 < 4000 && written < 256) {
    if (!c.write(chunk)) await new Promise((r) => { const t = setTimeout(r, 200); c.once("drain", () => { clearTimeout(t); r(null) }) })
    written++
  }
  await sleep(500)
  const st = s.statistics
  console.log("flood: MB written by client", written, "client writableLength MB", (c.writableLength / 1e6).toFixed(1), "server bytesIn MB", (st.bytesIn / 1e6).toFixed(1), "queue in", st.queues.map((q) => q.in), "rss delta MB", ((process.memoryUsage().rss - rss0) / 1e6).toFixed(0))
  c.destroy(); s.close()
})

it("trickle: 2000 1-byte writes", async () => {
  const s = new z.Stream(); await s.bind("tcp://127.0.0.1:*")
  const ep = s.lastEndpoint!; const port = Number(ep.slice(ep.lastIndexOf(":") + 1))
  const c = netConnect({ host: "127.0.0.1", port, noDelay: true }); c.on("error", () => {})
  await new Promise((r) => c.once("connect", r))
  let got = ""; let msgs = 0
  const done = (async () => { for await (const [, d] of s) { if (!d.length) continue; msgs++; got += d.toString("latin1"); if (got.length >= 2000) break } })()
  let want = ""
  for (let i = 0; i < 2000; i++) { const ch = String.fromCharCode(33 + (i % 90)); want += ch; c.write(ch); if (i % 50 === 0) await sleep(1) }
  await done
  console.log("trickle: in order", got === want, "messages", msgs)
  c.destroy(); s.close()
})
