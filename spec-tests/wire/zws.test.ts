/**
 * RFC 45 (ZWS 2.0) on the wire, from a raw WebSocket peer (the `ws` library, ZWS frames written by
 * hand): subprotocol negotiation, the "no mechanism" form, flags, commands, refusals. Also the
 * robustness cases of issue 19 item 5: bad handshakes, text and malformed frames, floods, a peer
 * that never reads.
 */
import { Buffer } from "node:buffer"
import http from "node:http"
import net from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { WebSocketServer } from "ws"
import * as z from "../../src/index.js"
import { closeAfterEach, nothingArrives, recordEvents, sleep, until, within } from "../../test/helpers.js"
import { startZapHandler } from "../../test/security/helpers.js"
import { closeRawPeers, rawZws, readyBody, zf } from "../../test/transport/ws-helpers.js"

const track = closeAfterEach()
const cleanups: (() => void)[] = []
afterEach(() => {
  closeRawPeers()
  for (const c of cleanups.splice(0)) c()
})

async function bound<T extends z.Socket>(s: T, path = "/zws"): Promise<T> {
  track(s)
  await s.bind(`ws://127.0.0.1:*${path}`)
  return s
}

describe("RFC 45 Handshake: subprotocol negotiation", () => {
  it('"Server must choose one of the client protocols": the first of the client\'s we speak', async () => {
    const rep = await bound(new z.Reply())
    expect((await rawZws(rep.lastEndpoint!, "ZWS2.0/NULL,ZWS2.0")).protocol).toBe("ZWS2.0/NULL")
    expect((await rawZws(rep.lastEndpoint!, "ZWS2.0, ZWS2.0/NULL")).protocol).toBe("ZWS2.0")
    expect((await rawZws(rep.lastEndpoint!, "bogus, ZWS2.0/PLAIN, ZWS2.0/NULL")).protocol).toBe("ZWS2.0/NULL")
    const plain = await bound(new z.Reply({ plainServer: true }), "/plain")
    expect((await rawZws(plain.lastEndpoint!, "ZWS2.0/NULL,ZWS2.0/PLAIN")).protocol).toBe("ZWS2.0/PLAIN")
  })

  it('zmtp\'s token-safe aliases (a browser cannot offer "/"): ZWS2.0+NULL, ZWS2.0+PLAIN, ZWS2.0+CURVE are chosen as offered and select their mechanism', async () => {
    const rep = await bound(new z.Reply())
    const nul = await rawZws(rep.lastEndpoint!, "ZWS2.0+NULL,ZWS2.0")
    expect(nul.protocol).toBe("ZWS2.0+NULL")
    // The NULL mechanism runs: READY as a command frame, not a routing id.
    expect((await nul.next())[0]).toBe(0x02)
    const plain = await bound(new z.Reply({ plainServer: true }), "/plain")
    expect((await rawZws(plain.lastEndpoint!, "ZWS2.0+NULL,ZWS2.0+PLAIN")).protocol).toBe("ZWS2.0+PLAIN")
    const keys = z.curveKeyPair()
    const curve = await bound(new z.Reply({ curveServer: true, curveSecretKey: keys.secretKey }), "/curve")
    expect((await rawZws(curve.lastEndpoint!, "ZWS2.0+CURVE")).protocol).toBe("ZWS2.0+CURVE")
    // The alias of another mechanism is refused like RFC 45's own name.
    await expect(rawZws(curve.lastEndpoint!, "ZWS2.0+PLAIN,ZWS2.0")).rejects.toThrow(/HTTP 400/)
  })

  it('"If none of the protocols are supported by the server the server should closed the connection (with BAD REQUEST ...)"', async () => {
    const rep = await bound(new z.Reply())
    const events = recordEvents(rep)
    await expect(rawZws(rep.lastEndpoint!, "ZWS1.0,chat")).rejects.toThrow(/HTTP 400/)
    await expect(rawZws(rep.lastEndpoint!, undefined)).rejects.toThrow(/HTTP 400/)
    // A PLAIN server does not take NULL or no mechanism.
    const plain = await bound(new z.Reply({ plainServer: true }), "/plain")
    await expect(rawZws(plain.lastEndpoint!, "ZWS2.0/NULL,ZWS2.0")).rejects.toThrow(/HTTP 400/)
    await until(() => events.filter((e) => e.type === "handshake:error:protocol").length === 2)
    expect(rep.statistics.peers).toBe(0)
  })

  it("a client offers ZWS2.0/NULL then ZWS2.0 (as libzmq), the path and host of its endpoint, and refuses a protocol it did not offer", async () => {
    const server = http.createServer()
    const wss = new WebSocketServer({ noServer: true })
    const seen: { protocol?: string; url?: string; host?: string }[] = []
    let answer = "ZWS2.0/PLAIN"
    server.on("upgrade", (req, sock, head) => {
      seen.push({ protocol: req.headers["sec-websocket-protocol"], url: req.url, host: req.headers.host })
      delete req.headers["sec-websocket-protocol"]
      wss.once("headers", (h) => h.push(`Sec-WebSocket-Protocol: ${answer}`))
      wss.handleUpgrade(req, sock, head, (ws) => ws.send(zf(2, readyBody("REP"))))
    })
    cleanups.push(() => {
      server.closeAllConnections()
      server.close()
      for (const c of wss.clients) c.terminate()
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const port = (server.address() as { port: number }).port
    const req = track(new z.Request({ reconnectInterval: 20 }))
    const events = recordEvents(req)
    req.connect(`ws://127.0.0.1:${port}/a/b?x=1`)
    await until(() => seen.length >= 2)
    expect(seen[0]).toEqual({ protocol: "ZWS2.0/NULL,ZWS2.0", url: "/a/b?x=1", host: `127.0.0.1:${port}` })
    expect(events.some((e) => e.type === "handshake")).toBe(false)
    answer = "ZWS2.0/NULL"
    await until(() => events.some((e) => e.type === "handshake"))
  })
})

describe("RFC 45 No Mechanism: ZWS2.0", () => {
  it('"the first message of each side of the connection must be the Routing Id"; then regular messages, flags 0x00/0x01', async () => {
    const router = await bound(new z.Router({ routingId: "srv" }))
    const peer = await rawZws(router.lastEndpoint!, "ZWS2.0")
    expect(peer.protocol).toBe("ZWS2.0")
    // Our routing id comes first, unprompted.
    expect((await peer.next()).toString("latin1")).toBe("\x00srv")
    peer.ws.send(zf(0, "peer-7"))
    peer.ws.send(zf(1, "a"))
    peer.ws.send(zf(0, "b"))
    const [id, a, b] = await within(router.receive(), 2000)
    expect([String(id), String(a), String(b)]).toEqual(["peer-7", "a", "b"])
    await router.send(["peer-7", "x", "y"])
    expect((await peer.next()).toString("latin1")).toBe("\x01x")
    expect((await peer.next()).toString("latin1")).toBe("\x00y")
  })

  it("a command or a multipart message where the routing id must be is a violation", async () => {
    const rep = await bound(new z.Reply())
    const events = recordEvents(rep)
    const p1 = await rawZws(rep.lastEndpoint!, "ZWS2.0")
    p1.ws.send(zf(1, "id"))
    expect(await within(p1.closed, 2000)).toBe(1002)
    const p2 = await rawZws(rep.lastEndpoint!, "ZWS2.0")
    p2.ws.send(zf(2, readyBody("REQ")))
    expect(await within(p2.closed, 2000)).toBe(1002)
    await until(() => events.filter((e) => e.type === "handshake:error:protocol").length === 2)
  })

  it("a NULL client whose server answers ZWS2.0/NULL but sends a routing id (jszmq 0.1.2 on ws 7) talks bare ZWS2.0", async () => {
    const server = http.createServer()
    const wss = new WebSocketServer({ noServer: true })
    const got: Buffer[] = []
    server.on("upgrade", (req, sock, head) => {
      delete req.headers["sec-websocket-protocol"]
      wss.once("headers", (h) => h.push("Sec-WebSocket-Protocol: ZWS2.0/NULL"))
      wss.handleUpgrade(req, sock, head, (ws) => {
        ws.on("message", (d: Buffer) => got.push(d))
        ws.send(zf(0, ""))
        ws.send(zf(0, "hello"))
      })
    })
    cleanups.push(() => {
      server.closeAllConnections()
      server.close()
      for (const c of wss.clients) c.terminate()
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const dealer = track(new z.Dealer({ routingId: "me" }))
    dealer.connect(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`)
    expect(String((await within(dealer.receive(), 2000))[0])).toBe("hello")
    await dealer.send("hi")
    await until(() => got.length >= 2)
    // Our routing id first (no READY was sent), then the message.
    expect(got.map((b) => b.toString("latin1"))).toEqual(["\x00me", "\x00hi"])
  })
})

describe("RFC 45 No Mechanism and ZAP (review of issue 19, finding 4)", () => {
  // libzmq 4.3.5 lets a bare "ZWS2.0" peer in without asking ZAP (review19/p9); zmtp puts it to ZAP
  // as a NULL peer (RFC 27 mechanism "NULL") when the socket has a ZAP domain.
  it("with zapDomain, a bare peer is put to ZAP (mechanism NULL, its address): refused, none of its messages is delivered", async () => {
    const zap = await startZapHandler(() => "400")
    cleanups.push(zap.close)
    const pull = await bound(new z.Pull({ linger: 0, zapDomain: "global" }))
    const events = recordEvents(pull)
    const peer = await rawZws(pull.lastEndpoint!, "ZWS2.0")
    peer.ws.send(zf(0, ""))
    peer.ws.send(zf(0, "smuggled"))
    expect(await within(peer.closed, 2000)).toBeGreaterThan(0)
    expect(zap.seen.map((r) => [r.domain, r.address, r.mechanism, r.credentials.length])).toEqual([["global", "127.0.0.1", "NULL", 0]])
    expect(await nothingArrives(pull, 200)).toBe(true)
    await until(() => events.some((e) => e.type === "handshake:error:auth"))
  })

  it("with zapDomain and a handler that accepts (slowly), the messages the peer sent before the reply are delivered in order, a large one included", async () => {
    const zap = await startZapHandler(() => "200", { delayMs: 150 })
    cleanups.push(zap.close)
    const pull = await bound(new z.Pull({ linger: 0, zapDomain: "global" }))
    const peer = await rawZws(pull.lastEndpoint!, "ZWS2.0")
    peer.ws.send(zf(0, "peer-1"))
    peer.ws.send(zf(0, "a"))
    // Larger than the handshake's limit on one message: sent before ZAP answered, yet no violation.
    const big = Buffer.alloc(100_000, 7)
    peer.ws.send(zf(0, big))
    peer.ws.send(zf(0, "c"))
    const got: Buffer[] = []
    for (let i = 0; i < 3; i++) got.push((await within(pull.receive(), 3000))[0]!)
    expect([got[0]!.toString(), got[1]!.length, got[2]!.toString()]).toEqual(["a", big.length, "c"])
    expect(zap.seen.map((r) => r.mechanism)).toEqual(["NULL"])
  })

  it("with zapDomain and zapEnforceDomain but no handler bound, a bare peer is refused (EFAULT, as NULL)", async () => {
    const pull = await bound(new z.Pull({ linger: 0, zapDomain: "global", zapEnforceDomain: true }))
    const peer = await rawZws(pull.lastEndpoint!, "ZWS2.0")
    peer.ws.send(zf(0, ""))
    peer.ws.send(zf(0, "smuggled"))
    expect(await within(peer.closed, 2000)).toBeGreaterThan(0)
    expect(await nothingArrives(pull, 200)).toBe(true)
  })

  it("without zapDomain a bare peer is let in and ZAP is not asked, even with a handler bound", async () => {
    const zap = await startZapHandler(() => "400")
    cleanups.push(zap.close)
    const pull = await bound(new z.Pull({ linger: 0 }))
    const peer = await rawZws(pull.lastEndpoint!, "ZWS2.0")
    peer.ws.send(zf(0, ""))
    peer.ws.send(zf(0, "hello"))
    expect(String((await within(pull.receive(), 2000))[0])).toBe("hello")
    expect(zap.seen).toEqual([])
  })

  it("a zmtp NULL client with zapDomain talking bare ZWS2.0 (a jszmq-style server) asks its own ZAP handler, as NULL does", async () => {
    const zap = await startZapHandler(() => "400")
    cleanups.push(zap.close)
    const server = http.createServer()
    const wss = new WebSocketServer({ noServer: true })
    const got: Buffer[] = []
    server.on("upgrade", (req, sock, head) => {
      delete req.headers["sec-websocket-protocol"]
      wss.once("headers", (h) => h.push("Sec-WebSocket-Protocol: ZWS2.0"))
      wss.handleUpgrade(req, sock, head, (ws) => {
        ws.on("message", (d: Buffer) => got.push(d))
        ws.send(zf(0, ""))
        ws.send(zf(0, "hello"))
      })
    })
    cleanups.push(() => {
      server.closeAllConnections()
      server.close()
      for (const c of wss.clients) c.terminate()
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const dealer = track(new z.Dealer({ routingId: "me", zapDomain: "d" }))
    dealer.connect(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`)
    await until(() => zap.seen.length > 0)
    expect(zap.seen[0]!.mechanism).toBe("NULL")
    expect(await nothingArrives(dealer, 200)).toBe(true)
  })
})

describe("RFC 45 Mechanisms and Framing", () => {
  it("NULL: READY travels as a command frame (flag 0x02, no size field); messages as 0x01/0x00 frames", async () => {
    const dealer = await bound(new z.Dealer({ routingId: "dd" }))
    const peer = await rawZws(dealer.lastEndpoint!, "ZWS2.0/NULL")
    const ready = await peer.next()
    expect(ready[0]).toBe(0x02)
    expect(ready.subarray(1).equals(readyBody("DEALER", "dd"))).toBe(true)
    peer.ws.send(zf(2, readyBody("ROUTER", "")))
    await dealer.send(["m1", "m2"])
    expect((await peer.next()).toString("latin1")).toBe("\x01m1")
    expect((await peer.next()).toString("latin1")).toBe("\x00m2")
    peer.ws.send(zf(0, "in"))
    expect(String((await within(dealer.receive(), 2000))[0])).toBe("in")
  })

  it("RFC 45 Socket Compatibility: an incompatible socket type is disconnected", async () => {
    const rep = await bound(new z.Reply())
    const peer = await rawZws(rep.lastEndpoint!, "ZWS2.0/NULL")
    peer.ws.send(zf(2, readyBody("PUB")))
    await within(peer.closed, 2000)
    expect(rep.statistics.peers).toBe(0)
  })

  it("a message before the handshake, an unknown flag octet, an empty or a text message close the connection (1002); others go on", async () => {
    const pull = await bound(new z.Pull())
    const events = recordEvents(pull)
    const good = await rawZws(pull.lastEndpoint!, "ZWS2.0/NULL")
    good.ws.send(zf(2, readyBody("PUSH")))
    const cases: ((p: Awaited<ReturnType<typeof rawZws>>) => void)[] = [
      (p) => p.ws.send(zf(0, "early")),
      (p) => {
        p.ws.send(zf(2, readyBody("PUSH")))
        p.ws.send(zf(0x04, "bad flag"))
      },
      (p) => {
        p.ws.send(zf(2, readyBody("PUSH")))
        p.ws.send(Buffer.alloc(0))
      },
      (p) => {
        p.ws.send(zf(2, readyBody("PUSH")))
        p.ws.send("\x00text")
      },
      (p) => {
        p.ws.send(zf(2, readyBody("PUSH")))
        p.ws.send(zf(1, "part"))
        p.ws.send(zf(2, "\x04PING\x00\x00"))
      },
    ]
    for (const c of cases) {
      const p = await rawZws(pull.lastEndpoint!, "ZWS2.0/NULL")
      c(p)
      expect(await within(p.closed, 2000)).toBe(1002)
    }
    good.ws.send(zf(0, "still here"))
    expect(String((await within(pull.receive(), 2000))[0])).toBe("still here")
    expect(pull.statistics.protocolErrors).toBe(cases.length)
    expect(events.filter((e) => e.type === "handshake:error:protocol").length).toBe(1)
  })

  it("non-WebSocket octets on a ws port get no connection and cost nothing", async () => {
    const rep = await bound(new z.Reply())
    const port = Number(/:(\d+)\//.exec(rep.lastEndpoint!)![1])
    const sock = net.connect(port, "127.0.0.1")
    cleanups.push(() => sock.destroy())
    const reply = new Promise<string>((r) => {
      let s = ""
      sock.on("data", (d) => (s += d.toString("latin1")))
      sock.on("close", () => r(s))
    })
    sock.write(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f]))
    sock.write("\r\n\r\n")
    expect(await within(reply, 2000)).toMatch(/^HTTP\/1\.1 400/)
    expect(rep.statistics.peers).toBe(0)
  })

  it("commands in traffic: PING is answered with PONG carrying its context (RFC 37), unknown commands ignored", async () => {
    const dealer = await bound(new z.Dealer())
    const peer = await rawZws(dealer.lastEndpoint!, "ZWS2.0/NULL")
    await peer.next()
    peer.ws.send(zf(2, readyBody("DEALER", "")))
    peer.ws.send(zf(2, "\x07UNKNOWNdata"))
    peer.ws.send(zf(2, "\x04PING\x00\x00ctx"))
    const pong = await peer.next()
    expect(pong.toString("latin1")).toBe("\x02\x04PONGctx")
  })
})

describe("issue 19 item 5: floods and a peer that never reads", () => {
  it("a flood from a peer is read only up to the receive high-water mark: reading pauses, and resumes as the application reads", async () => {
    const pull = await bound(new z.Pull({ receiveHighWaterMark: 10 }))
    const peer = await rawZws(pull.lastEndpoint!, "ZWS2.0/NULL")
    peer.ws.send(zf(2, readyBody("PUSH")))
    const big = Buffer.alloc(16 * 1024, 1)
    // 4000 frames of 16 KiB = 64 MiB offered; the sender's buffer must stop growing while we do not read.
    for (let i = 0; i < 4000; i++) peer.ws.send(zf(0, big))
    await sleep(300)
    const queued = pull.statistics.queues.reduce((n, q) => n + q.in, 0)
    // The queue holds the high-water mark plus at most what one network read had already parsed.
    expect(queued).toBeGreaterThanOrEqual(10)
    expect(queued).toBeLessThan(200)
    // The rest waits on the peer's side (the WebSocket's buffered amount), not in our memory.
    expect(peer.ws.bufferedAmount).toBeGreaterThan(16 * 1024 * 1024)
    for (let i = 0; i < 50; i++) await within(pull.receive(), 2000)
  })

  it("to a peer that never reads, output stops at the write budget: the pipe fills and send() waits (sendTimeout -> EAGAIN)", async () => {
    const push = await bound(new z.Push({ sendHighWaterMark: 5, sendTimeout: 200 }))
    const peer = await rawZws(push.lastEndpoint!, "ZWS2.0/NULL")
    peer.ws.send(zf(2, readyBody("PULL")))
    await until(() => push.statistics.peers === 1)
    // The peer stops reading from its socket.
    peer.ws.pause()
    const body = Buffer.alloc(64 * 1024, 2)
    let sent = 0
    let err: unknown
    for (let i = 0; i < 5000; i++) {
      try {
        await push.send(body)
        sent++
      } catch (e) {
        err = e
        break
      }
    }
    expect((err as z.ZmtpError).code).toBe("EAGAIN")
    // What we accepted is bounded by the budget, the kernel's buffers and the HWM: far below 5000 x 64 KiB.
    expect(sent * body.length).toBeLessThan(64 * 1024 * 1024)
  })
})
