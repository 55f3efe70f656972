/**
 * RFC 29 (29/PUBSUB), "The XSUB Socket Type", plus libzmq 4.3.5's behaviour where the RFC is silent
 * (counted subscriptions, resending on reconnect, no local filtering) and its forwarder scenario
 * (tests/test_sub_forward.cpp), run against both subjects.
 */
import { expect, it } from "vitest"
import { bind, drain, keepReading, make, nothing, publish, recvData, recvStrs, sleep, syncSub } from "./pubsub-helpers.js"
import { describeSubjects, transports } from "./subjects.js"

const sub = (t: string) => Buffer.from(`\x01${t}`, "latin1")
const cancel = (t: string) => Buffer.from(`\x00${t}`, "latin1")

describeSubjects("RFC 29 XSUB", (ctx) => {
  for (const transport of transports) {
    it(`${transport}: general: 'MAY be connected to any number of PUB or XPUB publishers, and MAY both send and receive messages.'`, async () => {
      const pub = make(ctx, "Publisher")
      const xpub = make(ctx, "XPublisher")
      const xsub = make(ctx, "XSubscriber")
      xsub.connect(await bind(ctx, pub, transport))
      xsub.connect(await bind(ctx, xpub, transport))
      await xsub.send(sub("m"))
      expect(await recvStrs(xpub)).toEqual(["\x01m"])
      await syncSub(pub, xsub)
      await pub.send("m-pub")
      await xpub.send("m-xpub")
      const got = [await recvData(xsub), await recvData(xsub)].map((m) => m![0]).sort()
      expect(got).toEqual(["m-pub", "m-xpub"])
    })

    it(`${transport}: general: 'SHALL create a double queue when initiating an outgoing connection to a publisher, and SHALL maintain the double queue whether or not the connection is established.' A subscription sent before the publisher exists reaches it`, async () => {
      const ep = await ctx.freeEndpoint(transport)
      const xsub = make(ctx, "XSubscriber", { reconnectInterval: 20 })
      xsub.connect(ep)
      await xsub.send(sub("early"))
      const xpub = make(ctx, "XPublisher")
      await xpub.bind(ep)
      expect(await recvStrs(xpub)).toEqual(["\x01early"])
    })

    it(`${transport}: a connecting XSUB sends all its subscriptions again on every reconnect [libzmq xsub_t::xhiccuped]`, async () => {
      const ep = await ctx.freeEndpoint(transport)
      const xsub = make(ctx, "XSubscriber", { reconnectInterval: 20 })
      // libzmq acts on a reconnect only while the application is in a call on the socket.
      keepReading(xsub)
      xsub.connect(ep)
      await xsub.send(sub("A"))
      await xsub.send(sub("B"))
      await xsub.send(cancel("A"))
      for (let round = 0; round < 2; round++) {
        const xpub = make(ctx, "XPublisher", { verbosity: "allSubs" })
        await xpub.bind(ep)
        const told = await recvStrs(xpub)
        // The first connection carries what was queued (A, B, cancel A); a reconnect only the current set.
        if (round === 0) expect([told, await recvStrs(xpub), await recvStrs(xpub)]).toEqual([["\x01A"], ["\x01B"], ["\x00A"]])
        else expect(told).toEqual(["\x01B"])
        expect(await nothing(xpub)).toBe(true)
        xpub.close()
        await sleep(50)
      }
    })
  }

  it("general: 'SHALL create a double queue when a publisher connects to it. If this publisher disconnects, the XSUB socket SHALL destroy its double queue ...' Each publisher that connects gets the subscriptions afresh", async () => {
    const xsub = make(ctx, "XSubscriber")
    const ep = await bind(ctx, xsub, "tcp")
    await xsub.send(sub("s"))
    for (let i = 0; i < 2; i++) {
      // A receive pending on the XSUB: libzmq sends a new peer the subscriptions only while the
      // application is in a call on the socket.
      const got = recvData(xsub)
      const xpub = make(ctx, "XPublisher", { reconnectInterval: 20 })
      xpub.connect(ep)
      expect(await recvStrs(xpub)).toEqual(["\x01s"])
      await xpub.send(`s${i}`)
      expect(await got).toEqual([`s${i}`])
      xpub.close()
    }
  })

  it("incoming: 'SHALL receive incoming messages from its publishers using a fair-queuing strategy.' and 'SHALL deliver messages to its calling application.'", async () => {
    const xsub = make(ctx, "XSubscriber")
    const ep = await bind(ctx, xsub, "tcp")
    await xsub.send(sub(""))
    const pubs = [make(ctx, "Publisher"), make(ctx, "Publisher")]
    for (const p of pubs) {
      p.connect(ep)
      await syncSub(p, xsub)
    }
    for (const [k, p] of pubs.entries()) await publish(p, `p${k}-`, 4)
    await sleep(300)
    const got = (await drain(xsub)).map((m) => m[0]!)
    expect(got.length).toBe(8)
    for (const k of [0, 1]) expect(got.filter((t) => t.startsWith(`p${k}`))).toEqual([0, 1, 2, 3].map((i) => `p${k}-${i}`))
    expect(got[0]!.slice(0, 2)).not.toBe(got[1]!.slice(0, 2))
  })

  it("general: 'SHOULD constrain incoming and outgoing queue sizes to a runtime-configurable limit.' (both 1000 by default); linger defaults to 0, as libzmq's xsub_t sets it", () => {
    const xsub = make(ctx, "XSubscriber")
    expect([xsub.sendHighWaterMark, xsub.receiveHighWaterMark, xsub.linger]).toEqual([1000, 1000, 0])
  })

  it("incoming: 'SHALL not modify incoming messages in any way.' and no filtering of its own: what the publisher sends is delivered [libzmq xsub_t: options.filter is off]", async () => {
    const xpub = make(ctx, "XPublisher", { manual: true })
    const ep = await bind(ctx, xpub, "tcp")
    const xsub = make(ctx, "XSubscriber")
    xsub.connect(ep)
    await xsub.send(sub("only-this"))
    expect(await recvStrs(xpub)).toEqual(["\x01only-this"])
    // Manual XPUB: the peer is subscribed to everything instead; the XSUB takes it all.
    if (ctx.name === "zmtp") xpub.subscribe("")
    else (xpub as unknown as { setStringOption(i: number, v: null): void }).setStringOption(6, null)
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    await xpub.send([all, Buffer.alloc(0)])
    await xpub.send("other")
    expect(await drain(xsub)).toEqual([[all.toString("latin1"), ""], ["other"]])
  })

  it("incoming: 'SHALL silently discard messages if the incoming queue for a publisher is full.'", async () => {
    const pub = make(ctx, "Publisher", { sendHighWaterMark: 2 })
    const ep = await bind(ctx, pub, "tcp")
    const xsub = make(ctx, "XSubscriber", { receiveHighWaterMark: 2 })
    xsub.connect(ep)
    await xsub.send(sub(""))
    await syncSub(pub, xsub)
    await publish(pub, "", 300, [Buffer.alloc(64 * 1024)])
    const got = await drain(xsub, 300)
    expect(got.length).toBeGreaterThan(0)
    expect(got.length).toBeLessThan(300)
  })

  it("outgoing: 'SHALL send all messages to all connected publishers.' and 'SHALL not modify outgoing messages in any way.'", async () => {
    const xpubs = [make(ctx, "XPublisher"), make(ctx, "XPublisher")]
    const xsub = make(ctx, "XSubscriber")
    for (const x of xpubs) xsub.connect(await bind(ctx, x, "tcp"))
    await sleep(100)
    const msg = [Buffer.from([0x02, 0xff]), Buffer.alloc(0), Buffer.alloc(1000, 3)]
    await xsub.send(msg)
    for (const x of xpubs) expect(await recvStrs(x)).toEqual(msg.map((f) => f.toString("latin1")))
  })

  it("outgoing: 'SHALL silently drop the message if the outgoing queue for a publisher is full.' and 'SHALL NOT block on sending.'; general: 'SHALL maintain a double queue for each connected publisher, allowing outgoing and incoming messages to be queued independently.'", async () => {
    const xpub = make(ctx, "XPublisher", { receiveHighWaterMark: 2 })
    const ep = await bind(ctx, xpub, "tcp")
    const xsub = make(ctx, "XSubscriber", { sendHighWaterMark: 2, sendTimeout: 0 })
    xsub.connect(ep)
    await sleep(100)
    // The XPUB reads nothing meanwhile; sendTimeout 0 would turn a wait into EAGAIN. (The filler is
    // not 0x00 or 0x01: an XSUB takes every frame so starting as a subscription or cancellation.)
    for (let i = 0; i < 300; i++) await xsub.send([`${i}`, Buffer.alloc(64 * 1024, 0x61)])
    const got = await drain(xpub, 300)
    expect(got.length).toBeGreaterThan(0)
    expect(got.length).toBeLessThan(300)
    const seq = got.map((m) => Number(m[0]))
    expect(seq).toEqual([...seq].sort((a, b) => a - b))
    // Its outgoing queue was full a moment ago; the incoming one was never in the way.
    await xsub.send(sub(""))
    expect(await recvStrs(xpub)).toEqual(["\x01"])
    await xpub.send("back")
    expect(await recvData(xsub)).toEqual(["back"])
  })

  it("subscriptions: 'SHALL accept subscription commands from its calling application.' and 'SHALL send subscribe and unsubscribe requests to publishers depending on the transport protocol used.' Counted: only the last cancellation goes out [libzmq xsub_t::xsend]", async () => {
    const xpub = make(ctx, "XPublisher", { verbosity: "allSubsUnsubs" })
    const ep = await bind(ctx, xpub, "tcp")
    const xsub = make(ctx, "XSubscriber")
    xsub.connect(ep)
    await sleep(50)
    await xsub.send(sub("t"))
    await xsub.send(sub("t"))
    expect([await recvStrs(xpub), await recvStrs(xpub)]).toEqual([["\x01t"], ["\x01t"]])
    await xsub.send(cancel("t"))
    expect(await nothing(xpub)).toBe(true)
    await xsub.send(cancel("t"))
    expect(await recvStrs(xpub)).toEqual(["\x00t"])
    // Never subscribed: not sent on.
    await xsub.send(cancel("never"))
    expect(await nothing(xpub)).toBe(true)
  })

  it("subscriptions: 'When closing a connection to a publisher SHOULD send unsubscribe requests for all subscriptions.' The publisher side hears of them either way: an XPUB generates them when the XSUB leaves", async () => {
    const xpub = make(ctx, "XPublisher")
    const ep = await bind(ctx, xpub, "tcp")
    const xsub = make(ctx, "XSubscriber")
    xsub.connect(ep)
    await xsub.send(sub("a"))
    await xsub.send(sub("b"))
    expect([await recvStrs(xpub), await recvStrs(xpub)]).toEqual([["\x01a"], ["\x01b"]])
    xsub.close()
    expect([await recvStrs(xpub), await recvStrs(xpub)]).toEqual([["\x00a"], ["\x00b"]])
  })

  for (const transport of transports) {
    it(`${transport}: forwarder: PUB -> XSUB/XPUB proxy (the subject's Proxy) -> SUB carries subscriptions up and messages down [libzmq test_sub_forward]`, async () => {
      const xpub = make(ctx, "XPublisher")
      const back = await bind(ctx, xpub, transport)
      const xsub = make(ctx, "XSubscriber")
      const front = await bind(ctx, xsub, transport)
      const proxy = new (ctx.zmq.Proxy as unknown as new (a: unknown, b: unknown) => { run(): Promise<void>; terminate(): void })(xsub, xpub)
      const running = proxy.run()
      ctx.defer(async () => {
        proxy.terminate()
        await running.catch(() => {})
      })
      const pub = make(ctx, "Publisher")
      pub.connect(front)
      const s = make(ctx, "Subscriber")
      s.subscribe("fwd")
      s.connect(back)
      await syncSub(pub, s)
      await pub.send(["fwd-1", "body"])
      await pub.send("other")
      expect(await drain(s)).toEqual([["fwd-1", "body"]])
      s.unsubscribe("fwd")
      await sleep(100)
      await pub.send("fwd-2")
      expect(await nothing(s)).toBe(true)
    })
  }
})
