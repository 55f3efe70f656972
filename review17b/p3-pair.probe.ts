// Pair: second peer, first leaving and coming back, connect-side reconnect, bound+connected.
import { describe, expect, it } from "vitest"
import { Pair } from "../src/index.js"
import { closeAll, freeTcpPort, sleep, until } from "../test/helpers.js"

const msgs = async (p: Pair, ms = 300) => {
  const out: string[] = []
  p.receiveTimeout = ms
  try { for (;;) out.push((await p.receive())[0]!.toString()) } catch {}
  p.receiveTimeout = -1
  return out
}

describe("pair", () => {
  it("first peer leaves, comes back as a new connection: it is the peer again", async () => {
    const pair = new Pair(); await pair.bind("tcp://127.0.0.1:*")
    const a = new Pair(); a.connect(pair.lastEndpoint!)
    await a.send("a1"); expect(await msgs(pair)).toEqual(["a1"])
    a.close()
    await sleep(100)
    const a2 = new Pair(); a2.connect(pair.lastEndpoint!)
    await a2.send("a2")
    expect(await msgs(pair, 1000)).toEqual(["a2"])
    await pair.send("back")
    expect(await msgs(a2, 1000)).toEqual(["back"])
    closeAll(pair, a2)
  })
  it("second peer while first there; first leaves; second stays ignored; third takes over", async () => {
    const pair = new Pair(); await pair.bind("tcp://127.0.0.1:*")
    const a = new Pair(); a.connect(pair.lastEndpoint!)
    await a.send("a"); expect(await msgs(pair)).toEqual(["a"])
    const b = new Pair(); b.connect(pair.lastEndpoint!)
    b.sendTimeout = 200
    await b.send("b").catch(() => {})
    await pair.send("toA")
    expect(await msgs(a)).toEqual(["toA"])
    expect(await msgs(pair)).toEqual([])
    a.close(); await sleep(100)
    const pa = pair.send("after-a")
    const c = new Pair(); c.connect(pair.lastEndpoint!)
    const gotc = await msgs(c, 1000), gotb = await msgs(b); await pa
    console.log("c", gotc, "b", gotb)
    expect(gotc).toEqual(["after-a"])
    expect(gotb).toEqual([])
    closeAll(pair, b, c)
  })
  it("connect-side Pair reconnects to a restarted bound Pair; queued message delivered once", async () => {
    const port = await freeTcpPort()
    const ep = `tcp://127.0.0.1:${port}`
    let srv = new Pair(); await srv.bind(ep)
    const cli = new Pair({ reconnectInterval: 20 }); cli.connect(ep)
    await cli.send("1"); expect(await msgs(srv)).toEqual(["1"])
    srv.close(); await sleep(100)
    await cli.send("2")
    srv = new Pair(); await srv.bind(ep)
    expect(await msgs(srv, 1500)).toEqual(["2"])
    await srv.send("r"); expect(await msgs(cli, 1000)).toEqual(["r"])
    closeAll(srv, cli)
  })
  it("Pair bound and connected at once: the connect is the peer", async () => {
    const x = new Pair(); await x.bind("tcp://127.0.0.1:*")
    const p = new Pair(); await p.bind("tcp://127.0.0.1:*")
    p.connect(x.lastEndpoint!)
    const y = new Pair(); y.connect(p.lastEndpoint!)
    await sleep(200)
    await p.send("hi")
    expect(await msgs(x)).toEqual(["hi"])
    expect(await msgs(y)).toEqual([])
    closeAll(x, p, y)
  })
  it("Pair connected to two endpoints, first down: sends wait for the first, second ignored", async () => {
    const port = await freeTcpPort()
    const p = new Pair({ reconnectInterval: 20 })
    const x = new Pair(); await x.bind("tcp://127.0.0.1:*")
    p.connect(`tcp://127.0.0.1:${port}`); p.connect(x.lastEndpoint!)
    await p.send("q")
    await sleep(100)
    expect(await msgs(x)).toEqual([])
    const d = new Pair(); await d.bind(`tcp://127.0.0.1:${port}`)
    expect(await msgs(d, 1000)).toEqual(["q"])
    closeAll(p, x, d)
  })
})
