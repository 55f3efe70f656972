/**
 * RFC 31 (31/EXPAIR), "The PAIR Socket Type", plus libzmq's tests/test_pair_tcp.cpp and
 * test_pair_ipc.cpp (bounce) and what libzmq 4.3.5 does with a second peer (pair_t terminates every
 * pipe after the first; probed through zeromq.js), re-expressed through the zeromq.js v6 API and run
 * against zmtp and libzmq (see README.md).
 */
import { expect, it } from "vitest"
import { describeSubjects, EventCounter, recv, recvStrs, recvWithin, transports, trySend } from "./subjects.js"
import { BIG, fillUntilEagain, S } from "./pipeline-helpers.js"

describeSubjects("RFC 31 PAIR", (ctx) => {
  const { zmq } = ctx

  it("outgoing: 'SHALL block on sending, or return a suitable error, when it has no available peer.'", async () => {
    const pair = ctx.track(new zmq.Pair())
    expect(await trySend(S(pair), "", 0)).toBe("EAGAIN")
    expect(await trySend(S(pair), "", 100)).toBe("EAGAIN")
  })

  for (const transport of transports) {
    it(`${transport}: general: 'MAY both send and receive messages' and 'SHALL not filter or modify outgoing or incoming messages in any way.' (a multipart bounce) [libzmq test_pair_${transport}: bounce]`, async () => {
      const sb = ctx.track(new zmq.Pair())
      const sc = ctx.track(new zmq.Pair())
      const ep = await ctx.bindFresh(S(sb), transport)
      sc.connect(ep)
      const content = Buffer.from("12345678ABCDEFGH12345678abcdefgh")
      const msg = [content, content, content, content, Buffer.alloc(0), Buffer.alloc(100_000, 9)]
      await sc.send(msg)
      const got = await recv(S(sb))
      expect(got.length).toBe(msg.length)
      expect(got.every((f, i) => f.equals(msg[i]))).toBe(true)
      await sb.send(got)
      const back = await recv(S(sc))
      expect(back.every((f, i) => f.equals(msg[i]))).toBe(true)
    })

    it(`${transport}: general: 'SHALL maintain a double queue for its peer, allowing outgoing and incoming messages to be queued independently.'`, async () => {
      const a = ctx.track(new zmq.Pair({ sendHighWaterMark: 1 }))
      const b = ctx.track(new zmq.Pair({ receiveHighWaterMark: 1 }))
      const ep = await ctx.bindFresh(S(a), transport)
      b.connect(ep)
      await b.send("hello")
      expect(await recvStrs(S(a))).toEqual(["hello"])
      const accepted = await fillUntilEagain(a, (i) => [String(i), BIG])
      expect(accepted).toBeGreaterThan(0)
      // Outgoing full; incoming still flows.
      await b.send("still flowing")
      expect(await recvStrs(S(a))).toEqual(["still flowing"])
      for (let i = 0; i < accepted; i++) expect((await recv(S(b)))[0].toString()).toBe(String(i))
    })

    it(`${transport}: general: 'SHALL create a double queue when initiating an outgoing connection to a peer, and SHALL maintain the double queue whether or not the connection is established.'`, async () => {
      const ep = await ctx.freeEndpoint(transport)
      const pair = ctx.track(new zmq.Pair())
      pair.connect(ep)
      expect(await trySend(S(pair), "queued early", 0)).toBeUndefined()
      const peer = ctx.track(new zmq.Pair())
      await peer.bind(ep)
      expect(await recvStrs(S(peer))).toEqual(["queued early"])
      await peer.send("and back")
      expect(await recvStrs(S(pair))).toEqual(["and back"])
    })

    it(`${transport}: general: 'MAY be connected to at most one PAIR peers': a second PAIR that connects to a bound PAIR completes its handshake but is never its peer (nothing it sends is delivered, nothing is sent to it), not even once the first peer has gone; a later new connection is (libzmq 4.3.5 pair_t terminates the extra pipe)`, async () => {
      const srv = ctx.track(new zmq.Pair())
      const seen = new EventCounter(S(srv))
      const ep = await ctx.bindFresh(S(srv), transport)
      const first = ctx.track(new zmq.Pair())
      first.connect(ep)
      await seen.waitFor("handshake", 1)
      const second = ctx.track(new zmq.Pair())
      const secondSeen = new EventCounter(S(second))
      second.connect(ep)
      await secondSeen.waitFor("handshake", 1)
      await seen.waitFor("handshake", 2)
      // Both connections are up; the second's sends are accepted (its own queue has room).
      expect(await trySend(S(second), "from second", 0)).toBeUndefined()
      await first.send("from first")
      expect(await recvStrs(S(srv))).toEqual(["from first"])
      expect(await recvWithin(S(srv), 150)).toBeUndefined()
      await srv.send("to the peer")
      expect(await recvStrs(S(first))).toEqual(["to the peer"])
      expect(await recvWithin(S(second), 150)).toBeUndefined()
      // The first peer leaves: the second does not take its place.
      first.close()
      await seen.waitFor("disconnect", 1)
      expect(await trySend(S(second), "second again", 0)).toBeUndefined()
      expect(await recvWithin(S(srv), 200)).toBeUndefined()
      // A new connection does.
      const third = ctx.track(new zmq.Pair())
      third.connect(ep)
      await seen.waitFor("handshake", 3)
      await third.send("from third")
      expect(await recvStrs(S(srv))).toEqual(["from third"])
      await srv.send("to third")
      expect(await recvStrs(S(third))).toEqual(["to third"])
      expect(second.closed).toBe(false)
    })

    it(`${transport}: general: 'MAY be connected to at most one PAIR peers': a PAIR that connects to two endpoints uses only the first (its pipe exists from connect() on), even while that one is away`, async () => {
      const x = ctx.track(new zmq.Pair())
      const y = ctx.track(new zmq.Pair())
      const ex = await ctx.bindFresh(S(x), transport)
      const ey = await ctx.bindFresh(S(y), transport)
      const c = ctx.track(new zmq.Pair())
      const seen = new EventCounter(S(c))
      c.connect(ex)
      c.connect(ey)
      await seen.waitFor("handshake", 2)
      for (let i = 0; i < 4; i++) await c.send(`m${i}`)
      for (let i = 0; i < 4; i++) expect(await recvStrs(S(x))).toEqual([`m${i}`])
      expect(await recvWithin(S(y), 150)).toBeUndefined()
      await y.send("from y")
      await x.send("from x")
      expect(await recvStrs(S(c))).toEqual(["from x"])
      expect(await recvWithin(S(c), 150)).toBeUndefined()
      // x goes: the queue to it stays (a connecting pipe outlives its connection); y is still not used.
      x.close()
      await seen.waitFor("disconnect", 1)
      expect(await trySend(S(c), "for x later", 0)).toBeUndefined()
      expect(await recvWithin(S(y), 200)).toBeUndefined()
    })

    it(`${transport}: outgoing: 'SHALL consider its peer as available only when it has a outgoing queue that is not full.' and 'SHALL not accept further messages when it has no available peer.'`, async () => {
      const a = ctx.track(new zmq.Pair({ sendHighWaterMark: 1 }))
      const b = ctx.track(new zmq.Pair({ receiveHighWaterMark: 1 }))
      const ep = await ctx.bindFresh(S(b), transport)
      a.connect(ep)
      await a.send("up")
      await recv(S(b))
      const accepted = await fillUntilEagain(a, (i) => [String(i), BIG])
      expect(accepted).toBeGreaterThanOrEqual(0)
      expect(await trySend(S(a), "refused", 0)).toBe("EAGAIN")
      for (let i = 0; i < accepted; i++) await recv(S(b))
      expect(await trySend(S(a), "accepted", 2000)).toBeUndefined()
      expect(await recvStrs(S(b))).toEqual(["accepted"])
    })

    it(`${transport}: outgoing: 'SHALL NOT discard messages that it cannot queue.' (a send that has to wait is delivered once there is room, in order)`, async () => {
      const a = ctx.track(new zmq.Pair({ sendHighWaterMark: 1 }))
      const b = ctx.track(new zmq.Pair({ receiveHighWaterMark: 1 }))
      const ep = await ctx.bindFresh(S(b), transport)
      a.connect(ep)
      await a.send("up")
      await recv(S(b))
      const accepted = await fillUntilEagain(a, (i) => [String(i), BIG])
      expect(accepted).toBeGreaterThanOrEqual(0)
      a.sendTimeout = 5000
      const waiting = a.send(["last", BIG])
      waiting.catch(() => {})
      const got: string[] = []
      for (let i = 0; i <= accepted; i++) got.push((await recv(S(b)))[0].toString())
      await waiting
      expect(got).toEqual([...Array.from({ length: accepted }, (_, i) => String(i)), "last"])
    })

    it(`${transport}: incoming: 'SHALL receive incoming messages from its single peer if it has one.' and 'SHALL deliver these to its calling application.'`, async () => {
      const a = ctx.track(new zmq.Pair())
      const b = ctx.track(new zmq.Pair())
      const ep = await ctx.bindFresh(S(a), transport)
      b.connect(ep)
      for (let i = 0; i < 10; i++) await b.send([String(i), "x"])
      for (let i = 0; i < 10; i++) expect(await recvStrs(S(a))).toEqual([String(i), "x"])
    })
  }
})
