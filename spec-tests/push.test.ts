/**
 * RFC 30 (30/PIPELINE), "The PUSH Socket Type", plus the PUSH scenarios of libzmq's
 * tests/test_spec_pushpull.cpp and test_hwm.cpp, re-expressed through the zeromq.js v6 API and run
 * against zmtp and libzmq (see README.md).
 */
import { expect, it } from "vitest"
import { describeSubjects, EventCounter, recv, recvStrs, recvWithin, transports, trySend } from "./subjects.js"
import { BIG, fillUntilEagain, S, settleOf } from "./pipeline-helpers.js"

describeSubjects("RFC 30 PUSH", (ctx) => {
  const { zmq } = ctx

  it("general: 'MAY be connected to any number of PULL peers, and SHALL only send messages.' (a receive never delivers)", async () => {
    const push = ctx.track(new zmq.Push())
    const got = await settleOf((push as unknown as { receive(): Promise<unknown> }).receive())
    // zmtp: ENOTSUP at once; zeromq.js: the call never settles. Never a message.
    expect(["ENOTSUP", "pending"]).toContain(got)
  })

  it("outgoing: 'SHALL block on sending, or return a suitable error, when it has no available peers.' [libzmq test_spec_pushpull: test_push_block_on_send_no_peers]", async () => {
    const push = ctx.track(new zmq.Push())
    expect(await trySend(S(push), "", 0)).toBe("EAGAIN")
    expect(await trySend(S(push), "", 100)).toBe("EAGAIN")
  })

  for (const transport of transports) {
    it(`${transport}: general: 'SHALL not filter or modify outgoing messages in any way.'`, async () => {
      const push = ctx.track(new zmq.Push())
      const pull = ctx.track(new zmq.Pull())
      const ep = await ctx.bindFresh(S(pull), transport)
      push.connect(ep)
      const msg = [Buffer.alloc(0), Buffer.from([0, 0xff, 0x7f]), Buffer.alloc(0), Buffer.alloc(70_000, 7)]
      await push.send(msg)
      const got = await recv(S(pull))
      expect(got.length).toBe(msg.length)
      expect(got.every((f, i) => f.equals(msg[i]))).toBe(true)
    })

    it(`${transport}: general: 'SHALL create this queue when initiating an outgoing connection to a peer, and SHALL maintain the queue whether or not the connection is established.'`, async () => {
      const ep = await ctx.freeEndpoint(transport)
      const push = ctx.track(new zmq.Push())
      push.connect(ep)
      // No peer yet, but the queue exists: the send is accepted without waiting.
      expect(await trySend(S(push), "queued early", 0)).toBeUndefined()
      const pull = ctx.track(new zmq.Pull())
      await pull.bind(ep)
      expect(await recvStrs(S(pull))).toEqual(["queued early"])
    })

    it(`${transport}: general: 'SHALL create this queue when a peer connects to it. If this peer disconnects, the PUSH socket SHALL destroy its queue and SHALL discard any messages it contains.' (after the peer goes there is no peer to send to, and nothing it left queued reaches the next peer) [libzmq test_spec_pushpull: test_destroy_queue_on_disconnect, disabled in libzmq]`, async () => {
      const push = ctx.track(new zmq.Push({ sendHighWaterMark: 1 }))
      const seen = new EventCounter(S(push))
      const ep = await ctx.bindFresh(S(push), transport)
      // No peer yet: no queue.
      expect(await trySend(S(push), "nobody", 0)).toBe("EAGAIN")
      const first = ctx.track(new zmq.Pull({ receiveHighWaterMark: 1 }))
      first.connect(ep)
      await seen.waitFor("handshake", 1)
      const accepted = await fillUntilEagain(push, (i) => ["old", String(i), BIG])
      expect(accepted).toBeGreaterThan(0)
      first.close()
      await seen.waitFor("disconnect", 1)
      // Its queue is gone with it: there is no available peer.
      expect(await trySend(S(push), "nobody", 0)).toBe("EAGAIN")
      const second = ctx.track(new zmq.Pull())
      second.connect(ep)
      await seen.waitFor("handshake", 2)
      await push.send("fresh")
      expect(await recvStrs(S(second))).toEqual(["fresh"])
      expect(await recvWithin(S(second), 150)).toBeUndefined()
    })

    it(`${transport}: general: 'SHOULD constrain queue sizes to a runtime-configurable limit.' (send and receive HWM 1: sends stop with EAGAIN, every accepted message arrives, in order) [libzmq test_hwm: test_finite_both_bind_first]`, async () => {
      const pull = ctx.track(new zmq.Pull({ receiveHighWaterMark: 1 }))
      const push = ctx.track(new zmq.Push({ sendHighWaterMark: 1 }))
      const ep = await ctx.bindFresh(S(pull), transport)
      push.connect(ep)
      await push.send("up")
      expect(await recvStrs(S(pull))).toEqual(["up"])
      const accepted = await fillUntilEagain(push, (i) => [String(i), BIG])
      expect(accepted).toBeGreaterThan(0)
      for (let i = 0; i < accepted; i++) expect((await recv(S(pull)))[0].toString()).toBe(String(i))
      expect(await trySend(S(push), "one more", 2000)).toBeUndefined()
      expect(await recvStrs(S(pull))).toEqual(["one more"])
    })

    it(`${transport}: outgoing: 'SHALL consider a peer as available only when it has a outgoing queue that is not full.' (one PULL never reads: every send still goes through, to the other)`, async () => {
      const push = ctx.track(new zmq.Push({ sendHighWaterMark: 1 }))
      const seen = new EventCounter(S(push))
      const ep = await ctx.bindFresh(S(push), transport)
      const stuck = ctx.track(new zmq.Pull({ receiveHighWaterMark: 1 }))
      stuck.connect(ep)
      await seen.waitFor("handshake", 1)
      const reader = ctx.track(new zmq.Pull({ receiveHighWaterMark: 1 }))
      reader.connect(ep)
      await seen.waitFor("handshake", 2)
      const total = 120
      let received = 0
      let sendsDone = false
      const reading = (async () => {
        for (;;) {
          if (await recvWithin(S(reader), 100)) received++
          else if (sendsDone) return
        }
      })()
      let failures = 0
      for (let i = 0; i < total; i++) if ((await trySend(S(push), [String(i), BIG], 2000)) !== undefined) failures++
      sendsDone = true
      await reading
      expect(failures).toBe(0)
      expect(received).toBeGreaterThan(total / 2)
    })

    it(`${transport}: outgoing: 'SHALL route outgoing messages to available peers using a round-robin strategy.' (2N messages to N PULLs: each gets one of each) [libzmq test_spec_pushpull: test_push_round_robin_out]`, async () => {
      const push = ctx.track(new zmq.Push())
      const seen = new EventCounter(S(push))
      const ep = await ctx.bindFresh(S(push), transport)
      const pulls = []
      for (let i = 0; i < 5; i++) {
        const pull = ctx.track(new zmq.Pull())
        pull.connect(ep)
        pulls.push(pull)
      }
      await seen.waitFor("handshake", 5)
      for (let i = 0; i < 5; i++) await push.send("ABC")
      for (let i = 0; i < 5; i++) await push.send("DEF")
      for (const pull of pulls) {
        expect(await recvStrs(S(pull))).toEqual(["ABC"])
        expect(await recvStrs(S(pull))).toEqual(["DEF"])
      }
    })

    it(`${transport}: outgoing: 'SHALL not accept further messages when it has no available peers.' (the only peer full: EAGAIN; once it reads, accepted again)`, async () => {
      const push = ctx.track(new zmq.Push({ sendHighWaterMark: 1 }))
      const pull = ctx.track(new zmq.Pull({ receiveHighWaterMark: 1 }))
      const ep = await ctx.bindFresh(S(pull), transport)
      push.connect(ep)
      await push.send("up")
      await recv(S(pull))
      const accepted = await fillUntilEagain(push, (i) => [String(i), BIG])
      expect(accepted).toBeGreaterThanOrEqual(0)
      expect(await trySend(S(push), "refused", 0)).toBe("EAGAIN")
      for (let i = 0; i < accepted; i++) await recv(S(pull))
      expect(await trySend(S(push), "accepted", 2000)).toBeUndefined()
      expect(await recvStrs(S(pull))).toEqual(["accepted"])
    })

    it(`${transport}: outgoing: 'SHALL NOT discard messages that it cannot queue.' (sends past the HWM, not awaited, all arrive in order)`, async () => {
      const push = ctx.track(new zmq.Push({ sendHighWaterMark: 1 }))
      const pull = ctx.track(new zmq.Pull({ receiveHighWaterMark: 1 }))
      const ep = await ctx.bindFresh(S(pull), transport)
      push.connect(ep)
      await push.send("up")
      await recv(S(pull))
      const accepted = await fillUntilEagain(push, (i) => [String(i), BIG])
      expect(accepted).toBeGreaterThanOrEqual(0)
      // These cannot be queued now; with a send timeout they wait (zmtp queues them in call order;
      // zeromq.js allows one send in flight, so there they go one after the other).
      push.sendTimeout = 10_000
      const last = 20
      const waiting = (async () => {
        for (let i = 0; i < last; i++) await push.send([`late ${i}`, BIG])
      })()
      waiting.catch(() => {})
      const got: string[] = []
      for (let i = 0; i < accepted + last; i++) got.push((await recv(S(pull)))[0].toString())
      await waiting
      expect(got).toEqual([...Array.from({ length: accepted }, (_, i) => String(i)), ...Array.from({ length: last }, (_, i) => `late ${i}`)])
    })
  }
})
