/**
 * Adversarial review of issue 17 (Stream; backlog, tcpKeepalive, ipv6, SOCKS5, zapEnforceDomain):
 * each test here failed on the code as it was handed over (see the commit that added it, before the
 * fix). The probe scripts that found them are in review17/ (`npx vitest run -c review17/vitest.config.ts`).
 */
import { connect as netConnect, createServer, type Server, type Socket as NetSocket } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { Stream } from "../../src/index.js"
import { closeAfterEach, sleep, strs } from "../helpers.js"

const track = closeAfterEach()
const servers: { srv: Server; conns: NetSocket[] }[] = []
afterEach(() => {
  for (const s of servers.splice(0)) {
    for (const c of s.conns) c.destroy()
    s.srv.close()
  }
})

/** A plain TCP server on loopback that answers each chunk with `${tag}:${chunk}`. */
async function echoServer(tag: string): Promise<{ endpoint: string; conns: NetSocket[] }> {
  const conns: NetSocket[] = []
  const srv = createServer((c) => {
    conns.push(c)
    c.on("error", () => {})
    c.on("data", (d) => c.write(`${tag}:${d}`))
  })
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()))
  servers.push({ srv, conns })
  return { endpoint: `tcp://127.0.0.1:${(srv.address() as { port: number }).port}`, conns }
}

/** Connects `s` to A then to B with the same routing id; returns what it receives after both peers spoke. */
async function duplicateId(s: Stream, a: { endpoint: string }, b: { endpoint: string; conns: NetSocket[] }): Promise<{ got: string[]; refused?: string }> {
  s.receiveTimeout = 300
  s.connect(a.endpoint, { routingId: "x" })
  let refused: string | undefined
  try {
    s.connect(b.endpoint, { routingId: "x" })
  } catch (e) {
    refused = (e as { code?: string }).code
  }
  await sleep(200)
  for (const c of b.conns) c.write("fromB")
  await s.send(["x", "hi"])
  const got: string[] = []
  for (;;) {
    try {
      got.push(strs(await s.receive()).join("|"))
    } catch {
      break
    }
  }
  return { got, refused }
}

describe("Stream connect side", () => {
  it("after [id, ''] ended a connect, connect() to the same address makes a new connection (libzmq: it does)", async () => {
    // review17/p6-reconnect-after-close.probe.ts: zeromq.js gets the second connection's notify and
    // its echo; zmtp's connect() was a silent no-op (the stopped connecter stayed registered).
    const server = await echoServer("A")
    const s = track(new Stream())
    s.receiveTimeout = 2000
    s.connect(server.endpoint, { routingId: "one" })
    expect(strs(await s.receive())).toEqual(["one", ""])
    await s.send(["one", "a"])
    expect(strs(await s.receive())).toEqual(["one", "A:a"])
    await s.send(["one", ""])
    await sleep(100)
    s.connect(server.endpoint, { routingId: "two" })
    expect(strs(await s.receive())).toEqual(["two", ""])
    await s.send(["two", "b"])
    expect(strs(await s.receive())).toEqual(["two", "A:b"])
    expect(server.conns.length).toBe(2)
    // The endpoint is still known, as in libzmq.
    s.disconnect(server.endpoint)
  })

  it("a second connect with a routing id in use is refused (EINVAL) and never hands its peer's bytes out under the first peer's id", async () => {
    // review17/p7-dup.probe.ts: zmtp delivered B's bytes as ["x", "fromB"] while replies to "x" went
    // to A (libzmq asserts on a duplicate connect routing id: stream.cpp identify_peer).
    const a = await echoServer("A")
    const b = await echoServer("B")
    const { got, refused } = await duplicateId(track(new Stream()), a, b)
    expect(refused).toBe("EINVAL")
    expect(got.filter((m) => m.includes("fromB"))).toEqual([])
    expect(got).toContain("x|A:hi")
  })

  it("with immediate (no pipe before the connection is up) the duplicate is refused at its connection: its bytes never appear under the first peer's id", async () => {
    const a = await echoServer("A")
    const b = await echoServer("B")
    const { got } = await duplicateId(track(new Stream({ immediate: true, reconnectInterval: 50 })), a, b)
    expect(got.filter((m) => m.includes("fromB"))).toEqual([])
    expect(got).toContain("x|A:hi")
  })
})

/** A plain client connected to a bound tcp endpoint. */
async function plainClient(endpoint: string): Promise<NetSocket> {
  const c = netConnect({ host: "127.0.0.1", port: Number(endpoint.slice(endpoint.lastIndexOf(":") + 1)) })
  c.on("error", () => {})
  await new Promise<void>((r) => c.once("connect", () => r()))
  return c
}

describe("Stream receive side", () => {
  it("a received routing id is the application's: changing it changes no later message's id (zeromq.js: each frame is its own buffer)", async () => {
    // review17/p8-notify-late.probe.ts: zmtp handed every message of a connection the same id
    // buffer (Pipe.inboundPrefix), so filling one received id rewrote the ids of all later ones.
    const s = track(new Stream())
    await s.bind("tcp://127.0.0.1:*")
    const c = await plainClient(s.lastEndpoint!)
    try {
      s.receiveTimeout = 2000
      const [id1, data1] = await s.receive()
      expect(data1!.length).toBe(0)
      const original = Buffer.from(id1!)
      id1!.fill(0x41)
      c.write("x")
      const [id2, data2] = await s.receive()
      expect(String(data2)).toBe("x")
      expect(id2!.equals(original)).toBe(true)
      // And the connection is still routed by its real id.
      await s.send([original, "reply"])
      await new Promise<void>((r) => c.once("data", () => r()))
    } finally {
      c.destroy()
    }
  })

  it("notify is read at bind, as libzmq's listener copies its options: set false after bind, that endpoint still announces connections", async () => {
    // review17/p8-notify-late.probe.ts: zeromq.js's first message is the notify [id, ""]; zmtp's
    // was the data (it read the option at each accept).
    const s = track(new Stream())
    await s.bind("tcp://127.0.0.1:*")
    s.notify = false
    const c = await plainClient(s.lastEndpoint!)
    try {
      c.write("x")
      s.receiveTimeout = 2000
      const [, first] = await s.receive()
      expect(first!.length).toBe(0)
    } finally {
      c.destroy()
    }
  })
})
