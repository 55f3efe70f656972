// How each runtime's process.memoryUsage() counts Buffers a server holds (see heldMemory() in
// test/security/helpers.ts). 200 loopback connections; each client writes `size` octets once; the
// server keeps what it reads: retain=chunks (the 'data' chunks), view (a subarray of each, as zmtp's
// frame decoder keeps large parts), copy (a copy of each), concat, none. Prints the growth of
// heapUsed, arrayBuffers and external after GC, and heapUsed + arrayBuffers.
//   node --expose-gc scratch/probe-memory-accounting.mjs 65535 view
//   node_modules/.bin/bun scratch/probe-memory-accounting.mjs 65535 view
//   node_modules/.bin/deno run -A --v8-flags=--expose-gc scratch/probe-memory-accounting.mjs 65535 view
// Measured (12.5 MiB held as views): Node heap +0.7 ab +12.5; Bun 1.4.5 heap +13.8 ab +12.5 (the
// same octets counted twice); Deno 2.9.6 heap +0.8 ab +0.0 external +12.5 (not counted at all).
import { createServer, connect } from "node:net"
const size = Number(process.argv[2] ?? 65535), retain = process.argv[3] ?? "chunks"
const gc = globalThis.Bun ? () => Bun.gc(true) : globalThis.gc ?? (() => {})
const usage = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers }
const kept = []
let got = 0
const srv = createServer((s) => {
  const chunks = []; let n = 0
  s.on("data", (d) => { n += d.length; if (retain === "view") chunks.push(d.subarray(0)); else if (retain === "copy") { const c = Buffer.allocUnsafe(d.length); d.copy(c); chunks.push(c) } else if (retain !== "none") chunks.push(d); if (n >= size) { got++; if (retain === "concat") kept.push(Buffer.concat(chunks)); else kept.push(chunks) } })
  s.on("error", () => {})
})
await new Promise((r) => srv.listen(0, "127.0.0.1", r))
const body = Buffer.alloc(size, 0x61)
gc(); const base = usage(); const m0 = process.memoryUsage()
const clients = await Promise.all(Array.from({ length: 200 }, async () => {
  const c = connect({ host: "127.0.0.1", port: srv.address().port }); c.on("error", () => {})
  await new Promise((r) => c.once("connect", r)); c.write(body); return c
}))
await new Promise((r) => setTimeout(r, 1000))
gc(); const held = usage() - base
const m1 = process.memoryUsage(); console.log(`heap +${((m1.heapUsed - m0.heapUsed) / 1048576).toFixed(1)} ab +${((m1.arrayBuffers - m0.arrayBuffers) / 1048576).toFixed(1)} ext +${((m1.external - m0.external) / 1048576).toFixed(1)}`); console.log(`${globalThis.Bun ? "Bun" : globalThis.Deno ? "Deno" : "Node"} size ${size} retain ${retain}: ${got} complete, held ${(held / 1048576).toFixed(1)} MiB (data itself ${(200 * size / 1048576).toFixed(1)} MiB)`)
for (const c of clients) c.destroy(); srv.close()
