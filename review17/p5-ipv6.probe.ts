// Probe: ipv6/backlog/keepalive side by side.
import { it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const libs = [["zmtp", z], ["zeromq.js", zmq]] as const
async function tryExchange(lib: any, serverOpts: any, bindAddr: string, clientOpts: any, host: string) {
  const r = new lib.Router(serverOpts); const d = new lib.Dealer(clientOpts)
  let out = ""
  try {
    await r.bind(bindAddr)
    const ep = r.lastEndpoint; const port = ep.slice(ep.lastIndexOf(":") + 1)
    out += ep.replace(/:\d+$/, ":P") + " "
    d.connect(`tcp://${host}:${port}`)
    await d.send("x"); r.receiveTimeout = 1000
    const [, m] = await r.receive(); out += "ok:" + m.toString()
  } catch (e: any) { out += "ERR " + e.code }
  d.close(); r.close()
  return out
}
for (const [name, lib] of libs) {
  it(`${name}: ipv6 binds and connects`, async () => {
    const rows: string[] = []
    for (const [b, bo, co, h] of [
      ["tcp://*:*", { ipv6: true }, {}, "127.0.0.1"],
      ["tcp://*:*", { ipv6: true }, { ipv6: true }, "[::1]"],
      ["tcp://*:*", { ipv6: true }, { ipv6: true }, "127.0.0.1"],
      ["tcp://*:*", {}, {}, "[::1]"],
      ["tcp://*:*", {}, { ipv6: true }, "localhost"],
      ["tcp://*:*", { ipv6: true }, {}, "localhost"],
      ["tcp://127.0.0.1:*", { ipv6: true }, {}, "127.0.0.1"],
      ["tcp://[::1]:*", {}, { ipv6: true }, "[::1]"],
      ["tcp://[::1]:*", {}, {}, "[::1]"],
      ["tcp://localhost:*", { ipv6: true }, { ipv6: true }, "localhost"],
    ] as const) rows.push(`${b} ${JSON.stringify(bo)} -> ${JSON.stringify(co)} ${h}: ` + (await tryExchange(lib, bo, b, co, h)))
    console.log(name + "\n  " + rows.join("\n  "))
  })
  it(`${name}: bad values`, async () => {
    const rows: string[] = []
    for (const [k, v] of [["ipv6", 2], ["ipv6", "yes"], ["ipv6", 1], ["backlog", -1], ["backlog", 0], ["backlog", 2 ** 31], ["tcpKeepalive", 2], ["tcpKeepalive", -2], ["tcpKeepaliveIdle", -2], ["tcpKeepaliveIdle", 0], ["tcpKeepaliveCount", -2], ["tcpKeepaliveInterval", 0], ["zapEnforceDomain", 1], ["zapEnforceDomain", "x"], ["socksProxy", ""], ["socksProxy", 5], ["socksProxy", null]] as const) {
      const s = new (lib as any).Dealer()
      let r: string
      try { (s as any)[k] = v; r = "ok -> " + JSON.stringify((s as any)[k]) } catch (e: any) { r = "ERR " + (e.code ?? e.name) + " " + e.message.slice(0, 50) }
      rows.push(`${k}=${JSON.stringify(v)}: ${r}`)
      s.close()
    }
    console.log(name + "\n  " + rows.join("\n  "))
  })
  it(`${name}: ipv6 changed after bind; backlog read`, async () => {
    const r = new (lib as any).Router()
    await r.bind("tcp://*:*")
    r.ipv6 = true
    const ep = r.lastEndpoint; const port = ep.slice(ep.lastIndexOf(":") + 1)
    await r.bind("tcp://*:*")
    const ep2 = r.lastEndpoint
    console.log(name, "after-bind change:", ep.replace(/:\d+$/, ":P"), ep2.replace(/:\d+$/, ":P"), "backlog default", r.backlog, "keepalive", r.tcpKeepalive, r.tcpKeepaliveIdle, r.tcpKeepaliveCount, r.tcpKeepaliveInterval)
    r.close()
  })
}
