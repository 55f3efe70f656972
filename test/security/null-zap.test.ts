/**
 * ZAP (RFC 27) for the NULL mechanism (RFC 23), as libzmq 4.3.5 does it (null_mechanism.cpp):
 * a NULL socket asks its ZAP handler only when zapDomain is set; the request names mechanism
 * "NULL" and carries no credentials; with no handler bound the peer is accepted; a 400/500 is
 * answered with an ERROR carrying the status, which the peer reports as handshake:error:auth.
 * The handler of a zmtp socket is a zmtp Router, that of a libzmq socket a zeromq.js Router: each
 * library has its own inproc transport.
 */
import { describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import { decodeCommand, encodeReady } from "../../src/codec/command.js"
import { NullMechanism } from "../../src/mechanisms/null.js"
import { Dealer, Router } from "../../src/index.js"
import { closeAfterEach, describeLibzmq, nothingArrives, strs, within } from "../helpers.js"
import { bindLibzmqZap, nextEvent, startZapHandler } from "./helpers.js"

const track = closeAfterEach()

/**
 * A libzmq ZAP handler (zeromq.js Router at inproc://zeromq.zap.01) answering `status`; records the
 * request frames after the routing id.
 */
async function startLibzmqZapHandler(status: "200" | "400") {
  const handler = new zmq.Router()
  try {
    await bindLibzmqZap(handler)
  } catch (e) {
    handler.close()
    throw e
  }
  const seen: Buffer[][] = []
  void (async () => {
    for await (const [id, ...req] of handler) {
      seen.push(req)
      await handler.send([id!, req[0]!, "1.0", req[2]!, status, status === "200" ? "OK" : "denied", "", ""])
    }
  })().catch(() => {})
  return { seen, close: () => handler.close() }
}

/** A round trip DEALER -> ROUTER -> DEALER. */
async function roundTrip(dealer: { send(m: string): Promise<void>; receive(): Promise<Buffer[]> }, router: { receive(): Promise<Buffer[]>; send(m: (Buffer | string)[]): Promise<void> }) {
  await dealer.send("hello")
  const [id, body] = await within(router.receive(), 3000)
  expect(body!.toString()).toBe("hello")
  await router.send([id!, "world"])
  expect(strs(await within(dealer.receive(), 3000))).toEqual(["world"])
}

describe("NullMechanism with a ZAP domain (pure state machine)", () => {
  const props = [["Socket-Type", "ROUTER"]] as const
  const ctx = { domain: "d", address: "127.0.0.1", identity: Buffer.from("me") }
  const peerReady = decodeCommand(encodeReady([["Socket-Type", "DEALER"]]).subarray(2))

  it("asks before sending its READY and keeps a READY that arrives meanwhile", () => {
    // libzmq next_handshake_command sends the ZAP request first and holds READY until the reply.
    const m = new NullMechanism(props, ctx)
    const first = m.start()
    expect(first.send).toBeUndefined()
    expect(strs(first.zap!)).toEqual(["d", "127.0.0.1", "me", "NULL"])
    expect(m.onCommand(peerReady)).toEqual({})
    const ok = m.onZapReply([Buffer.from("200"), Buffer.from("OK"), Buffer.alloc(0), Buffer.alloc(0)])
    expect(ok.send).toHaveLength(1)
    expect(ok.done?.get("socket-type")?.toString()).toBe("DEALER")
  })

  it("a refusal before the peer's READY sends ERROR and fails once that READY is in", () => {
    const m = new NullMechanism(props, ctx)
    m.start()
    const refused = m.onZapReply([Buffer.from("500"), Buffer.from("no"), Buffer.alloc(0), Buffer.alloc(0)])
    expect(refused.fail).toBeUndefined()
    expect(decodeCommand(refused.send![0]!.subarray(2)).name).toBe("ERROR")
    expect(m.onCommand(peerReady).fail).toMatchObject({ status: 500 })
  })

  it("an empty domain never asks", () => {
    expect(new NullMechanism(props, { ...ctx, domain: "" }).start().zap).toBeUndefined()
  })
})

describe("NULL with ZAP between zmtp sockets", () => {
  it("zapDomain set and a handler that accepts: the RFC 27 request names NULL, then messages flow", async () => {
    const zap = track(await startZapHandler(() => "200"))
    const router = track(new Router({ zapDomain: "global", routingId: "srv" }))
    await router.bind("tcp://127.0.0.1:*")
    const dealer = track(new Dealer())
    dealer.connect(router.lastEndpoint!)
    await roundTrip(dealer, router)
    // Only the side with a domain asks (libzmq zap_required: domain not empty): one request.
    expect(zap.seen).toHaveLength(1)
    expect(zap.seen[0]).toEqual({
      version: "1.0",
      requestId: zap.seen[0]!.requestId,
      domain: "global",
      address: "127.0.0.1",
      identity: "srv",
      mechanism: "NULL",
      credentials: [],
    })
  })

  it("a handler that denies (400): handshake:error:auth on both sides, nothing delivered", async () => {
    track(await startZapHandler(() => "400"))
    const router = track(new Router({ zapDomain: "global" }))
    await router.bind("tcp://127.0.0.1:*")
    const serverAuth = nextEvent(router, "handshake:error:auth")
    const dealer = track(new Dealer({ reconnectInterval: 10000 }))
    // The server's ERROR "400" is a ZAP status: the client reports an auth failure too
    // (libzmq mechanism_base_t::handle_error_reason).
    const clientAuth = nextEvent(dealer, "handshake:error:auth")
    dealer.connect(router.lastEndpoint!)
    void dealer.send("must not arrive").catch(() => {})
    const [s, c] = await Promise.all([serverAuth, clientAuth])
    expect((s.error as { status?: number }).status).toBe(400)
    expect((c.error as { status?: number }).status).toBe(400)
    expect(await nothingArrives(router)).toBe(true)
  })

  it("a temporary refusal (300) sends no ERROR but still fails the server's handshake", async () => {
    track(await startZapHandler(() => "300"))
    const router = track(new Router({ zapDomain: "global" }))
    await router.bind("tcp://127.0.0.1:*")
    const serverAuth = nextEvent(router, "handshake:error:auth")
    const dealer = track(new Dealer({ reconnectInterval: 10000 }))
    dealer.connect(router.lastEndpoint!)
    void dealer.send("must not arrive").catch(() => {})
    expect(((await serverAuth).error as { status?: number }).status).toBe(300)
    expect(await nothingArrives(router)).toBe(true)
  })

  it("zapDomain set without a handler bound: accepted (ZMQ_ZAP_ENFORCE_DOMAIN is off by default)", async () => {
    const router = track(new Router({ zapDomain: "global" }))
    await router.bind("tcp://127.0.0.1:*")
    const dealer = track(new Dealer())
    dealer.connect(router.lastEndpoint!)
    await roundTrip(dealer, router)
  })

  it("zapDomain empty: the handler is never asked, even one that would deny", async () => {
    const zap = track(await startZapHandler(() => "400"))
    const router = track(new Router())
    await router.bind("tcp://127.0.0.1:*")
    const dealer = track(new Dealer())
    dealer.connect(router.lastEndpoint!)
    await roundTrip(dealer, router)
    expect(zap.seen).toHaveLength(0)
  })
})

describeLibzmq("NULL with ZAP against libzmq (zeromq.js)", () => {
  it("libzmq with zapDomain and no handler bound accepts the peer, as zmtp does", async () => {
    // First in this block: no libzmq handler of an earlier test can still be registered.
    // libzmq 4.3.5 null_mechanism_t: zap_connect fails and zap_enforce_domain is off -> READY.
    const router = track(new zmq.Router({ zapDomain: "global" }))
    await router.bind("tcp://127.0.0.1:*")
    const dealer = track(new Dealer())
    dealer.connect(router.lastEndpoint!)
    await roundTrip(dealer, router)
  })

  it("libzmq server with zapDomain and a libzmq handler that accepts lets a zmtp client in", async () => {
    const zap = track(await startLibzmqZapHandler("200"))
    const router = track(new zmq.Router({ zapDomain: "global", routingId: "lz" }))
    await router.bind("tcp://127.0.0.1:*")
    const dealer = track(new Dealer())
    dealer.connect(router.lastEndpoint!)
    await roundTrip(dealer, router)
    // libzmq's request: "", "1.0", request id, domain, address, identity, "NULL", no credentials.
    expect(zap.seen).toHaveLength(1)
    const [delim, version, , domain, address, identity, mechanism, ...credentials] = zap.seen[0]!
    expect(delim!.length).toBe(0)
    expect(strs([version!, domain!, address!, identity!, mechanism!])).toEqual(["1.0", "global", "127.0.0.1", "lz", "NULL"])
    expect(credentials).toHaveLength(0)
  })

  it("libzmq server with zapDomain and a libzmq handler that denies a zmtp client: both sides fail", async () => {
    track(await startLibzmqZapHandler("400"))
    const router = track(new zmq.Router({ zapDomain: "global" }))
    await router.bind("tcp://127.0.0.1:*")
    const serverAuth = nextEvent(router as never, "handshake:error:auth")
    const dealer = track(new Dealer({ reconnectInterval: 10000 }))
    const clientAuth = nextEvent(dealer, "handshake:error:auth")
    dealer.connect(router.lastEndpoint!)
    void dealer.send("must not arrive").catch(() => {})
    const [, c] = await Promise.all([serverAuth, clientAuth])
    expect((c.error as { status?: number }).status).toBe(400)
    expect(await nothingArrives(router)).toBe(true)
  })

  it("zmtp server with zapDomain and a zmtp handler that accepts lets a libzmq client in", async () => {
    const zap = track(await startZapHandler(() => "200"))
    const router = track(new Router({ zapDomain: "global" }))
    await router.bind("tcp://127.0.0.1:*")
    const dealer = track(new zmq.Dealer())
    dealer.connect(router.lastEndpoint!)
    await roundTrip(dealer, router)
    expect(zap.seen.map((r) => r.mechanism)).toEqual(["NULL"])
  })

  it("zmtp server with zapDomain and a zmtp handler that denies a libzmq client: both sides fail", async () => {
    track(await startZapHandler(() => "400"))
    const router = track(new Router({ zapDomain: "global" }))
    await router.bind("tcp://127.0.0.1:*")
    const serverAuth = nextEvent(router, "handshake:error:auth")
    const dealer = track(new zmq.Dealer({ reconnectInterval: 10000 }))
    // libzmq's NULL mechanism reads the ERROR "400" as a ZAP failure (handshake:error:auth).
    const clientAuth = nextEvent(dealer as never, "handshake:error:auth")
    dealer.connect(router.lastEndpoint!)
    void dealer.send("must not arrive").catch(() => {})
    const [s] = await Promise.all([serverAuth, clientAuth])
    expect((s.error as { status?: number }).status).toBe(400)
    expect(await nothingArrives(router)).toBe(true)
  })
})
