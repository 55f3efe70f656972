// What the FrameDecoder's parts of a trickled body point at (issue 18, Node 24 frame-memory).
import { Buffer } from "node:buffer"
import { FrameDecoder } from "../src/codec/frame-decoder.js"
const size = 256 * 1024
const head = Buffer.alloc(9); head[0] = 0x02; head.writeBigUInt64BE(BigInt(size), 1)
const d: any = new FrameDecoder({ message: () => {}, command: () => {} }, { maxMessageSize: -1, maxCommandSize: -1 })
d.feed(head)
for (let i = 0; i < size - 1; i++) d.feed(Buffer.from([i & 0xff]))
const abs = new Set<ArrayBuffer>()
for (const p of d.parts) abs.add(p.buffer)
if (d.stage) abs.add(d.stage.buffer)
let sum = 0; for (const a of abs) sum += a.byteLength
console.log(process.version, "parts", d.parts.length, "part lengths", d.parts.map((p: Buffer) => p.length).join(","), "distinct ArrayBuffers", abs.size, "their bytes", sum, "poolSize", Buffer.poolSize)
console.log("AB sizes", [...abs].map((a) => a.byteLength).join(","))
