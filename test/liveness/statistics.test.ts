/**
 * `sock.statistics` (zmtp only: zeromq.js has no counterpart): messages and octets in and out, peers
 * with a completed handshake, queue depth per pipe, reconnects and protocol errors. The peers are
 * libzmq sockets (zeromq.js) where a real peer is needed and a raw ZMTP peer where it must misbehave.
 * Counters are read by polling until they reach the expected value, never after a fixed delay.
 */
import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import { RawPeer, greeting } from "../../spec-tests/wire/raw-peer.js"
import * as z from "../../src/index.js"
import { freeTcpPort, until } from "../helpers.js"
import { EventLog, bindRetrying, closeQuietly } from "./helpers.js"

const NOTICE_MS = 4000

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

function track<T extends { close(): void; closed: boolean; linger: number }>(s: T): T {
  cleanup.push(() => closeQuietly(s))
  return s
}

const stats = (s: z.Socket) => s.statistics

describe("statistics", () => {
  it("counts messages, octets, peers and per-pipe queues while traffic flows", async () => {
    const router = track(new z.Router())
    await router.bind("tcp://127.0.0.1:*")
    const endpoint = router.lastEndpoint!
    const dealer = track(new zmq.Dealer({ routingId: "peer-1" }))
    dealer.connect(endpoint)

    const s0 = stats(router)
    expect(s0.messagesIn).toBe(0)
    expect(s0.messagesOut).toBe(0)
    await until(() => stats(router).peers === 1, NOTICE_MS, "peers = 1")
    // The greeting and READY went both ways already.
    expect(stats(router).bytesIn).toBeGreaterThanOrEqual(64)
    expect(stats(router).bytesOut).toBeGreaterThanOrEqual(64)

    // Ten messages arrive and wait in the pipe's inbound queue: nobody has called receive().
    const body = Buffer.alloc(1000, 7)
    const bytesInBefore = stats(router).bytesIn
    for (let i = 0; i < 10; i++) await dealer.send(body)
    await until(() => stats(router).queues.some((q) => q.in === 10), NOTICE_MS, "10 messages queued inbound")
    const q = stats(router).queues
    expect(q).toHaveLength(1)
    expect(q[0]).toMatchObject({ endpoint, in: 10, out: 0, connected: true })
    expect(stats(router).messagesIn).toBe(0)
    expect(stats(router).bytesIn - bytesInBefore).toBeGreaterThanOrEqual(10 * body.length)

    for (let i = 0; i < 10; i++) {
      const [id, got] = await router.receive()
      expect(id!.toString()).toBe("peer-1")
      expect(got).toEqual(body)
    }
    expect(stats(router).messagesIn).toBe(10)
    expect(stats(router).queues[0]!.in).toBe(0)

    const bytesOutBefore = stats(router).bytesOut
    const reply = Buffer.alloc(500, 1)
    for (let i = 0; i < 5; i++) await router.send(["peer-1", reply])
    expect(stats(router).messagesOut).toBe(5)
    for (let i = 0; i < 5; i++) expect((await dealer.receive())[0]).toEqual(reply)
    await until(() => stats(router).bytesOut - bytesOutBefore >= 5 * reply.length, NOTICE_MS, "reply octets counted")
    expect(stats(router).queues[0]!.out).toBe(0)
  })

  it("shows messages queued for a peer that is not there, and counts the retries", async () => {
    const dealer = track(new z.Dealer({ reconnectInterval: 20, sendTimeout: 0 }))
    const endpoint = `tcp://127.0.0.1:${await freeTcpPort()}`
    dealer.connect(endpoint)
    // immediate is off (the default), so the pipe exists at once and holds what is sent.
    for (let i = 0; i < 3; i++) await dealer.send(`queued ${i}`)
    const s = stats(dealer)
    expect(s.peers).toBe(0)
    expect(s.queues).toEqual([{ endpoint, out: 3, in: 0, connected: false }])
    await until(() => stats(dealer).reconnects >= 2, NOTICE_MS, "two retries counted")
  })

  it("counts a reconnect after the peer went away, and peers follows the connection", async () => {
    const first = track(new zmq.Router())
    await first.bind("tcp://127.0.0.1:*")
    const endpoint = first.lastEndpoint!
    const dealer = track(new z.Dealer({ reconnectInterval: 20, routingId: "d" }))
    const log = new EventLog(dealer)
    dealer.connect(endpoint)
    await dealer.send("one")
    await first.receive()
    await until(() => stats(dealer).peers === 1, NOTICE_MS, "connected")
    expect(stats(dealer).reconnects).toBe(0)

    first.close()
    await log.waitFor("disconnect", 1, NOTICE_MS)
    await until(() => stats(dealer).peers === 0 && stats(dealer).reconnects >= 1, NOTICE_MS, "disconnected, retry counted")
    expect(stats(dealer).queues[0]).toMatchObject({ endpoint, connected: false })

    const second = track(new zmq.Router())
    await bindRetrying(second, endpoint)
    await until(() => stats(dealer).peers === 1, NOTICE_MS, "reconnected")
    await dealer.send("two")
    const [, body] = await second.receive()
    expect(body!.toString()).toBe("two")
    expect(stats(dealer).messagesOut).toBe(2)
    expect(stats(dealer).queues).toEqual([{ endpoint, out: 0, in: 0, connected: true }])
  })

  it("counts protocol errors from peers sending garbage, and the octets they sent", async () => {
    const router = track(new z.Router({ receiveTimeout: NOTICE_MS }))
    await router.bind("tcp://127.0.0.1:*")
    const endpoint = router.lastEndpoint!
    // A healthy peer stays connected throughout.
    const good = track(new zmq.Dealer({ routingId: "good" }))
    good.connect(endpoint)
    await until(() => stats(router).peers === 1, NOTICE_MS, "good peer connected")
    expect(stats(router).protocolErrors).toBe(0)

    const garbage = [
      Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), // not ZMTP at all
      greeting({ mechanism: "CURVE" }), // RFC 23: mechanisms must match
    ]
    for (const [i, bytes] of garbage.entries()) {
      const before = stats(router).bytesIn
      const peer = await RawPeer.connect(endpoint)
      cleanup.push(() => peer.destroy())
      await peer.send(bytes)
      expect(await peer.closedWithin(NOTICE_MS)).toBe(true)
      await until(() => stats(router).protocolErrors === i + 1, NOTICE_MS, `protocol error ${i + 1} counted`)
      expect(stats(router).bytesIn - before).toBeGreaterThanOrEqual(bytes.length)
    }
    // The refused peers never counted as peers, and the good one is unaffected.
    expect(stats(router).peers).toBe(1)
    expect(stats(router).queues).toHaveLength(1)
    await good.send("still here")
    const [id, body] = await router.receive()
    expect([id!.toString(), body!.toString()]).toEqual(["good", "still here"])
  })
})
