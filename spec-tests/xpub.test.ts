/**
 * RFC 29 (29/PUBSUB), "The XPUB Socket Type", plus libzmq 4.3.5's XPUB scenarios (tests/
 * test_xpub_verbose.cpp, test_xpub_welcome_msg.cpp, test_xpub_manual.cpp), re-expressed through the
 * zeromq.js v6 API over tcp and ipc, and run against both subjects. libzmq's "zmq_recv(DONTWAIT)
 * fails with EAGAIN" checks become "nothing arrives within 100 ms".
 */
import { expect, it } from "vitest"
import { bind, drain, keepReading, make, manualSubscribe, nothing, publish, recvData, recvStrs, sleep, syncSub, type PS } from "./pubsub-helpers.js"
import { type AnySocket, describeSubjects, EventCounter, transports, type Ctx } from "./subjects.js"

/** An XPUB with two SUBs connected to it (libzmq test_xpub_verbose create_xpub_with_2_subs). */
async function xpubWith2Subs(ctx: Ctx, opts: Record<string, unknown> = {}): Promise<[PS, PS, PS]> {
  const pub = make(ctx, "XPublisher", opts)
  const ep = await bind(ctx, pub, "tcp")
  const sub0 = make(ctx, "Subscriber")
  const sub1 = make(ctx, "Subscriber")
  sub0.connect(ep)
  sub1.connect(ep)
  return [pub, sub0, sub1]
}

