/**
 * ZWS 2.0 (RFC 45) interop (issue 19 item 4) with two independent implementations, in process:
 * - libzmq 4.3.5's draft ws transport, through zeromq.js 6.8's prebuilt (no wss: it is built
 *   without GnuTLS, and answers EPROTONOSUPPORT); NULL, PLAIN and CURVE, which it offers as
 *   "ZWS2.0/NULL,ZWS2.0", "ZWS2.0/PLAIN" and "ZWS2.0/CURVE";
 * - jszmq 0.1.2 (npm), which speaks bare "ZWS2.0" (routing id first, no mechanism) only.
 * Both directions, several socket types, bytes compared exactly.
 */
import { Buffer } from "node:buffer"
import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
import { describeLibzmq, freeTcpPort, sleep, until, within } from "../test/helpers.js"

// jszmq ships CommonJS without types we rely on.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import { createRequire } from "node:module"
const jszmq = createRequire(import.meta.url)("jszmq") as {
  Req: new () => JsSocket
  Rep: new () => JsSocket
  Dealer: new () => JsSocket
  Router: new () => JsSocket
  Pub: new () => JsSocket
  Sub: new () => JsSocket & { subscribe(t: string): void }
  Push: new () => JsSocket
  Pull: new () => JsSocket
}
interface JsSocket {
  options: { routingId: string | Buffer }
  bind(address: string): void
  connect(address: string): void
  send(msg: string | Buffer | (string | Buffer)[]): void
  on(e: "message", f: (...frames: Buffer[]) => void): void
  close(): void
}

const closers: (() => void)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) {
    try {
      c()
    } catch {
      // Already closed.
    }
  }
  await sleep(20)
})
function own<T extends { close(): void }>(s: T): T {
  if ("linger" in s) (s as unknown as { linger: number }).linger = 0
  closers.push(() => s.close())
  return s
}

/** The next message a jszmq socket emits. */
function jsNext(s: JsSocket): () => Promise<Buffer[]> {
  const q: Buffer[][] = []
  const w: ((m: Buffer[]) => void)[] = []
  s.on("message", (...frames) => {
    const f = frames.map((b) => Buffer.from(b))
    const waiter = w.shift()
    if (waiter) waiter(f)
    else q.push(f)
  })
  return () => within(new Promise<Buffer[]>((r) => (q.length ? r(q.shift()!) : w.push(r))), 5000, "jszmq message")
}

const BIN = Buffer.from([0, 1, 2, 0xff, 0x80, 0])

