// Probe: two Stream connects with the same routingId (zmtp only: libzmq asserts); and whether
// libzmq dedupes a second connect() to one address (Dealer).
import { it } from "vitest"
import { createServer, type Socket } from "node:net"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function server(tag: string) {
  const conns: Socket[] = []
  const srv = createServer((c) => { conns.push(c); c.on("error", () => {}); c.on("data", (d) => c.write(tag + ":" + d)) })
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()))
  return { ep: `tcp://127.0.0.1:${(srv.address() as any).port}`, conns, close: () => { for (const c of conns) c.destroy(); srv.close() } }
}
it("zmtp: two connects with routingId x", async () => {
  const a = await server("A"), b = await server("B")
  const s = new z.Stream(); s.receiveTimeout = 1000
  s.connect(a.ep, { routingId: "x" })
  let r = "ok"; try { s.connect(b.ep, { routingId: "x" }) } catch (e: any) { r = e.code }
  await sleep(200)
  const got: string[] = []
  try { for (;;) { const [id, d] = await s.receive(); got.push(`${id}:${JSON.stringify(String(d))}`) } } catch {}
  await s.send(["x", "hi"])
  b.conns[0]?.write("fromB")
  await sleep(200)
  try { for (;;) { const [id, d] = await s.receive(); got.push(`${id}:${JSON.stringify(String(d))}`) } } catch {}
  console.log("dup: connect 2 ->", r, "got", got, "A conns", a.conns.length, "B conns", b.conns.length)
  s.close(); a.close(); b.close()
})
for (const [name, lib] of [["zmtp", z], ["zeromq.js", zmq]] as const) {
  it(`${name}: Dealer connects twice to one address`, async () => {
    const a = await server("A")
    const d = new (lib as any).Dealer(); d.connect(a.ep); d.connect(a.ep)
    await sleep(300)
    console.log(name, "double connect: server saw", a.conns.length)
    d.close(); a.close()
  })
}
