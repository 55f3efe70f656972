// Probe: zmtp's SOCKS5 connect against misbehaving proxies.
import { it } from "vitest"
import net from "node:net"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Behaviour = (c: net.Socket, ctx: { relayTo: (host: string, port: number, pre: Buffer) => void }) => void
async function proxy(b: Behaviour) {
  const st = { accepted: 0, open: 0 }
  const conns = new Set<net.Socket>()
  const srv = net.createServer((c) => {
    st.accepted++; st.open++; conns.add(c); c.on("close", () => { st.open--; conns.delete(c) }); c.on("error", () => {})
    b(c, { relayTo: (host, port, pre) => { const up = net.connect({ host, port }, () => { c.write(pre); up.pipe(c); c.pipe(up) }); up.on("error", () => c.destroy()); c.on("close", () => up.destroy()) } })
  })
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()))
  return { st, port: (srv.address() as net.AddressInfo).port, close: () => { srv.close(); for (const c of conns) c.destroy() } }
}
/** Reads the greeting (3) and the request (IPv4: 10), then calls `then` with the destination port. */
function readRequest(c: net.Socket, then: (port: number) => void) {
  let buf = Buffer.alloc(0)
  c.on("data", function on(d) {
    buf = Buffer.concat([buf, d])
    if (buf.length === 3) c.write(Buffer.from([5, 0]))
    if (buf.length >= 13) { c.off("data", on); then(buf.readUInt16BE(11)) }
  })
}
async function trickle(c: net.Socket, b: Buffer) { for (const x of b) { c.write(Buffer.from([x])); await sleep(5) } }

it("trickled reply with a domain BND.ADDR, then a message exchange", async () => {
  const r = new z.Router(); await r.bind("tcp://127.0.0.1:*")
  const p = await proxy((c, ctx) => readRequest(c, async (port) => {
    const name = Buffer.from("proxy.example.org")
    const reply = Buffer.concat([Buffer.from([5, 0, 0, 3, name.length]), name, Buffer.from([0x12, 0x34])])
    c.pause()
    await trickle(c, reply)
    ctx.relayTo("127.0.0.1", port, Buffer.alloc(0))
  }))
  const d = new z.Dealer({ socksProxy: `127.0.0.1:${p.port}` })
  d.connect(r.lastEndpoint!)
  await d.send("hi")
  r.receiveTimeout = 3000
  let got = "none"; try { const [id, m] = await r.receive(); got = m!.toString(); await r.send([id!, "back"]) } catch (e: any) { got = e.code }
  d.receiveTimeout = 2000
  let back = "none"; try { back = (await d.receive())[0]!.toString() } catch (e: any) { back = e.code }
  console.log("trickle+domain:", got, back)
  d.close(); r.close(); p.close()
})

it("proxy closes mid-handshake, repeatedly; disconnect during handshake; handle count", async () => {
  const handles0 = (process as any)._getActiveHandles().length
  const p = await proxy((c) => c.once("data", () => { c.write(Buffer.from([5])); setTimeout(() => c.destroy(), 2) }))
  const d = new z.Dealer({ socksProxy: `127.0.0.1:${p.port}`, reconnectInterval: 5 })
  const ev: Record<string, number> = {}
  ;(async () => { for await (const e of d.events) ev[e.type] = (ev[e.type] ?? 0) + 1 })().catch(() => {})
  d.connect("tcp://127.0.0.1:9")
  await sleep(2000)
  console.log("mid-close: events", ev, "accepted", p.st.accepted, "open at proxy", p.st.open, "handles now", (process as any)._getActiveHandles().length - handles0)
  d.close(); await sleep(100)
  console.log("after close: open at proxy", p.st.open, "handles", (process as any)._getActiveHandles().length - handles0)
  p.close()
})

it("disconnect() and close() while the proxy is silent", async () => {
  const p = await proxy((c) => c.resume())
  const d = new z.Dealer({ socksProxy: `127.0.0.1:${p.port}` })
  d.connect("tcp://127.0.0.1:9"); await sleep(200)
  console.log("silent: open", p.st.open)
  d.disconnect("tcp://127.0.0.1:9"); await sleep(100)
  console.log("silent after disconnect: open", p.st.open)
  d.connect("tcp://127.0.0.1:9"); await sleep(200)
  await d.send("queued").catch(() => {})
  d.linger = 200
  d.close(); await sleep(400)
  console.log("silent after close (linger 200, one queued): open", p.st.open)
  p.close()
})

it("oversized garbage after a valid method choice", async () => {
  const p = await proxy((c) => c.once("data", () => { c.write(Buffer.from([5, 0])); c.on("data", () => c.write(Buffer.alloc(1 << 20, 5))) }))
  const d = new z.Dealer({ socksProxy: `127.0.0.1:${p.port}`, reconnectInterval: 50 })
  const ev: string[] = []
  ;(async () => { for await (const e of d.events) ev.push(e.type) })().catch(() => {})
  d.connect("tcp://127.0.0.1:9"); await sleep(500)
  console.log("garbage: events", ev.slice(0, 8).join(","), "accepted", p.st.accepted)
  d.close(); p.close()
})