describeLibzmq("zmtp <-> libzmq (zeromq.js) over ws://", () => {
  it("zmtp REQ -> libzmq REP (libzmq binds), multipart binary", async () => {
    const rep = own(new zmq.Reply())
    await rep.bind("ws://127.0.0.1:*/zmq")
    const req = own(new z.Request())
    req.connect(rep.lastEndpoint!)
    await req.send(["a", BIN])
    const got = await within(rep.receive(), 5000)
    expect(got.map((b) => Buffer.from(b).toString("hex"))).toEqual([Buffer.from("a").toString("hex"), BIN.toString("hex")])
    await rep.send([BIN, "b"])
    const back = await within(req.receive(), 5000)
    expect(back[0]!.equals(BIN)).toBe(true)
    expect(String(back[1])).toBe("b")
  })

  it("libzmq REQ -> zmtp REP (zmtp binds)", async () => {
    const rep = own(new z.Reply())
    await rep.bind("ws://127.0.0.1:*/zmq")
    const req = own(new zmq.Request())
    req.connect(rep.lastEndpoint!)
    await req.send(["x", BIN])
    const got = await within(rep.receive(), 5000)
    expect(String(got[0])).toBe("x")
    expect(got[1]!.equals(BIN)).toBe(true)
    await rep.send("y")
    expect(String((await within(req.receive(), 5000))[0])).toBe("y")
  })

  it("DEALER/ROUTER both ways: routing ids travel in READY", async () => {
    const router = own(new zmq.Router())
    await router.bind("ws://127.0.0.1:*/r")
    const dealer = own(new z.Dealer({ routingId: "zmtp-d" }))
    dealer.connect(router.lastEndpoint!)
    await dealer.send("hello")
    const [id, m] = await within(router.receive(), 5000)
    expect(String(id)).toBe("zmtp-d")
    expect(String(m)).toBe("hello")
    await router.send(["zmtp-d", "reply"])
    expect(String((await within(dealer.receive(), 5000))[0])).toBe("reply")

    const zr = own(new z.Router())
    await zr.bind("ws://127.0.0.1:*/r2")
    const ld = own(new zmq.Dealer({ routingId: "lib-d" }))
    ld.connect(zr.lastEndpoint!)
    await ld.send("hi")
    const [id2, m2] = await within(zr.receive(), 5000)
    expect(String(id2)).toBe("lib-d")
    expect(String(m2)).toBe("hi")
    await zr.send(["lib-d", "ok"])
    expect(String((await within(ld.receive(), 5000))[0])).toBe("ok")
  })

  it("PUB -> SUB both ways (subscriptions as 0x01 messages, RFC 45)", async () => {
    for (const libPub of [true, false]) {
      const pub = own(libPub ? new zmq.Publisher() : new z.Publisher())
      await pub.bind("ws://127.0.0.1:*/pub")
      const sub = own(libPub ? new z.Subscriber() : new zmq.Subscriber())
      sub.connect(pub.lastEndpoint!)
      sub.subscribe("yes")
      let got: Buffer[] | undefined
      const r = sub.receive().then((m) => (got = m.map((b) => Buffer.from(b))))
      for (let i = 0; i < 300 && !got; i++) {
        await pub.send(["no", "0"])
        await pub.send(["yes", BIN])
        await sleep(10)
      }
      await within(r, 5000)
      expect(String(got![0])).toBe("yes")
      expect(got![1]!.equals(BIN)).toBe(true)
    }
  })

  it("PUSH -> PULL both ways", async () => {
    const pull = own(new zmq.Pull())
    await pull.bind("ws://127.0.0.1:*/p")
    const push = own(new z.Push())
    push.connect(pull.lastEndpoint!)
    for (let i = 0; i < 100; i++) await push.send(String(i))
    for (let i = 0; i < 100; i++) expect(String((await within(pull.receive(), 5000))[0])).toBe(String(i))

    const zpull = own(new z.Pull())
    await zpull.bind("ws://127.0.0.1:*/p2")
    const lpush = own(new zmq.Push())
    lpush.connect(zpull.lastEndpoint!)
    await lpush.send(Buffer.alloc(200_000, 3))
    expect((await within(zpull.receive(), 5000))[0]!.equals(Buffer.alloc(200_000, 3))).toBe(true)
  })

  it("PLAIN (ZWS2.0/PLAIN) both ways, with a ZAP handler on the server's side", async () => {
    // libzmq server: libzmq's PLAIN server needs a ZAP handler in its own context.
    const zap = own(new zmq.Router())
    await zap.bind("inproc://zeromq.zap.01")
    void (async () => {
      for await (const [id, delim, version, reqId] of zap) await zap.send([id!, delim!, version!, reqId!, "200", "OK", "u", ""])
    })().catch(() => {})
    const rep = own(new zmq.Reply({ plainServer: true }))
    await rep.bind("ws://127.0.0.1:*/plain")
    const req = own(new z.Request({ plainUsername: "user", plainPassword: "pw" }))
    req.connect(rep.lastEndpoint!)
    await req.send("plain from zmtp")
    expect(String((await within(rep.receive(), 5000))[0])).toBe("plain from zmtp")

    const zzap = own(new z.Router())
    await zzap.bind("inproc://zeromq.zap.01")
    void (async () => {
      for await (const [id, delim, version, reqId] of zzap) await zzap.send([id!, delim!, version!, reqId!, "200", "OK", "u", ""])
    })().catch(() => {})
    const zrep = own(new z.Reply({ plainServer: true }))
    await zrep.bind("ws://127.0.0.1:*/plain2")
    const lreq = own(new zmq.Request({ plainUsername: "user", plainPassword: "pw" }))
    lreq.connect(zrep.lastEndpoint!)
    await lreq.send("plain from libzmq")
    expect(String((await within(zrep.receive(), 5000))[0])).toBe("plain from libzmq")
  })

  it("CURVE (ZWS2.0/CURVE) both ways", async () => {
    const server = zmq.curveKeyPair()
    const client = zmq.curveKeyPair()
    const lrouter = own(new zmq.Router({ curveServer: true, curveSecretKey: server.secretKey }))
    await lrouter.bind("ws://127.0.0.1:*/curve")
    const d = own(new z.Dealer({ routingId: "c1", curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey }))
    d.connect(lrouter.lastEndpoint!)
    await d.send(["boxed", BIN])
    const [id, a, b] = await within(lrouter.receive(), 5000)
    expect([String(id), String(a)]).toEqual(["c1", "boxed"])
    expect(Buffer.from(b!).equals(BIN)).toBe(true)
    await lrouter.send(["c1", "reply"])
    expect(String((await within(d.receive(), 5000))[0])).toBe("reply")

    const zrouter = own(new z.Router({ curveServer: true, curveSecretKey: server.secretKey }))
    await zrouter.bind("ws://127.0.0.1:*/curve2")
    const ld = own(new zmq.Dealer({ routingId: "c2", curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey }))
    ld.connect(zrouter.lastEndpoint!)
    await ld.send("from libzmq")
    const [id2, m2] = await within(zrouter.receive(), 5000)
    expect([String(id2), String(m2)]).toEqual(["c2", "from libzmq"])
    await zrouter.send(["c2", BIN])
    expect(Buffer.from((await within(ld.receive(), 5000))[0]!).equals(BIN)).toBe(true)
  })

  it("heartbeats: libzmq answers zmtp's WebSocket pings, and zmtp answers libzmq's (no timeout either way)", async () => {
    const rep = own(new zmq.Dealer({ heartbeatInterval: 30, heartbeatTimeout: 100 }))
    await rep.bind("ws://127.0.0.1:*/hb")
    const d = own(new z.Dealer({ heartbeatInterval: 30, heartbeatTimeout: 100 }))
    const events: string[] = []
    void (async () => {
      for await (const e of d.events) events.push(e.type)
    })().catch(() => {})
    d.connect(rep.lastEndpoint!)
    await d.send("1")
    await within(rep.receive(), 5000)
    await sleep(500)
    expect(events).not.toContain("disconnect")
    await d.send("2")
    expect(String((await within(rep.receive(), 5000))[0])).toBe("2")
  })
})

