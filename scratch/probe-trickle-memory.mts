// Task: issue 18, frame-memory on Node 24. A 256 KiB frame trickled one octet per chunk into
// FrameDecoder; prints growth of heapUsed and arrayBuffers after GC, with and without a vitest-like
// per-chunk check, next to a raw baseline (the same 262,143 one-octet Buffers copied into one
// Buffer by hand, no zmtp). Usage: scratch/run.sh scratch/probe-trickle-memory.mts  (with --expose-gc via NODE_OPTIONS)
import { Buffer } from "node:buffer"
import { FrameDecoder } from "../src/codec/frame-decoder.js"
const gc = (globalThis as any).gc as () => void
const size = 256 * 1024
const mu = () => { const m = process.memoryUsage(); return { heap: m.heapUsed, ab: m.arrayBuffers } }
function report(name: string, f: () => unknown) {
  gc(); gc()
  const b = mu()
  const keep = f()
  gc(); gc()
  const a = mu()
  console.log(`${process.version} ${name.padEnd(28)} heap +${a.heap - b.heap} ab +${a.ab - b.ab} total +${a.heap + a.ab - b.heap - b.ab}`)
  return keep
}
const head = Buffer.alloc(9); head[0] = 0x02; head.writeBigUInt64BE(BigInt(size), 1)
for (let round = 0; round < 2; round++) {
  report("raw baseline (copy by hand)", () => {
    const into = Buffer.allocUnsafe(size); let n = 0
    for (let i = 0; i < size - 1; i++) { const c = Buffer.from([i & 0xff]); c.copy(into, n); n += c.length }
    return into
  })
  report("zmtp FrameDecoder", () => {
    const d = new FrameDecoder({ message: () => {}, command: () => {} }, { maxMessageSize: -1, maxCommandSize: -1 })
    d.feed(head)
    for (let i = 0; i < size - 1; i++) if (d.feed(Buffer.from([i & 0xff])) !== undefined) throw new Error("x")
    return d
  })
}
