/**
 * High-water marks and linger: DEALER/REQ sends wait for room up to sendTimeout and then fail with
 * EAGAIN (zmq_send(3) with ZMQ_SNDTIMEO); ROUTER never waits unless mandatory (RFC 28 ROUTER
 * "SHALL either silently drop the message, or return an error ... if the queue is full"); close()
 * honours ZMQ_LINGER (zmq_setsockopt(3): 0 discards pending messages, a positive value lets them be
 * sent for that long).
 */
import { afterEach, describe, expect, it } from "vitest"
import { Dealer, Request, Router } from "../../src/index.js"
import { bindEndpoint, cleanupIpc, closeAll, freeEndpoint, nothingArrives, sleep, transports, until, within } from "../helpers.js"

afterEach(cleanupIpc)

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
    return undefined
  } catch (e) {
    return (e as { code?: string }).code
  }
}

/** Receives until nothing more arrives within `quietMs`; returns the first frame of each message as a number. */
async function drain(s: Dealer, quietMs = 200): Promise<number[]> {
  const got: number[] = []
  const old = s.receiveTimeout
  s.receiveTimeout = quietMs
  try {
    for (;;) {
      const m = await s.receive()
      got.push(m[0]!.readUInt32BE(0))
    }
  } catch (e) {
    if ((e as { code?: string }).code !== "EAGAIN") throw e
  } finally {
    s.receiveTimeout = old
  }
  return got
}

/** A message whose first frame carries its sequence number, with a body of `size` octets. */
function numbered(i: number, size: number): Buffer[] {
  const seq = Buffer.alloc(4)
  seq.writeUInt32BE(i, 0)
  return [seq, Buffer.alloc(size, i & 0xff)]
}

const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!)

describe("send high-water mark: DEALER and REQ wait, then EAGAIN", () => {
  it("DEALER with no peer at all: send waits sendTimeout, then EAGAIN; sendTimeout 0 fails at once", async () => {
    const d = new Dealer({ sendTimeout: 100 })
    try {
      expect(await codeOf(d.send("x"))).toBe("EAGAIN")
      d.sendTimeout = 0
      expect(await codeOf(d.send("x"))).toBe("EAGAIN")
    } finally {
      closeAll(d)
    }
  })

  for (const transport of transports) {
    it(`${transport}: DEALER, send HWM 1, peer not there yet: one message queues, the next waits sendTimeout then EAGAIN (zeromq.js 6.8 does the same)`, async () => {
      const d = new Dealer({ sendHighWaterMark: 1, sendTimeout: 100, linger: 0 })
      try {
        d.connect(await freeEndpoint(transport))
        await d.send("fits")
        expect(await codeOf(d.send("waits, then fails"))).toBe("EAGAIN")
      } finally {
        closeAll(d)
      }
    })

    it(`${transport}: DEALER to a connected peer that does not read: once both queues and the transport are full, send waits sendTimeout, then EAGAIN; nothing accepted is lost`, async () => {
      const server = new Dealer({ receiveHighWaterMark: 1 })
      const d = new Dealer({ sendHighWaterMark: 1, sendTimeout: 50, linger: 0 })
      try {
        await server.bind(bindEndpoint(transport))
        d.connect(server.lastEndpoint!)
        await d.send(numbered(0, 1))
        await within(server.receive(), 3000, "first")
        let code: string | undefined
        let sent = 1
        for (; sent < 1000 && !code; sent++) code = await codeOf(d.send(numbered(sent, 64 * 1024)))
        expect(code).toBe("EAGAIN")
        const got = await drain(server)
        expect(got).toEqual(Array.from({ length: sent - 2 }, (_, i) => i + 1))
      } finally {
        closeAll(server, d)
      }
    })

    it(`${transport}: DEALER, a send waiting for room completes when the peer comes within sendTimeout`, async () => {
      const ep = await freeEndpoint(transport)
      const d = new Dealer({ sendHighWaterMark: 1, sendTimeout: 5000, reconnectInterval: 20 })
      const s = new Dealer()
      try {
        d.connect(ep)
        await d.send("first")
        const waiting = d.send("second")
        await sleep(30)
        await s.bind(ep)
        await within(waiting, 3000, "waiting send")
        expect((await within(s.receive(), 3000, "1"))[0]!.toString()).toBe("first")
        expect((await within(s.receive(), 3000, "2"))[0]!.toString()).toBe("second")
      } finally {
        closeAll(d, s)
      }
    })

    it(`${transport}: REQ with immediate (no pipe until connected): send waits sendTimeout, then EAGAIN, and the REQ may still send`, async () => {
      const ep = await freeEndpoint(transport)
      const q = new Request({ immediate: true, sendTimeout: 100, reconnectInterval: 20 })
      const s = new Router()
      try {
        q.connect(ep)
        expect(await codeOf(q.send("nobody"))).toBe("EAGAIN")
        // The failed send did not move the state machine on: no EFSM now.
        await s.bind(ep)
        q.sendTimeout = 3000
        await q.send("somebody")
        const m = await within(s.receive(), 3000, "request")
        expect(m.slice(1).map((f) => f.toString())).toEqual(["", "somebody"])
      } finally {
        closeAll(q, s)
      }
    })
  }
})

