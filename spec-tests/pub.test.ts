/**
 * RFC 29 (29/PUBSUB), "The PUB Socket Type", plus libzmq 4.3.5's pub-sub scenarios (tests/
 * test_pubsub.cpp, test_hwm_pubsub.cpp, test_xpub_nodrop.cpp, test_pub_invert_matching.cpp), re-expressed through the zeromq.js v6 API and run against both subjects.
 */
import { expect, it } from "vitest"
import { bind, drain, make, nothing, publish, recvData, sleep, syncSub, trySendPS } from "./pubsub-helpers.js"
import { type AnySocket, describeSubjects, EventCounter, itSkipOnLibzmq, transports } from "./subjects.js"

const BIG = Buffer.alloc(64 * 1024, 0x70)

describeSubjects("RFC 29 PUB", (ctx) => {
  it("general: 'MAY be connected to any number of SUB or XSUB subscribers, and SHALL only send messages.'", async () => {
    const pub = make(ctx, "Publisher")
    const ep = await bind(ctx, pub, "tcp")
    const sub = make(ctx, "Subscriber")
    const xsub = make(ctx, "XSubscriber")
    sub.subscribe("t")
    sub.connect(ep)
    await xsub.send(Buffer.from("\x01t", "latin1"))
    xsub.connect(ep)
    await syncSub(pub, sub)
    await syncSub(pub, xsub)
    await pub.send("t1")
    expect(await recvData(sub)).toEqual(["t1"])
    expect(await recvData(xsub)).toEqual(["t1"])
    // Only sends: never readable (zeromq.js's Publisher type has no receive; zmtp's rejects with ENOTSUP).
    expect(pub.readable).toBe(false)
    expect(pub.writable).toBe(true)
    if (ctx.name === "zmtp") await expect(pub.receive()).rejects.toMatchObject({ code: "ENOTSUP" })
  })

  for (const transport of transports) {
    it(`${transport}: general: 'SHALL maintain a single outgoing message queue for each connected subscriber.' A subscriber that does not read costs the others nothing`, async () => {
      const pub = make(ctx, "Publisher", { sendHighWaterMark: 10 })
      const ep = await bind(ctx, pub, transport)
      const fast = make(ctx, "Subscriber")
      const slow = make(ctx, "Subscriber", { receiveHighWaterMark: 1 })
      for (const s of [fast, slow]) {
        s.subscribe("m")
        s.connect(ep)
        await syncSub(pub, s)
      }
      // Lock-step with the fast subscriber: it has at most one message on the way, so it must get
      // every one, while the slow one's queue fills and overflows.
      for (let i = 0; i < 200; i++) {
        await pub.send([`m${i}`, BIG])
        expect((await recvData(fast))![0]).toBe(`m${i}`)
      }
      const late = await drain(slow)
      expect(late.length).toBeLessThan(200)
      const seq = late.map((m) => Number(m[0]!.slice(1)))
      expect(seq).toEqual([...seq].sort((a, b) => a - b))
    })

    it(`${transport}: general: 'SHALL create a queue when initiating an outgoing connection to a subscriber, and SHALL maintain the queue whether or not the connection is established.'`, async () => {
      // The PUB connects. While its subscriber is away, what matches the subscriptions that peer
      // made waits in the queue and reaches the next subscriber on that endpoint (libzmq keeps the
      // connecting pipe, and its subscriptions, across reconnects; the SUB filters locally).
      const ep = await ctx.freeEndpoint(transport)
      const sub1 = make(ctx, "Subscriber")
      sub1.subscribe("A")
      await sub1.bind(ep)
      const pub = make(ctx, "Publisher", { reconnectInterval: 20 })
      const events = new EventCounter(pub as unknown as AnySocket)
      pub.connect(ep)
      await syncSub(pub, sub1)
      sub1.close()
      // Sent once the PUB knows the connection is gone (before, it would go to the old one).
      await events.waitFor("disconnect")
      await pub.send("A-while-away")
      const sub2 = make(ctx, "Subscriber")
      sub2.subscribe("A")
      await sub2.bind(ep)
      expect(await recvData(sub2)).toEqual(["A-while-away"])
    })

    it(`${transport}: general: 'SHALL create a queue when a subscriber connects to it. If this subscriber disconnects, the PUB socket SHALL destroy its queue and SHALL discard any messages it contains.'`, async () => {
      const pub = make(ctx, "Publisher", { sendHighWaterMark: 5 })
      const ep = await bind(ctx, pub, transport)
      const sub1 = make(ctx, "Subscriber", { receiveHighWaterMark: 1 })
      sub1.subscribe("q")
      sub1.connect(ep)
      await syncSub(pub, sub1)
      // sub1 reads nothing: its queue at the PUB fills.
      await publish(pub, "q-old", 100, [BIG])
      sub1.close()
      await sleep(100)
      const sub2 = make(ctx, "Subscriber")
      sub2.subscribe("q")
      sub2.connect(ep)
      await syncSub(pub, sub2)
      await pub.send("q-new")
      expect(await recvData(sub2)).toEqual(["q-new"])
      expect(await nothing(sub2)).toBe(true)
    })
  }

  it("general: 'SHOULD constrain queue sizes to a runtime-configurable limit.' (sendHighWaterMark, default 1000) [libzmq test_hwm_pubsub: test_defaults]", () => {
    const pub = make(ctx, "Publisher")
    expect(pub.sendHighWaterMark).toBe(1000)
    pub.sendHighWaterMark = 3
    expect(pub.sendHighWaterMark).toBe(3)
  })

  it("general: 'SHALL silently discard any messages that subscribers send it.'; subscriptions: 'SHALL receive subscribe and unsubscribe requests from subscribers depending on the transport protocol used.' and 'SHALL NOT deliver these commands to its calling application.'", async () => {
    const pub = make(ctx, "Publisher")
    const ep = await bind(ctx, pub, "tcp")
    const xsub = make(ctx, "XSubscriber")
    xsub.connect(ep)
    await xsub.send(Buffer.from("\x01d", "latin1"))
    for (let i = 0; i < 20; i++) await xsub.send(["user", `message ${i}`])
    await syncSub(pub, xsub)
    await pub.send("d1")
    expect(await recvData(xsub)).toEqual(["d1"])
    expect(pub.readable).toBe(false)
  })

  for (const transport of transports) {
    it(`${transport}: outgoing: 'SHALL not modify outgoing messages in any way.'`, async () => {
      const pub = make(ctx, "Publisher")
      const ep = await bind(ctx, pub, transport)
      const sub = make(ctx, "Subscriber")
      sub.subscribe(Buffer.from([0x00, 0xff]))
      sub.connect(ep)
      await syncSub(pub, sub)
      const msg = [Buffer.from([0x00, 0xff, 0x01]), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from([0x01, 0x00])]
      await pub.send(msg)
      const got = await recvData(sub)
      expect(got).toEqual(msg.map((f) => f.toString("latin1")))
    })
  }

  it("outgoing: 'SHALL perform a binary comparison of the subscription against the start of the first frame of the message.'", async () => {
    const pub = make(ctx, "Publisher")
    const ep = await bind(ctx, pub, "tcp")
    const sub = make(ctx, "Subscriber")
    const long = "L".repeat(300)
    sub.subscribe("ab", Buffer.from([0x00]), long)
    sub.connect(ep)
    await syncSub(pub, sub)
    const sends: (string | Buffer)[][] = [
      ["abc"], // prefix match
      ["ab"], // exact
      ["a"], // shorter than the subscription
      ["Abc"], // octets, so case counts
      ["x", "ab"], // only the first frame is compared
      [Buffer.from([0x00, 0x01])],
      [Buffer.from([0x01, 0x00])],
      [long + "!"],
      [long.slice(1)],
    ]
    for (const m of sends) await pub.send(m)
    expect(await drain(sub)).toEqual([["abc"], ["ab"], ["\x00\x01"], [long + "!"]])
  })

  it("outgoing: an empty subscription matches every message, an empty one too [libzmq test_pubsub]", async () => {
    const pub = make(ctx, "Publisher")
    const ep = await bind(ctx, pub, "tcp")
    const sub = make(ctx, "Subscriber")
    sub.subscribe()
    sub.connect(ep)
    await syncSub(pub, sub)
    await pub.send(["", "body"])
    await pub.send("anything")
    expect(await drain(sub)).toEqual([["", "body"], ["anything"]])
  })

  for (const transport of transports) {
    it(`${transport}: outgoing: 'SHALL silently drop the message if the queue for a subscriber is full.' and 'SHALL NOT block on sending.' Multipart messages arrive whole or not at all [libzmq test_hwm_pubsub: test_defaults]`, async () => {
      const pub = make(ctx, "Publisher", { sendHighWaterMark: 2, sendTimeout: 0 })
      const ep = await bind(ctx, pub, transport)
      const sub = make(ctx, "Subscriber", { receiveHighWaterMark: 2 })
      sub.subscribe("")
      sub.connect(ep)
      await syncSub(pub, sub)
      // sendTimeout 0: a send that would have to wait fails with EAGAIN. None does.
      for (let i = 0; i < 400; i++) expect(await trySendPS(pub, [`${i}`, BIG, "end"], 0)).toBeUndefined()
      const got = await drain(sub, 300)
      expect(got.length).toBeGreaterThan(0)
      expect(got.length).toBeLessThan(400)
      for (const m of got) {
        expect(m.length).toBe(3)
        expect(m[1]!.length).toBe(BIG.length)
        expect(m[2]).toBe("end")
      }
      const seq = got.map((m) => Number(m[0]))
      expect(seq).toEqual([...seq].sort((a, b) => a - b))
      // The subscriber is served again once it has read.
      await pub.send("after")
      expect(await recvData(sub)).toEqual(["after"])
    })
  }

  it("noDrop: a matching subscriber's full queue refuses the send with EAGAIN (after sendTimeout), others' do not, nothing is dropped, and sends go through again once it reads [libzmq test_xpub_nodrop]", async () => {
    const pub = make(ctx, "Publisher", { noDrop: true, sendHighWaterMark: 2 })
    const ep = await bind(ctx, pub, "tcp")
    const sub = make(ctx, "Subscriber", { receiveHighWaterMark: 2 })
    sub.subscribe("A")
    sub.connect(ep)
    await syncSub(pub, sub)
    let accepted = 0
    let refusal: string | undefined
    for (; accepted < 2000; accepted++) {
      refusal = await trySendPS(pub, [`A${accepted}`, BIG], 100)
      if (refusal) break
    }
    expect(refusal).toBe("EAGAIN")
    // A message nobody subscribed to is not held up.
    expect(await trySendPS(pub, "B-unmatched", 100)).toBeUndefined()
    // Every accepted message arrives: nothing was dropped. Meanwhile the refused one is retried
    // until it goes through (zeromq.js refuses at once; zmtp waits up to sendTimeout).
    const retrying = (async () => {
      while ((await trySendPS(pub, [`A${accepted}`, BIG], 100)) === "EAGAIN") await sleep(5)
    })()
    for (let i = 0; i <= accepted; i++) expect((await recvData(sub))![0]).toBe(`A${i}`)
    await retrying
  })

  // On libzmq (through zeromq.js) the waiting send mostly fails with EAGAIN at once, but goes through
  // when a libzmq pipe event happens to come first: a race either way, so skipped there.
  itSkipOnLibzmq(ctx, "zeromq.js mostly rejects a noDrop send with EAGAIN at once whatever sendTimeout, as a PUB always polls writable, but waits when a pipe event comes first; libzmq's blocking zmq_send waits, as zmtp does")(
    "noDrop: a send that finds a matching subscriber's queue full waits for room (sendTimeout -1) and goes out once the subscriber reads",
    async () => {
      const pub = make(ctx, "Publisher", { noDrop: true, sendHighWaterMark: 2 })
      const ep = await bind(ctx, pub, "tcp")
      const sub = make(ctx, "Subscriber", { receiveHighWaterMark: 2 })
      sub.subscribe("A")
      sub.connect(ep)
      await syncSub(pub, sub)
      let accepted = 0
      const fill = async () => {
        while (accepted < 2000 && (await trySendPS(pub, [`A${accepted}`, BIG], 100)) === undefined) accepted++
      }
      // Fill, let the I/O settle (libzmq's I/O thread may still move messages into the kernel's
      // buffers after the first refusal), fill again: now the queue is full for good.
      await fill()
      await sleep(300)
      await fill()
      expect(accepted).toBeLessThan(2000)
      const waiting = trySendPS(pub, ["A-last", "x"], -1)
      for (let i = 0; i < accepted; i++) expect((await recvData(sub))![0]).toBe(`A${i}`)
      expect(await waiting).toBeUndefined()
      expect(await recvData(sub)).toEqual(["A-last", "x"])
    },
  )

  it("invertMatching: messages go to the subscribers whose subscriptions do not match them [libzmq test_pub_invert_matching]", async () => {
    const pub = make(ctx, "Publisher", { invertMatching: true })
    const ep = await bind(ctx, pub, "tcp")
    const sub1 = make(ctx, "Subscriber", { invertMatching: true })
    const sub2 = make(ctx, "Subscriber", { invertMatching: true })
    sub1.subscribe("prefi")
    sub2.subscribe("p")
    sub1.connect(ep)
    sub2.connect(ep)
    // With inverted matching a new subscriber gets everything until its subscriptions arrive, and
    // nothing tells when they have: a settle time, as libzmq's own test has.
    await sleep(400)
    await pub.send("!flush")
    await drain(sub1)
    await drain(sub2)
    for (const t of ["prefix1", "p2", "none"]) await pub.send(t)
    expect(await drain(sub1)).toEqual([["p2"], ["none"]])
    expect(await drain(sub2)).toEqual([["none"]])
    // A SUB without invertMatching filters the other way and so gets nothing here.
    const plain = make(ctx, "Subscriber")
    plain.subscribe("p")
    plain.connect(ep)
    await sleep(400)
    await pub.send("p3")
    await pub.send("q")
    expect(await nothing(plain)).toBe(true)
  })
})