describeSubjects("RFC 29 XPUB", (ctx) => {
  for (const transport of transports) {
    it(`${transport}: general: 'MAY be connected to any number of SUB or XSUB subscribers, and MAY both send and receive messages.'`, async () => {
      const xpub = make(ctx, "XPublisher")
      const ep = await bind(ctx, xpub, transport)
      const sub = make(ctx, "Subscriber")
      const xsub = make(ctx, "XSubscriber")
      sub.subscribe("s")
      sub.connect(ep)
      xsub.connect(ep)
      await xsub.send(Buffer.from("\x01x", "latin1"))
      const told = [await recvStrs(xpub), await recvStrs(xpub)].map((m) => m[0]).sort()
      expect(told).toEqual(["\x01s", "\x01x"])
      await xpub.send("s1")
      await xpub.send("x1")
      expect(await recvData(sub)).toEqual(["s1"])
      expect(await recvData(xsub)).toEqual(["x1"])
      await xsub.send(["up", "stream"])
      expect(await recvStrs(xpub)).toEqual(["up", "stream"])
    })

    it(`${transport}: general: 'SHALL maintain a double queue for each connected subscriber, allowing outgoing and incoming messages to be queued independently.' Its outgoing queue full, a subscriber's messages still arrive`, async () => {
      const xpub = make(ctx, "XPublisher", { sendHighWaterMark: 2 })
      const ep = await bind(ctx, xpub, transport)
      const xsub = make(ctx, "XSubscriber", { receiveHighWaterMark: 2 })
      xsub.connect(ep)
      await xsub.send(Buffer.from("\x01", "latin1"))
      expect(await recvStrs(xpub)).toEqual(["\x01"])
      // The XSUB never reads: its queue at the XPUB fills, and the XPUB drops, never waits.
      await publish(xpub, "down", 300, [Buffer.alloc(64 * 1024)])
      for (let i = 0; i < 3; i++) await xsub.send(`up${i}`)
      for (let i = 0; i < 3; i++) expect(await recvStrs(xpub)).toEqual([`up${i}`])
    })

    it(`${transport}: general: 'SHALL create a double queue when a subscriber connects to it. If this subscriber disconnects, the XPUB socket SHALL destroy its double queue and SHALL discard any messages it contains.'`, async () => {
      const xpub = make(ctx, "XPublisher", { sendHighWaterMark: 5 })
      const ep = await bind(ctx, xpub, transport)
      const sub1 = make(ctx, "Subscriber", { receiveHighWaterMark: 1 })
      sub1.subscribe("q")
      sub1.connect(ep)
      expect(await recvStrs(xpub)).toEqual(["\x01q"])
      await publish(xpub, "q-old", 100, [Buffer.alloc(64 * 1024)])
      sub1.close()
      expect(await recvStrs(xpub)).toEqual(["\x00q"])
      const sub2 = make(ctx, "Subscriber")
      sub2.subscribe("q")
      sub2.connect(ep)
      expect(await recvStrs(xpub)).toEqual(["\x01q"])
      await xpub.send("q-new")
      expect(await recvData(sub2)).toEqual(["q-new"])
      expect(await nothing(sub2)).toBe(true)
    })
  }

  it("general: 'SHALL create a double queue when initiating an outgoing connection to a subscriber, and SHALL maintain the double queue whether or not the connection is established.' and 'SHOULD constrain incoming and outgoing queue sizes to a runtime-configurable limit.' (both 1000 by default)", async () => {
    const ep = await ctx.freeEndpoint("tcp")
    const sub1 = make(ctx, "Subscriber")
    sub1.subscribe("A")
    // libzmq sends a bound SUB's subscriptions to a new peer only while its application is in a call.
    keepReading(sub1)
    await sub1.bind(ep)
    const xpub = make(ctx, "XPublisher", { reconnectInterval: 20 })
    const events = new EventCounter(xpub as unknown as AnySocket)
    expect([xpub.sendHighWaterMark, xpub.receiveHighWaterMark]).toEqual([1000, 1000])
    xpub.connect(ep)
    expect(await recvStrs(xpub)).toEqual(["\x01A"])
    sub1.close()
    await events.waitFor("disconnect")
    // The connecting pipe stays, with what its peer subscribed: this waits in its queue.
    await xpub.send("A-while-away")
    const sub2 = make(ctx, "Subscriber")
    sub2.subscribe("A")
    const got = recvData(sub2)
    await sub2.bind(ep)
    expect(await got).toEqual(["A-while-away"])
  })

  it("outgoing: 'SHALL not modify outgoing messages in any way.', 'SHALL perform a binary comparison of the subscription against the start of the first frame of the message.'", async () => {
    const xpub = make(ctx, "XPublisher")
    const ep = await bind(ctx, xpub, "ipc")
    const sub = make(ctx, "Subscriber")
    sub.subscribe(Buffer.from([0xfe]))
    sub.connect(ep)
    expect(await recvStrs(xpub)).toEqual(["\x01\xfe"])
    await xpub.send([Buffer.from([0xfe, 0x00]), Buffer.alloc(0), "tail"])
    await xpub.send([Buffer.from([0xfd]), Buffer.from([0xfe])])
    expect(await drain(sub)).toEqual([["\xfe\x00", "", "tail"]])
  })

  it("outgoing: 'SHALL silently drop the message if the queue for a subscriber is full.' and 'SHALL NOT block on sending.'", async () => {
    const xpub = make(ctx, "XPublisher", { sendHighWaterMark: 2 })
    const ep = await bind(ctx, xpub, "tcp")
    const sub = make(ctx, "Subscriber", { receiveHighWaterMark: 2 })
    sub.subscribe("")
    sub.connect(ep)
    expect(await recvStrs(xpub)).toEqual(["\x01"])
    xpub.sendTimeout = 0
    // sendTimeout 0: a send that had to wait would fail with EAGAIN; none does.
    await publish(xpub, "", 300, [Buffer.alloc(64 * 1024)])
    const got = await drain(sub, 300)
    expect(got.length).toBeGreaterThan(0)
    expect(got.length).toBeLessThan(300)
  })

  for (const transport of transports) {
    it(`${transport}: incoming: 'SHALL receive incoming messages from its subscribers using a fair-queuing strategy.' and 'SHALL deliver these messages to its calling application.'`, async () => {
      const xpub = make(ctx, "XPublisher")
      const ep = await bind(ctx, xpub, transport)
      const subs = [make(ctx, "XSubscriber"), make(ctx, "XSubscriber")]
      for (const s of subs) s.connect(ep)
      await sleep(100)
      for (const [k, s] of subs.entries()) for (let i = 0; i < 4; i++) await s.send([`x${k}-${i}`, "more"])
      await sleep(300)
      const got: string[] = []
      for (let i = 0; i < 8; i++) {
        const m = await recvStrs(xpub)
        expect(m[1]).toBe("more")
        got.push(m[0]!)
      }
      // Each peer's order holds. libzmq's XPUB takes each peer's messages as they arrive (its
      // subscriptions must apply at once), so with both batches in, the order is that of arrival;
      // zmtp's too, bounded per peer (see xpublisher.ts).
      for (const k of [0, 1]) expect(got.filter((t) => t.startsWith(`x${k}`))).toEqual([0, 1, 2, 3].map((i) => `x${k}-${i}`))
      expect(await nothing(xpub)).toBe(true)
    })
  }

  it("incoming: a message that is neither a subscription nor a cancellation (first octet 2) is delivered as it came [libzmq test_xpub_manual: test_user_message]", async () => {
    const xpub = make(ctx, "XPublisher")
    const ep = await bind(ctx, xpub, "tcp")
    const xsub = make(ctx, "XSubscriber")
    xsub.connect(ep)
    await sleep(100)
    await xsub.send(Buffer.from([2, 0x41]))
    await xsub.send(Buffer.alloc(0))
    expect(await recvStrs(xpub)).toEqual(["\x02A"])
    expect(await recvStrs(xpub)).toEqual([""])
  })

  it("subscriptions: 'SHALL receive subscribe and unsubscribe requests from subscribers depending on the transport protocol used.' and 'SHALL deliver these commands to its calling application.'", async () => {
    const xpub = make(ctx, "XPublisher")
    const ep = await bind(ctx, xpub, "tcp")
    const sub = make(ctx, "Subscriber")
    sub.connect(ep)
    sub.subscribe("topic")
    expect(await recvStrs(xpub)).toEqual(["\x01topic"])
    sub.unsubscribe("topic")
    expect(await recvStrs(xpub)).toEqual(["\x00topic"])
  })

  it("subscriptions: 'MAY, depending on configuration, normalize commands ... so that multiple identical subscriptions result in a single command only.' One SUB, verbosity null then allSubs [libzmq test_xpub_verbose: test_xpub_verbose_one_sub]", async () => {
    const xpub = make(ctx, "XPublisher")
    const ep = await bind(ctx, xpub, "tcp")
    const sub = make(ctx, "Subscriber")
    sub.connect(ep)
    sub.subscribe("A")
    expect(await recvStrs(xpub)).toEqual(["\x01A"])
    sub.subscribe("B")
    expect(await recvStrs(xpub)).toEqual(["\x01B"])
    sub.subscribe("A")
    expect(await nothing(xpub)).toBe(true)
    xpub.verbosity = "allSubs"
    sub.subscribe("A")
    expect(await recvStrs(xpub)).toEqual(["\x01A"])
    await xpub.send("A")
    await xpub.send("B")
    expect(await drain(sub)).toEqual([["A"], ["B"]])
  })

  it("subscriptions: normalization across two SUBs, then allSubs [libzmq test_xpub_verbose: test_xpub_verbose_two_subs]", async () => {
    const [pub, sub0, sub1] = await xpubWith2Subs(ctx)
    sub0.subscribe("A")
    expect(await recvStrs(pub)).toEqual(["\x01A"])
    sub1.subscribe("A")
    expect(await nothing(pub)).toBe(true)
    sub0.subscribe("B")
    expect(await recvStrs(pub)).toEqual(["\x01B"])
    pub.verbosity = "allSubs"
    sub1.subscribe("A")
    expect(await recvStrs(pub)).toEqual(["\x01A"])
    await pub.send("A")
    await pub.send("B")
    expect(await drain(sub0)).toEqual([["A"], ["B"]])
    expect(await drain(sub1)).toEqual([["A"]])
  })

  it("subscriptions: one SUB, verbosity allSubsUnsubs; a SUB sends only its last unsubscription [libzmq test_xpub_verbose: test_xpub_verboser_one_sub]", async () => {
    const xpub = make(ctx, "XPublisher")
    const ep = await bind(ctx, xpub, "tcp")
    const sub = make(ctx, "Subscriber")
    sub.connect(ep)
    sub.unsubscribe("A")
    expect(await nothing(xpub)).toBe(true)
    sub.subscribe("A")
    expect(await recvStrs(xpub)).toEqual(["\x01A"])
    sub.subscribe("A")
    expect(await nothing(xpub)).toBe(true)
    sub.unsubscribe("A")
    sub.unsubscribe("A")
    expect(await recvStrs(xpub)).toEqual(["\x00A"])
    expect(await nothing(xpub)).toBe(true)
    sub.unsubscribe("A")
    expect(await nothing(xpub)).toBe(true)
    xpub.verbosity = "allSubsUnsubs"
    sub.subscribe("A")
    expect(await recvStrs(xpub)).toEqual(["\x01A"])
    await xpub.send("A")
    expect(await recvData(sub)).toEqual(["A"])
    sub.unsubscribe("A")
    expect(await recvStrs(xpub)).toEqual(["\x00A"])
    sub.unsubscribe("A")
    expect(await nothing(xpub)).toBe(true)
  })

  it("subscriptions: two SUBs, verbosity allSubsUnsubs [libzmq test_xpub_verbose: test_xpub_verboser_two_subs]", async () => {
    const [pub, sub0, sub1] = await xpubWith2Subs(ctx)
    sub0.subscribe("A")
    expect(await recvStrs(pub)).toEqual(["\x01A"])
    sub1.subscribe("A")
    expect(await nothing(pub)).toBe(true)
    sub0.unsubscribe("A")
    expect(await nothing(pub)).toBe(true)
    sub1.unsubscribe("A")
    expect(await recvStrs(pub)).toEqual(["\x00A"])
    expect(await nothing(pub)).toBe(true)
    pub.verbosity = "allSubsUnsubs"
    sub0.subscribe("A")
    expect(await recvStrs(pub)).toEqual(["\x01A"])
    sub1.subscribe("A")
    expect(await recvStrs(pub)).toEqual(["\x01A"])
    await pub.send("A")
    expect(await recvData(sub0)).toEqual(["A"])
    expect(await recvData(sub1)).toEqual(["A"])
    sub1.unsubscribe("A")
    expect(await recvStrs(pub)).toEqual(["\x00A"])
    sub0.unsubscribe("A")
    expect(await recvStrs(pub)).toEqual(["\x00A"])
    sub1.unsubscribe("A")
    expect(await nothing(pub)).toBe(true)
  })

  it("subscriptions: 'SHALL, if the subscriber peer disconnects prematurely, generate a suitable unsubscribe request for the calling application.' Only for topics nobody else holds", async () => {
    const [pub, sub0, sub1] = await xpubWith2Subs(ctx)
    sub0.subscribe("A", "B")
    sub1.subscribe("A")
    const told = [await recvStrs(pub), await recvStrs(pub)].map((m) => m[0]).sort()
    expect(told).toEqual(["\x01A", "\x01B"])
    expect(await nothing(pub)).toBe(true)
    sub0.close()
    expect(await recvStrs(pub)).toEqual(["\x00B"])
    expect(await nothing(pub)).toBe(true)
    sub1.close()
    expect(await recvStrs(pub)).toEqual(["\x00A"])
  })

  it("subscriptions: topics of 245 and 246 octets, whose SUBSCRIBE commands end either side of the short/long frame boundary, arrive whole [libzmq test_xpub_topic]", async () => {
    const xpub = make(ctx, "XPublisher")
    const ep = await bind(ctx, xpub, "tcp")
    const sub = make(ctx, "Subscriber")
    sub.connect(ep)
    for (const len of [245, 246]) {
      const topic = "ABCDEFGHIJKLMNOP".repeat(16).slice(0, len)
      sub.subscribe(topic)
      expect(await recvStrs(xpub)).toEqual(["\x01" + topic])
      sub.unsubscribe(topic)
      expect(await recvStrs(xpub)).toEqual(["\x00" + topic])
    }
  })

  it("welcomeMessage: each new subscriber gets it first [libzmq test_xpub_welcome_msg]", async () => {
    const xpub = make(ctx, "XPublisher")
    xpub.welcomeMessage = "W"
    const ep = await bind(ctx, xpub, "tcp")
    const sub = make(ctx, "Subscriber")
    sub.subscribe("W")
    sub.connect(ep)
    expect(await recvStrs(xpub)).toEqual(["\x01W"])
    expect(await recvData(sub)).toEqual(["W"])
    // A subscriber not subscribed to it filters it out (it is sent to every new peer).
    const other = make(ctx, "Subscriber")
    other.subscribe("X")
    other.connect(ep)
    expect(await recvStrs(xpub)).toEqual(["\x01X"])
    await xpub.send("X1")
    expect(await recvData(other)).toEqual(["X1"])
  })

  // --- manual mode: libzmq tests/test_xpub_manual.cpp ---------------------------------

  it("manual: the application's subscribe() replaces the peer's [libzmq test_xpub_manual: test_basic]", async () => {
    const pub = make(ctx, "XPublisher", { manual: true })
    const ep = await bind(ctx, pub, "tcp")
    const sub = make(ctx, "XSubscriber")
    sub.connect(ep)
    await sleep(50)
    await sub.send(Buffer.from("\x01A", "latin1"))
    expect(await recvStrs(pub)).toEqual(["\x01A"])
    manualSubscribe(ctx, pub, "B")
    await pub.send("A")
    await pub.send("B")
    expect(await drain(sub)).toEqual([["B"]])
  })

  it("manual: every subscription is told, unsubscribe() applies to the last peer, and a peer leaving is told for each topic it asked for [libzmq test_xpub_manual: test_unsubscribe_manual]", async () => {
    const pub = make(ctx, "XPublisher", { manual: true })
    const ep = await bind(ctx, pub, "tcp")
    const sub = make(ctx, "XSubscriber")
    sub.connect(ep)
    await sleep(50)
    await sub.send(Buffer.from("\x01A", "latin1"))
    await sub.send(Buffer.from("\x01B", "latin1"))
    expect(await recvStrs(pub)).toEqual(["\x01A"])
    manualSubscribe(ctx, pub, "XA")
    expect(await recvStrs(pub)).toEqual(["\x01B"])
    manualSubscribe(ctx, pub, "XB")
    await sub.send(Buffer.from("\x00A", "latin1"))
    expect(await recvStrs(pub)).toEqual(["\x00A"])
    manualSubscribe(ctx, pub, "XA", true)
    await pub.send("XA")
    await pub.send("XB")
    expect(await drain(sub)).toEqual([["XB"]])
    sub.close()
    expect(await recvStrs(pub)).toEqual(["\x00B"])
    manualSubscribe(ctx, pub, "XB", true)
  })

  it("manual: through an XSUB/XPUB forwarder, two subscribers of one topic leaving give two unsubscriptions [libzmq test_xpub_manual: test_xpub_proxy_unsubscribe_on_disconnect]", async () => {
    const xsubProxy = make(ctx, "XSubscriber")
    const front = await bind(ctx, xsubProxy, "tcp")
    const xpubProxy = make(ctx, "XPublisher", { manual: true })
    const back = await bind(ctx, xpubProxy, "tcp")
    const pub = make(ctx, "Publisher")
    pub.connect(front)
    const subs = [make(ctx, "Subscriber"), make(ctx, "Subscriber")]
    for (const s of subs) {
      s.connect(back)
      s.subscribe("1")
      expect(await recvStrs(xpubProxy)).toEqual(["\x011"])
      manualSubscribe(ctx, xpubProxy, "1")
      await xsubProxy.send(Buffer.from("\x011", "latin1"))
    }
    await syncSub(pub, xsubProxy)
    await pub.send(["1", "X"])
    const fwd = await recvData(xsubProxy)
    expect(fwd).toEqual(["1", "X"])
    await xpubProxy.send(fwd)
    for (const s of subs) expect(await recvData(s)).toEqual(["1", "X"])
    for (const s of subs) s.close()
    for (let i = 0; i < 2; i++) {
      expect(await recvStrs(xpubProxy)).toEqual(["\x001"])
      manualSubscribe(ctx, xpubProxy, "1", true)
      await xsubProxy.send(Buffer.from("\x001", "latin1"))
    }
    await sleep(100)
    await pub.send(["1", "X"])
    expect(await nothing(xsubProxy)).toBe(true)
  })

  it("manual: after a peer left, subscribe() has no peer to act on; a new peer's subscription names it again [libzmq test_xpub_manual: test_unsubscribe_cleanup]", async () => {
    const pub = make(ctx, "XPublisher", { manual: true })
    const ep = await bind(ctx, pub, "tcp")
    let sub = make(ctx, "XSubscriber")
    sub.connect(ep)
    await sleep(50)
    await sub.send(Buffer.from("\x01A", "latin1"))
    expect(await recvStrs(pub)).toEqual(["\x01A"])
    manualSubscribe(ctx, pub, "XA")
    await pub.send("XA")
    await pub.send("XB")
    expect(await drain(sub)).toEqual([["XA"]])
    sub.close()
    expect(await recvStrs(pub)).toEqual(["\x00A"])
    manualSubscribe(ctx, pub, "XA", true)
    sub = make(ctx, "XSubscriber")
    sub.connect(ep)
    await sleep(50)
    await sub.send(Buffer.from("\x01B", "latin1"))
    expect(await recvStrs(pub)).toEqual(["\x01B"])
    manualSubscribe(ctx, pub, "XB")
    await pub.send("XA")
    await pub.send("XB")
    expect(await drain(sub)).toEqual([["XB"]])
  })
})
