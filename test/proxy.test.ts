/**
 * Proxy (zeromq.js v6 shape): forwarding both ways, order, pause/resume, terminate, capture. The
 * side-by-side contract with zeromq.js (argument errors, run/terminate/pause errors, sockets closed
 * at the end) is test/dropin/proxy.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest"
import { Dealer, Proxy, Reply, Request, Router } from "../src/index.js"
import { bindEndpoint, cleanupIpc, closeAll, sleep, transports, until, within } from "./helpers.js"

afterEach(cleanupIpc)

for (const transport of transports) {
  describe(`Proxy over ${transport}`, () => {
    it("forwards REQ -> ROUTER/DEALER -> REP and back, for several clients and workers", async () => {
      const front = new Router()
      const back = new Dealer()
      await front.bind(bindEndpoint(transport))
      await back.bind(bindEndpoint(transport))
      const proxy = new Proxy(front, back)
      const running = proxy.run()
      const workers = [new Reply(), new Reply()]
      const clients = [new Request(), new Request(), new Request()]
      try {
        for (const [i, w] of workers.entries()) {
          w.connect(back.lastEndpoint!)
          void (async () => {
            for await (const [body] of w) await w.send([`w${i}:${body!.toString()}`])
          })()
        }
        for (const c of clients) c.connect(front.lastEndpoint!)
        const seen = new Set<string>()
        await Promise.all(
          clients.map(async (c, ci) => {
            for (let k = 0; k < 50; k++) {
              await c.send(`c${ci}-${k}`)
              const [reply] = await within(c.receive(), 5000, "reply")
              const [worker, body] = reply!.toString().split(":")
              expect(body).toBe(`c${ci}-${k}`)
              seen.add(worker!)
            }
          }),
        )
        // Both workers served calls: the backend DEALER round-robins.
        expect(seen).toEqual(new Set(["w0", "w1"]))
        proxy.terminate()
        await within(running, 2000, "run() after terminate")
      } finally {
        closeAll(...clients, ...workers, front, back)
      }
    })

    it("keeps per-peer order, honours pause/resume and copies to a capture socket", async () => {
      const front = new Router()
      const back = new Dealer()
      const captureIn = new Dealer()
      const captureOut = new Dealer()
      await front.bind(bindEndpoint(transport))
      await back.bind(bindEndpoint(transport))
      await captureIn.bind(bindEndpoint(transport))
      captureOut.connect(captureIn.lastEndpoint!)
      const client = new Dealer()
      const worker = new Dealer()
      client.connect(front.lastEndpoint!)
      worker.connect(back.lastEndpoint!)
      const proxy = new Proxy(front, back)
      proxy.capture = captureOut
      const running = proxy.run()
      try {
        proxy.pause()
        for (let i = 0; i < 100; i++) await client.send(["", `m${i}`])
        worker.receiveTimeout = 200
        await expect(worker.receive()).rejects.toMatchObject({ code: "EAGAIN" })
        proxy.resume()
        worker.receiveTimeout = 5000
        for (let i = 0; i < 100; i++) {
          const msg = await worker.receive()
          // The ROUTER frontend prefixed the client's routing id; the rest arrives in order.
          expect(msg.slice(1).map(String)).toEqual(["", `m${i}`])
        }
        for (let i = 0; i < 100; i++) {
          const copy = await within(captureIn.receive(), 5000, "capture")
          expect(copy.slice(1).map(String)).toEqual(["", `m${i}`])
        }
        proxy.terminate()
        await within(running, 2000, "run() after terminate")
        // The run closed both sockets (zeromq.js), so there is nothing to run on again.
        expect([front.closed, back.closed, captureOut.closed]).toEqual([true, true, false])
        await expect(proxy.run()).rejects.toMatchObject({ code: "EINVAL", message: "Front-end socket must be bound or connected" })
      } finally {
        closeAll(client, worker, front, back, captureIn, captureOut)
      }
    })
  })
}

it("run() ends when a proxied socket closes, and closes the other", async () => {
  const front = new Router()
  const back = new Dealer()
  await front.bind(bindEndpoint("tcp"))
  await back.bind(bindEndpoint("tcp"))
  const proxy = new Proxy(front, back)
  const running = proxy.run()
  await sleep(10)
  // zeromq.js would defer this close until the proxy ends; zmtp ends the proxy, which closes the
  // other socket too.
  front.close()
  await within(running, 2000, "run() after close")
  expect(back.closed).toBe(true)
})

describe("Proxy under pressure (issue 14, item 9)", () => {
  it("a capture socket that cannot keep up costs dropped copies, counted in statistics, never a growing backlog", async () => {
    const front = new Router()
    const back = new Dealer()
    const captureIn = new Dealer({ receiveHighWaterMark: 10 })
    const captureOut = new Dealer({ sendHighWaterMark: 10 })
    const client = new Dealer()
    const worker = new Dealer()
    try {
      await front.bind(bindEndpoint("ipc"))
      await back.bind(bindEndpoint("ipc"))
      await captureIn.bind(bindEndpoint("ipc"))
      captureOut.connect(captureIn.lastEndpoint!)
      client.connect(front.lastEndpoint!)
      worker.connect(back.lastEndpoint!)
      void (async () => {
        for await (const msg of worker) await worker.send(msg)
      })().catch(() => {})
      const proxy = new Proxy(front, back)
      proxy.capture = captureOut
      const running = proxy.run()
      // captureIn reads nothing yet: 2 copies per round trip, 4,000 in all, for a capture path
      // that holds a few dozen of these 16 KiB messages.
      const ROUND_TRIPS = 2000
      const body = Buffer.alloc(16 * 1024, 7)
      for (let i = 0; i < ROUND_TRIPS; i++) {
        await client.send(["", String(i), body])
        const reply = await within(client.receive(), 5000, `reply ${i}`)
        expect(reply[1]!.toString()).toBe(String(i))
      }
      // Now read the capture: only what its queues and connection held arrives. A proxy that kept
      // every copy waiting for the capture socket delivers all 4,000 here.
      captureIn.receiveTimeout = 2000
      let arrived = 0
      for (;;) {
        try {
          await captureIn.receive()
          arrived++
        } catch (e) {
          expect((e as { code?: string }).code).toBe("EAGAIN")
          break
        }
      }
      expect(arrived).toBeLessThan((2 * ROUND_TRIPS) / 4)
      const stats = proxy.statistics
      expect(stats.frontToBack).toBe(ROUND_TRIPS)
      expect(stats.backToFront).toBe(ROUND_TRIPS)
      // Every copy is either handed over (and then arrives) or dropped and counted.
      expect(stats.captured).toBe(arrived)
      expect(stats.captured + stats.captureDropped).toBe(2 * ROUND_TRIPS)
      expect(stats.captureDropped).toBeGreaterThan(0)
      proxy.terminate()
      await within(running, 2000, "run() after terminate")
    } finally {
      closeAll(client, worker, front, back, captureIn, captureOut)
    }
  }, 60_000)

  for (const direction of ["frontend -> backend", "backend -> frontend"] as const) {
    it(`terminate() resolves run() while a forward ${direction} is blocked in send`, async () => {
      // The side that receives is a ROUTER/DEALER pair with a peer; the side it forwards to is a
      // DEALER with no peer at all, so its send waits for ever (sendTimeout -1).
      const a = new Router()
      const b = new Dealer()
      const peer = new Dealer()
      try {
        await a.bind(bindEndpoint("tcp"))
        await b.bind(bindEndpoint("tcp"))
        const proxy = direction === "frontend -> backend" ? new Proxy(a, b) : new Proxy(b, a)
        const running = proxy.run()
        peer.connect(a.lastEndpoint!)
        await peer.send(["", "stuck"])
        await until(() => a.statistics.messagesIn === 1, 5000, "the proxy took the message")
        // The message is in the forward's send now, which cannot complete.
        expect(b.statistics.messagesOut).toBe(0)
        proxy.terminate()
        await within(running, 2000, "run() after terminate")
        // The run's end closed both sockets, as zeromq.js's does: the send that could not complete
        // was dropped with its socket, never sent.
        expect([a.closed, b.closed]).toEqual([true, true])
        expect(b.statistics.messagesOut).toBe(0)
        await expect(proxy.run()).rejects.toMatchObject({ code: "EINVAL" })
      } finally {
        closeAll(peer, a, b)
      }
    })
  }
})
