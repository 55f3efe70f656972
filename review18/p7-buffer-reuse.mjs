// A caller that reuses one buffer: fills it, sends it, and refills it as soon as send() resolves
// (or even without awaiting). zeromq.js copies on send, so the peer sees each value once. Checked
// over tcp and ipc, awaited and not awaited, on the runtime running this.
// Run: node|bun|deno run -A review18/p7-buffer-reuse.mjs
import { Push, Pull } from "../dist/index.js"
import { rt } from "./rt.mjs"
const N = 20000
// Frames up to 128 octets are copied on send (README "Buffers", as in zeromq.js); larger are referenced.
const SIZE = Number(process.env.SIZE ?? 128)
for (const tr of ["tcp", "ipc", "inproc"]) for (const awaited of [true, false]) {
  const ep = tr === "tcp" ? "tcp://127.0.0.1:*" : tr === "ipc" ? `ipc:///tmp/r18-reuse-${process.pid}.sock` : `inproc://r18-${tr}-${awaited}`
  const pull = new Pull({ linger: 0 }); await pull.bind(ep)
  const push = new Push({ linger: 0, sendHighWaterMark: 100000 }); push.connect(pull.lastEndpoint)
  const buf = Buffer.alloc(SIZE)
  const sends = []
  for (let i = 0; i < N; i++) {
    buf.fill(i & 255); buf.writeUInt32BE(i, 0)
    const p = push.send(buf)
    if (awaited) await p; else sends.push(p)
  }
  let bad = 0, firstBad = null
  for (let i = 0; i < N; i++) {
    const [m] = await pull.receive()
    if (m.readUInt32BE(0) !== i || m[SIZE - 1] !== (i & 255)) { bad++; firstBad ??= [i, m.readUInt32BE(0)] }
  }
  await Promise.all(sends)
  console.log(JSON.stringify({ rt, tr, awaited, bad, firstBad }))
  push.close(); pull.close()
}
