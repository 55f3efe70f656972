// Probe: a Stream client closes its connection with [id, ""], then connect()s to the same address again.
import { it } from "vitest"
import { createServer, type Socket } from "node:net"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
for (const [name, lib] of [["zmtp", z], ["zeromq.js", zmq]] as const) {
  it(`${name}: connect again after [id, ""] closed the first connection`, async () => {
    const conns: Socket[] = []
    const srv = createServer((c) => { conns.push(c); c.on("error", () => {}); c.on("data", (d) => c.write("echo:" + d)) })
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()))
    const ep = `tcp://127.0.0.1:${(srv.address() as any).port}`
    const s = new (lib as any).Stream()
    s.connect(ep, { routingId: "one" })
    s.receiveTimeout = 2000
    await s.receive() // notify
    await s.send(["one", "a"]); const r1 = await s.receive()
    await s.send(["one", ""])
    await sleep(200)
    let res = ""
    try {
      s.connect(ep, { routingId: "two" })
      const n = await s.receive(); res += `notify ${n[0]} `
      await s.send(["two", "b"]); const r2 = await s.receive(); res += `${r2[1]}`
    } catch (e: any) { res += "ERR " + e.code }
    console.log(name, "first:", r1[1].toString(), "second:", res, "server saw connections:", conns.length)
    let dis = "ok"; try { s.disconnect(ep) } catch (e: any) { dis = e.code }
    console.log(name, "disconnect after:", dis)
    s.close(); for (const c of conns) c.destroy(); srv.close()
  })
}
