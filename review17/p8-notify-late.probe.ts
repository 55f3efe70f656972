// Probe: notify changed after bind (libzmq's listener copied its options at bind); a received id mutated.
import { it } from "vitest"
import { connect } from "node:net"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
for (const [name, lib] of [["zmtp", z], ["zeromq.js", zmq]] as const) {
  it(`${name}: notify set false after bind`, async () => {
    const s = new (lib as any).Stream(); await s.bind("tcp://127.0.0.1:*")
    s.notify = false
    const ep = s.lastEndpoint; const c = connect({ host: "127.0.0.1", port: Number(ep.slice(ep.lastIndexOf(":") + 1)) })
    c.on("error", () => {}); await new Promise((r) => c.once("connect", r)); c.write("x")
    s.receiveTimeout = 500
    const m = await s.receive()
    let second = "none"; try { c.write("y"); const m2 = await s.receive(); second = String(m2[1]); const id2 = m2[0]; m[0].fill(0x41); c.write("z"); const m3 = await s.receive(); second += ` id-after-mutating-first: ${m3[0].toString("hex")} vs ${id2.toString("hex")}` } catch (e: any) { second = e.code }
    console.log(name, "notify false after bind: first message", JSON.stringify(String(m[1])), "then", second)
    c.destroy(); s.close()
  })
}
