/**
 * RFC 29 (29/PUBSUB), "The SUB Socket Type", plus libzmq 4.3.5's behaviour where the RFC is silent
 * (counted subscriptions, resending them on reconnect, local filtering, conflate: tests/
 * test_pubsub.cpp, test_conflate.cpp), run against both subjects.
 */
import { expect, it } from "vitest"
import { bind, drain, make, manualSubscribe, nothing, publish, recvData, recvStrs, sleep, syncSub } from "./pubsub-helpers.js"
import { describeSubjects, itKnownLibzmqDefect, transports } from "./subjects.js"

describeSubjects("RFC 29 SUB", (ctx) => {
  it("general: 'MAY be connected to any number of PUB or XPUB publishers, and SHALL only receive messages.'", async () => {
    const pub = make(ctx, "Publisher")
    const xpub = make(ctx, "XPublisher")
    const sub = make(ctx, "Subscriber")
    sub.subscribe("m")
    sub.connect(await bind(ctx, pub, "tcp"))
    sub.connect(await bind(ctx, xpub, "tcp"))
    await syncSub(pub, sub)
    await syncSub(xpub, sub)
    await pub.send("m-pub")
    expect(await recvData(sub)).toEqual(["m-pub"])
    await xpub.send("m-xpub")
    expect(await recvData(sub)).toEqual(["m-xpub"])
    // Only receives: never writable (zeromq.js's Subscriber type has no send; zmtp's rejects with ENOTSUP).
    expect(sub.writable).toBe(false)
    if (ctx.name === "zmtp") await expect(sub.send("x")).rejects.toMatchObject({ code: "ENOTSUP" })
  })

  for (const transport of transports) {
    it(`${transport}: general: 'SHALL create a queue when initiating an outgoing connection to a publisher, and SHALL maintain the queue whether or not the connection is established.' Subscriptions made before the publisher exists take effect`, async () => {
      const ep = await ctx.freeEndpoint(transport)
      const sub = make(ctx, "Subscriber", { reconnectInterval: 20 })
      sub.subscribe("early")
      sub.connect(ep)
      sub.subscribe("later")
      const pub = make(ctx, "Publisher")
      await pub.bind(ep)
      await syncSub(pub, sub)
      await pub.send("early1")
      await pub.send("later1")
      await pub.send("other")
      expect(await drain(sub)).toEqual([["early1"], ["later1"]])
    })

    it(`${transport}: general: a connecting SUB sends all its subscriptions again on every reconnect [libzmq session_base reconnect / xsub_t::xhiccuped]`, async () => {
      const ep = await ctx.freeEndpoint(transport)
      const sub = make(ctx, "Subscriber", { reconnectInterval: 20 })
      sub.subscribe("A", "B", "B")
      sub.connect(ep)
      for (let round = 0; round < 2; round++) {
        const pub = make(ctx, "Publisher")
        await pub.bind(ep)
        await syncSub(pub, sub)
        for (const t of ["A", "B", "C"]) await pub.send(`${t}${round}`)
        expect(await drain(sub)).toEqual(round === 0 ? [["A0"], ["B0"]] : [["B1"]])
        pub.close()
        if (round === 0) sub.unsubscribe("A")
        await sleep(50)
      }
    })

    it(`${transport}: general: 'SHALL create a queue when a publisher connects to it. If this publisher disconnects, the SUB socket SHALL destroy its queue ...' What the publisher sent before it left is still delivered, as libzmq delivers it (README migration table)`, async () => {
      const sub = make(ctx, "Subscriber")
      sub.subscribe("")
      const ep = await bind(ctx, sub, transport)
      const pub = make(ctx, "Publisher", { linger: 1000 })
      pub.connect(ep)
      await syncSub(pub, sub)
      await publish(pub, "gone", 3)
      pub.close()
      for (let i = 0; i < 3; i++) expect(await recvData(sub)).toEqual([`gone${i}`])
      // A new publisher gets its own queue.
      const pub2 = make(ctx, "Publisher")
      pub2.connect(ep)
      await syncSub(pub2, sub)
      await pub2.send("new")
      expect(await recvData(sub)).toEqual(["new"])
    })
  }

  it("general: 'SHOULD constrain queue sizes to a runtime-configurable limit.' (receiveHighWaterMark, default 1000); linger defaults to 0, as libzmq's xsub_t sets it", () => {
    const sub = make(ctx, "Subscriber")
    expect(sub.receiveHighWaterMark).toBe(1000)
    expect(sub.linger).toBe(0)
    sub.receiveHighWaterMark = 2
    expect(sub.receiveHighWaterMark).toBe(2)
  })

  for (const transport of transports) {
    it(`${transport}: incoming: 'SHALL silently discard messages if the queue for a publisher is full.' The publisher is never held up, and what arrives is whole and in order`, async () => {
      const pub = make(ctx, "Publisher", { sendHighWaterMark: 2 })
      const ep = await bind(ctx, pub, transport)
      const sub = make(ctx, "Subscriber", { receiveHighWaterMark: 2 })
      sub.subscribe("")
      sub.connect(ep)
      await syncSub(pub, sub)
      const big = Buffer.alloc(64 * 1024, 1)
      await publish(pub, "", 300, [big])
      const got = await drain(sub, 300)
      expect(got.length).toBeGreaterThan(0)
      expect(got.length).toBeLessThan(300)
      for (const m of got) expect(m[1]!.length).toBe(big.length)
      const seq = got.map((m) => Number(m[0]))
      expect(seq).toEqual([...seq].sort((a, b) => a - b))
    })

    it(`${transport}: incoming: 'SHALL receive incoming messages from its publishers using a fair-queuing strategy.'`, async () => {
      const sub = make(ctx, "Subscriber")
      sub.subscribe("")
      const ep = await bind(ctx, sub, transport)
      const pubs = [make(ctx, "Publisher"), make(ctx, "Publisher")]
      for (const p of pubs) {
        p.connect(ep)
        await syncSub(p, sub)
      }
      for (const [k, p] of pubs.entries()) await publish(p, `p${k}-`, 5)
      // Let both batches arrive before reading.
      await sleep(300)
      const got = (await drain(sub)).map((m) => m[0]!)
      expect(got.length).toBe(10)
      // Each publisher's order holds, and the first two come from different publishers.
      for (const k of [0, 1]) expect(got.filter((t) => t.startsWith(`p${k}`))).toEqual([0, 1, 2, 3, 4].map((i) => `p${k}-${i}`))
      expect(got[0]!.slice(0, 2)).not.toBe(got[1]!.slice(0, 2))
    })
  }

  it("general: 'SHALL maintain a single incoming message queue for each connected publisher.' One publisher filling its queue does not hold up another's messages", async () => {
    const sub = make(ctx, "Subscriber", { receiveHighWaterMark: 1 })
    sub.subscribe("")
    const ep = await bind(ctx, sub, "tcp")
    const flood = make(ctx, "Publisher")
    const quiet = make(ctx, "Publisher")
    for (const p of [flood, quiet]) {
      p.connect(ep)
      await syncSub(p, sub)
    }
    await publish(flood, "flood", 200, [Buffer.alloc(64 * 1024, 1)])
    await quiet.send("quiet")
    await sleep(300)
    // Fair queuing over the two queues: the quiet publisher's message comes within the first reads.
    const firsts: string[] = []
    for (let i = 0; i < 3; i++) firsts.push((await recvData(sub))![0]!)
    expect(firsts).toContain("quiet")
  })

  it("incoming: 'SHALL not modify incoming messages in any way.' and 'SHALL deliver messages to its calling application.'", async () => {
    const pub = make(ctx, "Publisher")
    const ep = await bind(ctx, pub, "ipc")
    const sub = make(ctx, "Subscriber")
    sub.subscribe("")
    sub.connect(ep)
    await syncSub(pub, sub)
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    await pub.send([all, Buffer.alloc(0), Buffer.alloc(300_000, 9)])
    const got = await recvData(sub)
    expect(got).toEqual([all.toString("latin1"), "", Buffer.alloc(300_000, 9).toString("latin1")])
  })

  it("incoming: 'MAY, depending on the transport, filter messages according to subscriptions, using a prefix match algorithm.' A SUB filters locally too: an XPUB in manual mode that sends it everything cannot make it deliver what it did not subscribe to", async () => {
    const xpub = make(ctx, "XPublisher", { manual: true })
    const ep = await bind(ctx, xpub, "tcp")
    const sub = make(ctx, "Subscriber")
    sub.subscribe("A")
    sub.connect(ep)
    expect(await recvStrs(xpub)).toEqual(["\x01A"])
    // Manual mode: the XPUB subscribes this peer to everything instead.
    manualSubscribe(ctx, xpub, "")
    for (const t of ["A1", "B1", "A2"]) await xpub.send(t)
    expect(await drain(sub)).toEqual([["A1"], ["A2"]])
  })

  it("subscriptions are counted: after two subscribe('x') it takes two unsubscribe('x') to stop; unsubscribe() with no argument ends subscribe() [libzmq trie_t]", async () => {
    const pub = make(ctx, "Publisher")
    const ep = await bind(ctx, pub, "tcp")
    const sub = make(ctx, "Subscriber")
    sub.subscribe("x")
    sub.subscribe("x")
    sub.connect(ep)
    await syncSub(pub, sub)
    sub.unsubscribe("x")
    await syncSub(pub, sub)
    await pub.send("x1")
    expect(await recvData(sub)).toEqual(["x1"])
    sub.unsubscribe("x")
    await syncSub(pub, sub)
    await pub.send("x2")
    expect(await nothing(sub)).toBe(true)
    sub.subscribe()
    await syncSub(pub, sub)
    await pub.send("y")
    expect(await recvData(sub)).toEqual(["y"])
    sub.unsubscribe()
    await syncSub(pub, sub)
    await pub.send("z")
    expect(await nothing(sub)).toBe(true)
  })

  it("a late subscriber gets only messages published after its subscription took effect", async () => {
    const pub = make(ctx, "Publisher")
    const ep = await bind(ctx, pub, "tcp")
    await publish(pub, "old", 5)
    const sub = make(ctx, "Subscriber")
    sub.subscribe("")
    sub.connect(ep)
    await syncSub(pub, sub)
    await pub.send("new")
    expect(await drain(sub)).toEqual([["new"]])
  })

  it("an unsubscribe takes effect locally at once, before the publisher has heard of it [libzmq sub_t: filter on receive]", async () => {
    const pub = make(ctx, "Publisher")
    const ep = await bind(ctx, pub, "tcp")
    const sub = make(ctx, "Subscriber")
    sub.subscribe("a")
    sub.connect(ep)
    await syncSub(pub, sub)
    await publish(pub, "a", 3)
    await sleep(100)
    // The three messages are already queued here; none is delivered once unsubscribed.
    sub.unsubscribe("a")
    expect(await nothing(sub)).toBe(true)
  })

  it("conflate: only the newest message is kept [libzmq test_conflate]", async () => {
    const pub = make(ctx, "Publisher")
    const ep = await bind(ctx, pub, "tcp")
    const sub = make(ctx, "Subscriber", { conflate: true })
    sub.subscribe("")
    sub.connect(ep)
    // One subscription only (see the next test): publish until one arrives.
    for (;;) {
      await pub.send("c-probe")
      if (await recvData(sub, 20)) break
    }
    await publish(pub, "c", 100)
    await sleep(300)
    expect(await drain(sub)).toEqual([["c99"]])
  })

  itKnownLibzmqDefect(ctx, "with conflate, libzmq's SUB conflates its outgoing subscriptions too, so of several sent together only the last reaches the publisher")(
    "conflate: every subscription still reaches the publisher",
    async () => {
      const pub = make(ctx, "Publisher")
      const ep = await bind(ctx, pub, "tcp")
      const sub = make(ctx, "Subscriber", { conflate: true })
      sub.subscribe("a", "b")
      sub.connect(ep)
      // Each subscription must take effect: its topic's messages then arrive (the newest, with conflate).
      for (const t of ["a", "b"]) {
        let got = false
        for (let i = 0; i < 40 && !got; i++) {
          await pub.send(`${t}-probe`)
          // A late probe of the previous topic may still come in; only this topic's counts.
          got = (await recvData(sub, 50))?.[0] === `${t}-probe`
        }
        expect(got, `messages for "${t}" arrive`).toBe(true)
      }
    },
  )
})
