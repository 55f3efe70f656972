// Issue 18 (output-bounds on Node 24): the raw baseline of a flood, no zmtp. An in-process net
// server reads and drops everything; a client pumps 64 MiB in 32 KiB chunks, one per turn of the
// event loop, as output-bounds.test.ts's pump() does. Prints RSS growth (no GC forced, as the test
// measured) and heapUsed + arrayBuffers growth after a settled GC.
//   node --expose-gc scratch/probe-flood-rss.mjs [chunkSize]
import { createServer, connect } from "node:net"
const CHUNK = Number(process.argv[2] ?? 32 * 1024 + 9)
const held = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers }
const settle = () => { for (let i = 0; i < 4; i++) gc() }
let got = 0
const srv = createServer((s) => { s.on("data", (d) => { got += d.length }); s.on("error", () => {}) })
await new Promise((r) => srv.listen(0, "127.0.0.1", r))
for (let run = 0; run < 3; run++) {
  const c = connect({ host: "127.0.0.1", port: srv.address().port }); c.on("error", () => {})
  await new Promise((r) => c.once("connect", r))
  settle()
  const rss0 = process.memoryUsage().rss, h0 = held()
  const chunk = Buffer.alloc(CHUNK)
  let written = 0
  while (written < 64 * 1024 * 1024) {
    written += chunk.length
    await new Promise((r) => setImmediate(r))
    if (!c.write(chunk)) await new Promise((r) => c.once("drain", r))
  }
  const rss1 = process.memoryUsage().rss
  settle()
  const rss2 = process.memoryUsage().rss
  console.log(`${process.version} run ${run}: wrote ${written}: rss +${((rss1 - rss0) / 2 ** 20).toFixed(1)} MiB (after GC +${((rss2 - rss0) / 2 ** 20).toFixed(1)}), held after settled GC +${((held() - h0) / 2 ** 20).toFixed(2)} MiB`)
  c.destroy()
}
srv.close()
