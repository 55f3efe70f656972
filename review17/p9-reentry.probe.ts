// Probe: a Stream closed (or [id, ""] sent) from synchronous event listeners.
import { it, expect } from "vitest"
import { connect, createServer } from "node:net"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const errors: unknown[] = []
process.on("uncaughtException", (e) => errors.push(e)); process.on("unhandledRejection", (e) => errors.push(e))
for (const ev of ["accept", "disconnect", "handshake:error:other"] as const) {
  it(`bind side: close() inside a sync '${ev}' listener`, async () => {
    const s = new z.Stream(); await s.bind("tcp://127.0.0.1:*")
    ;(s.events as any).on(ev, () => s.close())
    const ep = s.lastEndpoint!; const c = connect({ host: "127.0.0.1", port: Number(ep.slice(ep.lastIndexOf(":") + 1)) })
    c.on("error", () => {}); await new Promise((r) => c.once("connect", r)); c.write("x"); await sleep(50); c.end(); await sleep(100)
    console.log(ev, "closed", s.closed, "errors", errors.length); if (!s.closed) s.close(); c.destroy()
  })
}
for (const ev of ["connect", "disconnect", "connect:retry"] as const) {
  it(`connect side: close() inside a sync '${ev}' listener`, async () => {
    const srv = createServer((c) => { c.on("error", () => {}); setTimeout(() => c.destroy(), 20) }); await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()))
    const s = new z.Stream({ reconnectInterval: 20 })
    ;(s.events as any).on(ev, () => s.close())
    s.connect(`tcp://127.0.0.1:${(srv.address() as any).port}`, { routingId: "r" })
    await s.send(["r", "queued"]).catch(() => {})
    await sleep(300)
    console.log("connect", ev, "closed", s.closed, "errors", errors.length, errors.map(String).slice(0, 2)); if (!s.closed) s.close(); srv.close()
  })
}
it("no errors", () => expect(errors).toEqual([]))
