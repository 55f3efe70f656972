/**
 * RFC 30 (30/PIPELINE), "The PULL Socket Type", plus the PULL scenarios of libzmq's
 * tests/test_spec_pushpull.cpp and test_conflate.cpp, re-expressed through the zeromq.js v6 API and
 * run against zmtp and libzmq (see README.md).
 */
import { expect, it } from "vitest"
import { describeSubjects, EventCounter, recv, recvStrs, recvWithin, sleep, transports } from "./subjects.js"
import { BIG, fillUntilEagain, S, settleOf } from "./pipeline-helpers.js"

describeSubjects("RFC 30 PULL", (ctx) => {
  const { zmq } = ctx

  for (const transport of transports) {
    it(`${transport}: general: 'MAY be connected to any number of PUSH peers, and SHALL only receive messages.' (a send never reaches the peer)`, async () => {
      const pull = ctx.track(new zmq.Pull())
      const push = ctx.track(new zmq.Push())
      const seen = new EventCounter(S(pull))
      const ep = await ctx.bindFresh(S(pull), transport)
      push.connect(ep)
      await seen.waitFor("handshake", 1)
      const got = await settleOf((pull as unknown as { send(m: string): Promise<void> }).send("backwards"))
      expect(["ENOTSUP", "pending"]).toContain(got)
      // The pipeline still works forward.
      await push.send("forward")
      expect(await recvStrs(S(pull))).toEqual(["forward"])
    })

    it(`${transport}: general: 'SHALL not filter or modify incoming messages in any way.'`, async () => {
      const pull = ctx.track(new zmq.Pull())
      const push = ctx.track(new zmq.Push())
      const ep = await ctx.bindFresh(S(pull), transport)
      push.connect(ep)
      const msg = [Buffer.from([0xff, 0]), Buffer.alloc(0), Buffer.alloc(300_000, 3)]
      await push.send(msg)
      const got = await recv(S(pull))
      expect(got.length).toBe(msg.length)
      expect(got.every((f, i) => f.equals(msg[i]))).toBe(true)
    })

    it(`${transport}: general: 'SHALL create this queue when initiating an outgoing connection to a peer, and SHALL maintain the queue whether or not the connection is established.' (PULL connects first; a PUSH that binds later delivers)`, async () => {
      const ep = await ctx.freeEndpoint(transport)
      const pull = ctx.track(new zmq.Pull())
      pull.connect(ep)
      const push = ctx.track(new zmq.Push())
      await push.bind(ep)
      await push.send("late binder")
      expect(await recvStrs(S(pull))).toEqual(["late binder"])
    })

    it(`${transport}: general: 'SHOULD constrain incoming queue sizes to a runtime-configurable limit.' (receive HWM 1, a PULL that does not read: the PUSH's sends stop with EAGAIN instead of piling up)`, async () => {
      const pull = ctx.track(new zmq.Pull({ receiveHighWaterMark: 1 }))
      const push = ctx.track(new zmq.Push({ sendHighWaterMark: 1 }))
      const ep = await ctx.bindFresh(S(pull), transport)
      push.connect(ep)
      await push.send("up")
      await recv(S(pull))
      const accepted = await fillUntilEagain(push, (i) => [String(i), BIG])
      // Bounded: kernel buffers, the two queues of one message each, and nothing more.
      expect(accepted).toBeGreaterThanOrEqual(0)
      expect(accepted).toBeLessThan(100)
      for (let i = 0; i < accepted; i++) expect((await recv(S(pull)))[0].toString()).toBe(String(i))
    })

    it(`${transport}: incoming: 'SHALL receive incoming messages from its peers using a fair-queuing strategy.' (two from each of five PUSHes: one from each first, then the second batch) [libzmq test_spec_pushpull: test_pull_fair_queue_in]`, async () => {
      const pull = ctx.track(new zmq.Pull())
      const seen = new EventCounter(S(pull))
      const ep = await ctx.bindFresh(S(pull), transport)
      const pushes = []
      for (let i = 0; i < 5; i++) {
        const push = ctx.track(new zmq.Push())
        push.connect(ep)
        pushes.push(push)
      }
      await seen.waitFor("handshake", 5)
      for (let i = 0; i < 5; i++) {
        await pushes[i].send(String.fromCharCode(65 + i))
        await pushes[i].send(String.fromCharCode(65 + 5 + i))
      }
      // Wait for data (libzmq's SETTLE_TIME): all ten are queued before the first is read.
      await sleep(200)
      const firstHalf: string[] = []
      for (let i = 0; i < 5; i++) firstHalf.push((await recvStrs(S(pull)))[0])
      const secondHalf: string[] = []
      for (let i = 0; i < 5; i++) secondHalf.push((await recvStrs(S(pull)))[0])
      expect(firstHalf.sort()).toEqual(["A", "B", "C", "D", "E"])
      expect(secondHalf.sort()).toEqual(["F", "G", "H", "I", "J"])
    })

    it(`${transport}: incoming: 'SHALL deliver these to its calling application.' (multipart messages whole, in each peer's order)`, async () => {
      const pull = ctx.track(new zmq.Pull())
      const ep = await ctx.bindFresh(S(pull), transport)
      const push = ctx.track(new zmq.Push())
      push.connect(ep)
      for (let i = 0; i < 20; i++) await push.send([String(i), "b", "c"])
      for (let i = 0; i < 20; i++) expect(await recvStrs(S(pull))).toEqual([String(i), "b", "c"])
      expect(await recvWithin(S(pull), 100)).toBeUndefined()
    })

    it(`${transport}: conflate: only the newest message waits (ZMQ_CONFLATE; libzmq test_conflate)`, async () => {
      const pull = ctx.track(new zmq.Pull({ conflate: true }))
      const ep = await ctx.bindFresh(S(pull), transport)
      const push = ctx.track(new zmq.Push())
      push.connect(ep)
      for (let i = 0; i < 20; i++) await push.send(String(i))
      await sleep(300)
      expect(await recvStrs(S(pull))).toEqual(["19"])
      expect(await recvWithin(S(pull), 100)).toBeUndefined()
    })
  }
})
