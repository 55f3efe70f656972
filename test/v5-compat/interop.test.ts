/**
 * zmtp's v5-compat sockets talking to libzmq through zeromq.js's v6 API, both directions (each
 * side binding in turn), tcp and ipc: the v5 layer changes nothing on the wire.
 */
import * as zeromq from "zeromq"
import { afterAll, describe, expect, it } from "vitest"
import * as zmq from "../../src/v5-compat.js"
import { cleanupIpc, ipcEndpoint, sleep, transports } from "../helpers.js"
import { bound, closeAfterEach, messages } from "./libs.js"

afterAll(cleanupIpc)

const address = (t: "tcp" | "ipc") => (t === "tcp" ? "tcp://127.0.0.1:*" : ipcEndpoint())

describe.each(transports)("v5-compat (zmtp) with zeromq.js v6 (libzmq) over %s", (transport) => {
  const track = closeAfterEach()
  const libzmq: { close(): void; closed: boolean; linger: number }[] = []
  const v6 = <T extends { close(): void; closed: boolean; linger: number }>(s: T): T => (libzmq.push(s), s)
  afterAll(() => {
    for (const s of libzmq) if (!s.closed) (s.linger = 0), s.close()
  })

  it("a v5 req against a libzmq rep, the v5 side connecting", async () => {
    const rep = v6(new zeromq.Reply())
    await rep.bind(address(transport))
    const req = track(zmq.socket("req"))
    req.connect(rep.lastEndpoint!)
    void (async () => {
      for await (const [m] of rep) await rep.send(`${m} back`)
    })().catch(() => {})
    const replies = messages(req, 3)
    for (const m of ["a", "b", "c"]) req.send(m)
    expect(await replies).toEqual([["a back"], ["b back"], ["c back"]])
  })

  it("a v5 router serving libzmq dealers, the v5 side binding, multipart both ways", async () => {
    const router = track(zmq.socket("router"))
    await bound(router, address(transport))
    router.on("message", (id: Buffer, ...rest: Buffer[]) => router.send([id, "echo", ...rest]))
    const dealer = v6(new zeromq.Dealer({ routingId: "d1" }))
    dealer.connect(router.last_endpoint)
    await dealer.send(["x", "y"])
    const [a, b, c] = await dealer.receive()
    expect([a, b, c].map(String)).toEqual(["echo", "x", "y"])
  })

  it("a v5 sub (with a filter) under a libzmq pub, and a v5 pub to a libzmq sub", async () => {
    const pub = v6(new zeromq.Publisher())
    await pub.bind(address(transport))
    const sub = track(zmq.socket("sub"))
    sub.subscribe("weather")
    sub.connect(pub.lastEndpoint!)
    const got: string[] = []
    sub.on("message", (m: Buffer) => got.push(m.toString()))
    while (got.length === 0) {
      await pub.send("weather warm-up")
      await pub.send("sports nope")
      await sleep(10)
    }
    expect(got.every((m) => m.startsWith("weather"))).toBe(true)

    const zpub = track(zmq.socket("pub"))
    await bound(zpub, address(transport))
    const zsub = v6(new zeromq.Subscriber())
    zsub.subscribe("a")
    zsub.connect(zpub.last_endpoint)
    zsub.receiveTimeout = 20
    let first: string | undefined
    while (first === undefined) {
      zpub.send(["b", "dropped"])
      zpub.send(["a", "kept"])
      first = await zsub.receive().then((m) => m.map(String).join("|"), () => undefined)
    }
    expect(first).toBe("a|kept")
  })

  it("a v5 xpub sees a libzmq sub's subscription as a message", async () => {
    const xpub = track(zmq.socket("xpub"))
    await bound(xpub, address(transport))
    const subs = messages(xpub, 1)
    const sub = v6(new zeromq.Subscriber())
    sub.connect(xpub.last_endpoint)
    sub.subscribe("topic")
    const [[m]] = await subs
    expect(m).toBe("\u0001topic")
  })
})
