// Probe (run with node, in its own process: libzmq may abort): a SOCKS5 proxy that accepts and
// never answers. Which events does the lib report over 3 s, with connectTimeout 300?
// Usage: node review17/p3-socks-silent.mjs zeromq|zmtp [mode]   mode: silent | greet-only | trickle
import net from "node:net"
const which = process.argv[2] ?? "zeromq"
const mode = process.argv[3] ?? "silent"
const lib = which === "zeromq" ? await import("zeromq") : await import("../dist/index.js")
let accepted = 0, open = 0
const srv = net.createServer((c) => {
  accepted++; open++; c.on("close", () => open--); c.on("error", () => {})
  if (mode === "greet-only") c.once("data", () => c.write(Buffer.from([5, 0])))
})
await new Promise((r) => srv.listen(0, "127.0.0.1", r))
const port = srv.address().port
const d = new lib.Dealer({ socksProxy: `127.0.0.1:${port}`, connectTimeout: 300, reconnectInterval: 100, handshakeInterval: 500 })
const ev = []
;(async () => { for await (const e of d.events) ev.push(`${e.type}`) })().catch(() => {})
d.connect("tcp://127.0.0.1:9")
await new Promise((r) => setTimeout(r, 3000))
console.log(which, mode, "events:", ev.join(","), "proxy accepted", accepted, "open", open)
process.exit(0)
