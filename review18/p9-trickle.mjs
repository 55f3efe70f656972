// A peer that trickles: a raw ZMTP 3.0 NULL PUSH sends its greeting, READY and 3 messages one
// octet per write (2 ms apart) to a zmtp PULL; then a peer that sends half a greeting and stalls
// must be dropped by handshakeInterval (as libzmq: ZMQ_HANDSHAKE_IVL) on every runtime.
// Run: node|bun|deno run -A review18/p9-trickle.mjs
import net from "node:net"
import { Pull } from "../dist/index.js"
import { rt } from "./rt.mjs"
const pull = new Pull({ linger: 0, receiveTimeout: 10000, handshakeInterval: 1000 })
await pull.bind("tcp://127.0.0.1:*")
const port = Number(pull.lastEndpoint.split(":").pop())
const greeting = Buffer.alloc(64); greeting[0] = 0xff; greeting[9] = 0x7f; greeting[10] = 3; greeting[11] = 0; greeting.write("NULL", 12)
const prop = (k, v) => Buffer.concat([Buffer.from([k.length]), Buffer.from(k), Buffer.from([0, 0, 0, v.length]), Buffer.from(v)])
const body = Buffer.concat([Buffer.from([5]), Buffer.from("READY"), prop("Socket-Type", "PUSH")])
const ready = Buffer.concat([Buffer.from([4, body.length]), body])
const msg = (s) => Buffer.concat([Buffer.from([0, s.length]), Buffer.from(s)])
const all = Buffer.concat([greeting, ready, msg("one"), msg("two"), msg("three")])
const c = net.connect(port, "127.0.0.1")
await new Promise((r) => c.on("connect", r))
c.on("data", () => {}) // the server's greeting and READY
const writer = (async () => { for (const byte of all) { c.write(Buffer.from([byte])); await new Promise((r) => setTimeout(r, 2)) } })()
const got = []
try { for (let i = 0; i < 3; i++) got.push((await pull.receive())[0].toString()) } catch (e) { got.push(String(e)) }
await writer
c.destroy()
// Half a greeting, then silence.
const s = net.connect(port, "127.0.0.1")
const t0 = Date.now()
let closedAfter = null
s.on("data", () => {})
s.on("close", () => { closedAfter = Date.now() - t0 })
s.on("error", () => {})
s.write(greeting.subarray(0, 20))
await new Promise((r) => setTimeout(r, 4000))
s.destroy()
console.log(JSON.stringify({ rt, got, stalledPeerDroppedAfterMs: closedAfter }))
pull.close()
