/**
 * CURVE (RFC 25 over RFC 26) between zmtp sockets and against libzmq (zeromq.js in process), with and
 * without a ZAP handler (RFC 27): handshakes, encrypted traffic both ways, refusals.
 */
import { describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import { Dealer, Reply, Request, Router } from "../../src/index.js"
import { curveKeyPair } from "../../src/mechanisms/curve-keys.js"
import { z85Decode } from "../../src/mechanisms/z85.js"
import { closeAfterEach, describeLibzmq, nothingArrives, strs, within } from "../helpers.js"
import { bindLibzmqZap, nextEvent, startZapHandler } from "./helpers.js"

const track = closeAfterEach()

const server = curveKeyPair()
const client = curveKeyPair()
const clientOpts = { curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey }
const serverOpts = { curveServer: true, curveSecretKey: server.secretKey }

describe("CURVE between zmtp sockets", () => {
  it("REQ/REP without a ZAP handler: encrypted, unauthenticated (libzmq's Stonehouse default)", async () => {
    const rep = track(new Reply(serverOpts))
    await rep.bind("tcp://127.0.0.1:*")
    const req = track(new Request(clientOpts))
    expect(req.securityMechanism).toBe("curve")
    expect(rep.curveServer).toBe(true)
    req.connect(rep.lastEndpoint!)
    await req.send("hello")
    expect(strs(await within(rep.receive(), 3000))).toEqual(["hello"])
    await rep.send(["multi", "", "part"])
    expect(strs(await within(req.receive(), 3000))).toEqual(["multi", "", "part"])
  })

  it("keys given as 32-octet buffers work like Z85 strings and read back as Z85", async () => {
    const rep = track(new Reply({ curveServer: true, curveSecretKey: z85Decode(server.secretKey) }))
    expect(rep.curveSecretKey).toBe(server.secretKey)
    await rep.bind("tcp://127.0.0.1:*")
    const req = track(
      new Request({ curveServerKey: z85Decode(server.publicKey), curvePublicKey: z85Decode(client.publicKey), curveSecretKey: z85Decode(client.secretKey) }),
    )
    req.connect(rep.lastEndpoint!)
    await req.send("x")
    expect(strs(await within(rep.receive(), 3000))).toEqual(["x"])
  })

  it("DEALER/ROUTER with a ZAP handler: the handler gets the client's public key; large and many messages pass", async () => {
    const zap = track(await startZapHandler((r) => (r.credentials[0]!.equals(z85Decode(client.publicKey)) ? "200" : "400")))
    const router = track(new Router({ ...serverOpts, zapDomain: "test" }))
    await router.bind("tcp://127.0.0.1:*")
    const dealer = track(new Dealer({ ...clientOpts, routingId: "d1" }))
    dealer.connect(router.lastEndpoint!)
    const big = Buffer.alloc(3 * 1024 * 1024, 7)
    await dealer.send(["big", big])
    const [id, name, body] = await within(router.receive(), 5000)
    expect(id!.toString()).toBe("d1")
    expect(name!.toString()).toBe("big")
    expect(body!.equals(big)).toBe(true)
    for (let i = 0; i < 200; i++) await router.send([id!, String(i)])
    for (let i = 0; i < 200; i++) expect(strs(await within(dealer.receive(), 3000))).toEqual([String(i)])
    expect(zap.seen[0]).toMatchObject({ mechanism: "CURVE", domain: "test" })
    expect(zap.seen[0]!.credentials).toHaveLength(1)
  })

  it("a client the ZAP handler refuses fails on both sides with handshake:error:auth", async () => {
    track(await startZapHandler(() => "400"))
    const rep = track(new Reply(serverOpts))
    await rep.bind("tcp://127.0.0.1:*")
    const s = nextEvent(rep, "handshake:error:auth")
    const req = track(new Request({ ...clientOpts, reconnectInterval: 10000 }))
    const c = nextEvent(req, "handshake:error:auth")
    req.connect(rep.lastEndpoint!)
    void req.send("no").catch(() => {})
    const [se, ce] = await Promise.all([s, c])
    expect((se.error as { status?: number }).status).toBe(400)
    expect((ce.error as { status?: number }).status).toBe(400)
    expect(await nothingArrives(rep)).toBe(true)
  })

  it("a client with the wrong server key fails the handshake; nothing is delivered", async () => {
    const rep = track(new Reply(serverOpts))
    await rep.bind("tcp://127.0.0.1:*")
    const s = nextEvent(rep, "handshake:error:protocol")
    const req = track(new Request({ ...clientOpts, curveServerKey: curveKeyPair().publicKey, reconnectInterval: 10000 }))
    req.connect(rep.lastEndpoint!)
    void req.send("no").catch(() => {})
    expect((await s).error).toMatchObject({ code: "ERR_ZMTP_CRYPTOGRAPHIC" })
    expect(await nothingArrives(rep)).toBe(true)
  })
})

describeLibzmq("CURVE against libzmq (zeromq.js)", () => {
  it("zmtp client -> libzmq server (REQ/REP), both directions encrypted", async () => {
    const rep = track(new zmq.Reply(serverOpts))
    await rep.bind("tcp://127.0.0.1:*")
    const req = track(new Request(clientOpts))
    req.connect(rep.lastEndpoint!)
    await req.send(["a", "b"])
    expect(strs(await within(rep.receive(), 3000))).toEqual(["a", "b"])
    await rep.send("c")
    expect(strs(await within(req.receive(), 3000))).toEqual(["c"])
  })

  it("libzmq client -> zmtp server (DEALER/ROUTER) with a zmtp ZAP handler", async () => {
    const zap = track(await startZapHandler(() => "200"))
    const router = track(new Router(serverOpts))
    await router.bind("tcp://127.0.0.1:*")
    const dealer = track(new zmq.Dealer({ ...clientOpts, routingId: "L" }))
    dealer.connect(router.lastEndpoint!)
    const big = Buffer.alloc(300 * 1024, 3)
    await dealer.send(["x", big])
    const [id, x, b] = await within(router.receive(), 3000)
    expect(id!.toString()).toBe("L")
    expect(x!.toString()).toBe("x")
    expect(b!.equals(big)).toBe(true)
    await router.send([id!, "y", ""])
    expect(strs(await within(dealer.receive(), 3000))).toEqual(["y", ""])
    expect(zap.seen[0]!.credentials[0]!.equals(z85Decode(client.publicKey))).toBe(true)
  })

  it("zmtp client -> libzmq server with a libzmq ZAP handler that refuses: auth events on both sides", async () => {
    const handler = track(new zmq.Router())
    await bindLibzmqZap(handler)
    void (async () => {
      for await (const [id, delim, , reqId] of handler) await handler.send([id!, delim!, "1.0", reqId!, "400", "no", "", ""])
    })().catch(() => {})
    const rep = track(new zmq.Reply(serverOpts))
    await rep.bind("tcp://127.0.0.1:*")
    const s = nextEvent(rep as never, "handshake:error:auth")
    const req = track(new Request({ ...clientOpts, reconnectInterval: 10000 }))
    const c = nextEvent(req, "handshake:error:auth")
    req.connect(rep.lastEndpoint!)
    void req.send("no").catch(() => {})
    const [, ce] = await Promise.all([s, c])
    expect((ce.error as { status?: number }).status).toBe(400)
  })

  it("libzmq client refused by a zmtp ZAP handler: auth events on both sides", async () => {
    track(await startZapHandler(() => "400"))
    const rep = track(new Reply(serverOpts))
    await rep.bind("tcp://127.0.0.1:*")
    const s = nextEvent(rep, "handshake:error:auth")
    const req = track(new zmq.Request(clientOpts))
    const c = nextEvent(req as never, "handshake:error:auth")
    req.connect(rep.lastEndpoint!)
    void req.send("no").catch(() => {})
    const [, ce] = await Promise.all([s, c])
    expect((ce.error as { status?: number }).status).toBe(400)
    expect(await nothingArrives(rep)).toBe(true)
  })

  it("a libzmq client with the wrong server key never gets through to zmtp", async () => {
    const rep = track(new Reply(serverOpts))
    await rep.bind("tcp://127.0.0.1:*")
    const s = nextEvent(rep, "handshake:error:protocol")
    const req = track(new zmq.Request({ ...clientOpts, curveServerKey: zmq.curveKeyPair().publicKey }))
    req.connect(rep.lastEndpoint!)
    void req.send("no").catch(() => {})
    await s
    expect(await nothingArrives(rep)).toBe(true)
  })

  it("heartbeats travel boxed: a zmtp client pinging a libzmq server keeps the connection", async () => {
    const rep = track(new zmq.Reply({ ...serverOpts, heartbeatInterval: 20 }))
    await rep.bind("tcp://127.0.0.1:*")
    const req = track(new Request({ ...clientOpts, heartbeatInterval: 20, heartbeatTimeout: 200 }))
    let disconnects = 0
    req.events.on("disconnect", () => disconnects++)
    req.connect(rep.lastEndpoint!)
    await req.send("1")
    await within(rep.receive(), 3000)
    await new Promise((r) => setTimeout(r, 300))
    await rep.send("2")
    expect(strs(await within(req.receive(), 3000))).toEqual(["2"])
    expect(disconnects).toBe(0)
  })
})