describe("zmtp <-> jszmq over ws:// (bare ZWS2.0: routing id first)", () => {
  it("jszmq REQ -> zmtp REP (zmtp binds)", async () => {
    const rep = own(new z.Reply())
    await rep.bind("ws://127.0.0.1:*/j")
    const req = own(new jszmq.Req())
    const next = jsNext(req)
    req.connect(rep.lastEndpoint!)
    req.send(["q", BIN])
    const got = await within(rep.receive(), 5000)
    expect(String(got[0])).toBe("q")
    expect(got[1]!.equals(BIN)).toBe(true)
    await rep.send("a")
    expect((await next()).map(String)).toEqual(["a"])
  })

  it("zmtp REQ -> jszmq REP (jszmq binds): its ws 8 server refuses the NULL offer with 400, the next attempt offers bare ZWS2.0", async () => {
    const port = await freeTcpPort()
    const rep = own(new jszmq.Rep())
    const next = jsNext(rep)
    rep.bind(`ws://127.0.0.1:${port}/j`)
    const req = own(new z.Request())
    req.connect(`ws://127.0.0.1:${port}/j`)
    await req.send(["hello", BIN])
    const got = await next()
    expect(String(got[0])).toBe("hello")
    expect(got[1]!.equals(BIN)).toBe(true)
    rep.send("world")
    expect(String((await within(req.receive(), 5000))[0])).toBe("world")
  })

  it("jszmq DEALER -> zmtp ROUTER: the routing id message names the peer", async () => {
    const router = own(new z.Router())
    await router.bind("ws://127.0.0.1:*/jr")
    const d = own(new jszmq.Dealer())
    d.options.routingId = "js-dealer"
    const next = jsNext(d)
    d.connect(router.lastEndpoint!)
    d.send("hi")
    const [id, m] = await within(router.receive(), 5000)
    expect(String(id)).toBe("js-dealer")
    expect(String(m)).toBe("hi")
    await router.send(["js-dealer", "back"])
    expect((await next()).map(String)).toEqual(["back"])
  })

  it("zmtp DEALER -> jszmq ROUTER, and zmtp PUB -> jszmq SUB, jszmq PUSH -> zmtp PULL", async () => {
    const port = await freeTcpPort()
    const router = own(new jszmq.Router())
    const rnext = jsNext(router)
    router.bind(`ws://127.0.0.1:${port}/r`)
    const d = own(new z.Dealer({ routingId: "zd" }))
    d.connect(`ws://127.0.0.1:${port}/r`)
    await d.send("to js")
    const [id, m] = await rnext()
    // jszmq 0.1.2's ROUTER keeps the routing id message's flag octet in the id it reports ("\0zd"),
    // and routes by that same key, so the reply goes to the id as it reported it.
    expect(String(m)).toBe("to js")
    expect(id!.subarray(-2).toString()).toBe("zd")
    router.send([id!, "to zmtp"])
    expect(String((await within(d.receive(), 5000))[0])).toBe("to zmtp")

    const pub = own(new z.Publisher())
    await pub.bind("ws://127.0.0.1:*/pub")
    const sub = own(new jszmq.Sub())
    const snext = jsNext(sub)
    sub.subscribe("t")
    sub.connect(pub.lastEndpoint!)
    await until(() => pub.statistics.peers === 1, 5000)
    let got: Buffer[] | undefined
    void snext().then((f) => (got = f))
    for (let i = 0; i < 300 && !got; i++) {
      await pub.send(["x", "no"])
      await pub.send(["t1", "yes"])
      await sleep(10)
    }
    expect(got!.map(String)).toEqual(["t1", "yes"])

    const pull = own(new z.Pull())
    await pull.bind("ws://127.0.0.1:*/pull")
    const push = own(new jszmq.Push())
    push.connect(pull.lastEndpoint!)
    for (let i = 0; i < 20; i++) push.send(String(i))
    for (let i = 0; i < 20; i++) expect(String((await within(pull.receive(), 5000))[0])).toBe(String(i))
  })
})
