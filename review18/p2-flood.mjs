// Flood PUSH->PULL over tcp and ipc: every message arrives, in order, on every runtime; then the
// process must exit by itself once both sockets are closed (no lingering handle).
// Run: node|bun|deno run -A review18/p2-flood.mjs [tcp|ipc]
import { Push, Pull } from "../dist/index.js"
import { rt } from "./rt.mjs"
const N = 100000
const tr = process.argv[2] ?? "tcp"
const ep = tr === "ipc" ? `ipc:///tmp/r18-flood-${process.pid}.sock` : "tcp://127.0.0.1:*"
const pull = new Pull()
await pull.bind(ep)
const push = new Push()
push.connect(pull.lastEndpoint)
const t0 = Date.now()
const sender = (async () => { for (let i = 0; i < N; i++) await push.send(String(i)) })()
let ok = 0, bad = -1
for (let i = 0; i < N; i++) { const [m] = await pull.receive(); if (m.toString() === String(i)) ok++; else if (bad < 0) bad = i }
await sender
push.close(); pull.close()
console.log(JSON.stringify({ rt, tr, ok, firstBad: bad, ms: Date.now() - t0 }))
