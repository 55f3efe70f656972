// Probe: Stream behaviours side by side (zmtp vs zeromq.js / libzmq 4.3.5).
import { it } from "vitest"
import { connect as netConnect, type Socket as NetSocket } from "node:net"
import { Agent, request } from "node:http"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const libs = [["zmtp", z], ["zeromq.js", zmq]] as const

async function client(ep: string) {
  const port = Number(ep.slice(ep.lastIndexOf(":") + 1))
  const sock = netConnect({ host: "127.0.0.1", port })
  const chunks: Buffer[] = []
  sock.on("data", (d) => chunks.push(d)); sock.on("error", () => {})
  let ended = false; sock.on("end", () => (ended = true))
  let closed = false; sock.on("close", () => (closed = true))
  await new Promise((r) => sock.once("connect", r))
  return { sock, data: () => Buffer.concat(chunks), ended: () => ended, closed: () => closed }
}
async function recvT(s: any, ms = 1000) { s.receiveTimeout = ms; try { return await s.receive() } catch (e: any) { return e.code } }

for (const [name, lib] of libs) {
  it(`${name}: [id,""] twice; then [id,"x"]`, async () => {
    const s = new (lib as any).Stream(); await s.bind("tcp://127.0.0.1:*")
    const c = await client(s.lastEndpoint)
    const [id] = await recvT(s)
    const r: string[] = []
    for (const m of [[id, ""], [id, ""], [id, "x"]]) { try { await s.send(m); r.push("ok") } catch (e: any) { r.push(e.code) } }
    await sleep(200)
    console.log(name, "twice:", r, "client ended", c.ended(), c.closed())
    c.sock.destroy(); s.close()
  })
  it(`${name}: 4 MB then [id,""] to a peer that reads late`, async () => {
    const s = new (lib as any).Stream(); await s.bind("tcp://127.0.0.1:*")
    const c = await client(s.lastEndpoint)
    c.sock.pause()
    const [id] = await recvT(s)
    const big = Buffer.alloc(4 << 20, 0x61)
    await s.send([id, big]); await s.send([id, ""])
    await sleep(500); c.sock.resume()
    await sleep(1500)
    console.log(name, "late reader got", c.data().length, "ended", c.ended())
    c.sock.destroy(); s.close()
  })
  it(`${name}: small buffer overwritten after send resolves`, async () => {
    const s = new (lib as any).Stream(); await s.bind("tcp://127.0.0.1:*")
    const c = await client(s.lastEndpoint)
    const [id] = await recvT(s)
    const b = Buffer.from("hello"); await s.send([id, b]); b.write("XXXXX")
    const b2 = Buffer.alloc(1000, 0x62); await s.send([id, b2]); b2.fill(0x63)
    await sleep(200)
    const d = c.data().toString()
    console.log(name, "overwrite:", d.slice(0, 8), "b's:", (d.match(/b/g) || []).length, "c's:", (d.match(/c/g) || []).length)
    c.sock.destroy(); s.close()
  })
  it(`${name}: half-close then reply`, async () => {
    const s = new (lib as any).Stream(); await s.bind("tcp://127.0.0.1:*")
    const c = await client(s.lastEndpoint)
    const [id] = await recvT(s)
    c.sock.end("hello")
    const m1 = await recvT(s); const m2 = await recvT(s)
    let r = "ok"; try { await s.send([id, "reply"]) } catch (e: any) { r = e.code }
    await sleep(200)
    console.log(name, "half-close:", m1?.[1]?.toString?.() ?? m1, m2?.[1]?.length ?? m2, "send:", r, "client got:", JSON.stringify(c.data().toString()), c.closed())
    c.sock.destroy(); s.close()
  })
  it(`${name}: http keep-alive agent, 3 requests`, async () => {
    const s = new (lib as any).Stream(); await s.bind("tcp://127.0.0.1:*")
    const port = Number(s.lastEndpoint.slice(s.lastEndpoint.lastIndexOf(":") + 1))
    const ids = new Set<string>(); let conns = 0
    ;(async () => {
      try { for await (const [id, d] of s) {
        if (d.length === 0) { conns++; continue }
        ids.add(id.toString("hex"))
        if (d.toString().includes("\r\n\r\n")) await s.send([id, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
      } } catch {}
    })()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const out: string[] = []
    for (let i = 0; i < 3; i++) {
      out.push(await new Promise<string>((res) => { const rq = request({ port, host: "127.0.0.1", path: "/" + i, agent }, (rs) => { let b = ""; rs.on("data", (d) => (b += d)); rs.on("end", () => res(b)) }); rq.on("error", (e) => res("ERR " + e.message)); rq.end() }))
    }
    console.log(name, "keepalive:", out, "ids", ids.size, "notifies", conns)
    agent.destroy(); await sleep(100); s.close()
  })
  it(`${name}: close socket inside for-await after the first data`, async () => {
    const s = new (lib as any).Stream(); await s.bind("tcp://127.0.0.1:*")
    const c = await client(s.lastEndpoint)
    c.sock.write("a"); await sleep(50); c.sock.write("b")
    let n = 0; let err = "none"
    try { for await (const [id, d] of s) { n++; if (d.length) { await s.send([id, "bye"]); s.close() } } } catch (e: any) { err = e.code }
    await sleep(200)
    console.log(name, "reentrant close: n", n, err, "client got", JSON.stringify(c.data().toString()), "closed", c.closed())
    c.sock.destroy()
  })
  it(`${name}: [id,""] from within a 'accept' events listener... and disconnect() during connect`, async () => {
    const s = new (lib as any).Stream()
    s.connect("tcp://127.0.0.1:1", { routingId: "peer" })
    await sleep(50)
    let r = "ok"; try { s.disconnect("tcp://127.0.0.1:1") } catch (e: any) { r = e.code }
    let r2 = "ok"; try { await s.send(["peer", "x"]) } catch (e: any) { r2 = e.code }
    console.log(name, "disconnect during connect:", r, "send after:", r2)
    s.close()
  })
}