for (const transport of transports) {
  describe(`ROUTER at the high-water mark over ${transport}`, () => {
    it("non-mandatory: sends to a peer that does not read never wait; the surplus is dropped, what arrives is in order", async () => {
      const router = new Router({ sendHighWaterMark: 1 })
      const peer = new Dealer({ routingId: "slow", receiveHighWaterMark: 1 })
      try {
        await router.bind(bindEndpoint(transport))
        peer.connect(router.lastEndpoint!)
        await peer.send("hello")
        await within(router.receive(), 3000, "hello")
        const n = 400
        for (let i = 0; i < n; i++) await within(router.send(["slow", ...numbered(i, 64 * 1024)]), 1000, `send ${i}`)
        const got = await drain(peer)
        expect(got.length).toBeGreaterThan(0)
        expect(got.length).toBeLessThan(n)
        expect(increasing(got)).toBe(true)
      } finally {
        closeAll(router, peer)
      }
    })

    it("mandatory: a send to a peer whose queue stays full waits sendTimeout, then EAGAIN", async () => {
      const router = new Router({ sendHighWaterMark: 1, mandatory: true, sendTimeout: 50, linger: 0 })
      const peer = new Dealer({ routingId: "slow", receiveHighWaterMark: 1 })
      try {
        await router.bind(bindEndpoint(transport))
        peer.connect(router.lastEndpoint!)
        await peer.send("hello")
        await within(router.receive(), 3000, "hello")
        let code: string | undefined
        let sent = 0
        for (; sent < 1000 && !code; sent++) code = await codeOf(router.send(["slow", ...numbered(sent, 64 * 1024)]))
        expect(code).toBe("EAGAIN")
        // Nothing accepted was lost: the peer gets every message before the refused one.
        const got = await drain(peer)
        expect(got).toEqual(Array.from({ length: sent - 1 }, (_, i) => i))
      } finally {
        closeAll(router, peer)
      }
    })
  })

  describe(`linger on close over ${transport}`, () => {
    it("linger 0: messages still queued at close() are dropped", async () => {
      const server = new Dealer({ receiveHighWaterMark: 1 })
      const client = new Dealer({ linger: 0 })
      try {
        await server.bind(bindEndpoint(transport))
        client.connect(server.lastEndpoint!)
        await client.send(numbered(0, 1))
        // The connection is up (the first message arrived) before the big batch is queued.
        expect((await within(server.receive(), 3000, "first"))[0]!.readUInt32BE(0)).toBe(0)
        const n = 40
        for (let i = 1; i <= n; i++) await client.send(numbered(i, 512 * 1024))
        client.close()
        const got = await drain(server, 300)
        expect(got.length).toBeLessThan(n)
        expect(increasing(got)).toBe(true)
      } finally {
        closeAll(server, client)
      }
    })

    for (const linger of [3000, -1]) {
      // The reader keeps a receive pending, so what arrives is taken at once: RFC 28 has a DEALER
      // discard the queue of a peer that disconnects, so a reader that lets messages pile up would
      // (rightly) lose those when the lingering peer closes.
      it(`linger ${linger}: close() still delivers every queued message to a connected peer`, async () => {
        const server = new Dealer()
        const client = new Dealer({ linger })
        try {
          await server.bind(bindEndpoint(transport))
          client.connect(server.lastEndpoint!)
          await client.send(numbered(0, 1))
          expect((await within(server.receive(), 3000, "first"))[0]!.readUInt32BE(0)).toBe(0)
          const n = 20
          const got: number[] = []
          const reading = (async () => {
            for (let i = 1; i <= n; i++) got.push((await within(server.receive(), 3000, `message ${i}`))[0]!.readUInt32BE(0))
          })()
          // 20 x 256 KiB is far more than the transport takes at once: most of it is still queued
          // in the client when close() is called.
          for (let i = 1; i <= n; i++) await client.send(numbered(i, 256 * 1024))
          expect(client.statistics.queues.reduce((s, q) => s + q.out, 0)).toBeGreaterThan(0)
          client.close()
          expect(client.closed).toBe(true)
          await reading
          expect(got).toEqual(Array.from({ length: n }, (_, i) => i + 1))
          expect(await nothingArrives(server, 100)).toBe(true)
        } finally {
          closeAll(server, client)
        }
      })
    }

    it("with linger 0, messages queued for a peer that never connected are dropped at close", async () => {
      const client = new Dealer({ linger: 0 })
      const ep = await freeEndpoint(transport)
      client.connect(ep)
      await client.send("never delivered")
      client.close()
      // Binding now must not receive it: with linger 0 the queue is dropped at close (with the
      // default linger -1 it would be delivered: test/sockets/delivery.test.ts).
      const late = new Dealer()
      try {
        await late.bind(ep)
        expect(await nothingArrives(late, 150)).toBe(true)
        await until(() => client.closed, 100)
      } finally {
        closeAll(late)
      }
    })
  })
}
