// Small frames given as views: a Uint8Array subarray at an offset of a bigger ArrayBuffer, a
// DataView-free ArrayBuffer, a Buffer from Buffer.allocUnsafe's shared pool. Each is mutated right
// after send(); the peer must see the bytes of the view at send time.
// Run: node|bun|deno run -A review18/p8-views.mjs
import { Pair } from "../dist/index.js"
import { rt } from "./rt.mjs"
const a = new Pair({ linger: 0 }); await a.bind("tcp://127.0.0.1:*")
const b = new Pair({ linger: 0, receiveTimeout: 2000 }); b.connect(a.lastEndpoint)
const ab = new ArrayBuffer(1000)
const view = new Uint8Array(ab, 100, 50); view.fill(1)
const plain = new ArrayBuffer(40); new Uint8Array(plain).fill(2)
const pooled = Buffer.allocUnsafe(30); pooled.fill(3)
const big = new Uint8Array(4096).fill(4).subarray(4000, 4064)
await a.send([view, plain, pooled, big])
view.fill(9); new Uint8Array(plain).fill(9); pooled.fill(9); big.fill(9)
const got = await b.receive()
console.log(JSON.stringify({ rt, frames: got.map((f) => [f.length, [...new Set(f)].join("/")]) }))
a.close(); b.close()
