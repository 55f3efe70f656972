/**
 * Handshake deadline (ZMQ_HANDSHAKE_IVL), connect deadline (ZMQ_CONNECT_TIMEOUT) and the reconnect
 * policy (ZMQ_RECONNECT_IVL, ZMQ_RECONNECT_IVL_MAX), run against libzmq (zeromq.js) and zmtp alike.
 *
 * Reconnect intervals are checked through the `interval` that `connect:retry` reports, never by
 * measuring time. libzmq 4.3.5 waits reconnectInterval plus a random part below reconnectInterval
 * when no maximum is set; with a maximum it doubles the wait up to it. The test accepts, for the
 * k-th retry, any value in [w, w + reconnectInterval) where w = min(reconnectInterval * 2^k, max):
 * that holds for libzmq 4.3.5 (exact w) and for a policy that adds jitter to every wait.
 */
import { describe, expect, it } from "vitest"
import { RawListener, greeting } from "../../spec-tests/wire/raw-peer.js"
import { freeTcpPort, sleep } from "../helpers.js"
import { EventLog, StalledListener, closeQuietly, libs, testCleanup } from "./helpers.js"

const NOTICE_MS = 4000

const { track, rawTo, defer } = testCleanup()

async function rawListener(): Promise<RawListener> {
  const l = await RawListener.listen({ tcp: true })
  defer(() => l.close())
  return l
}

describe("option defaults match libzmq", () => {
  it("handshakeInterval, connectTimeout, reconnect and heartbeat options default as in zeromq.js", () => {
    const names = [
      "handshakeInterval",
      "connectTimeout",
      "reconnectInterval",
      "reconnectMaxInterval",
      "heartbeatInterval",
      "heartbeatTimeout",
      "heartbeatTimeToLive",
    ] as const
    const [ref, ours] = libs.map(({ zmq }) => track(new zmq.Dealer()))
    for (const n of names) expect({ option: n, value: ours![n] }).toEqual({ option: n, value: ref![n] })
    // libzmq's documented ZMQ_HANDSHAKE_IVL default.
    expect(ours!.handshakeInterval).toBe(30_000)
  })
})

for (const { name, zmq } of libs) {
  describe(`handshake deadline [${name}]`, () => {
    it("a bound socket drops a peer that connects and never sends its greeting", async () => {
      const sock = track(new zmq.Router({ handshakeInterval: 200 }))
      const log = new EventLog(sock)
      await sock.bind("tcp://127.0.0.1:*")
      const peer = await rawTo(sock.lastEndpoint!)
      expect(await peer.closedWithin(NOTICE_MS)).toBe(true)
      const ev = await log.waitFor("handshake:error:other")
      expect(ev.address).toBe(sock.lastEndpoint)
      expect(ev.error).toBeInstanceOf(Error)
      expect(log.count("handshake")).toBe(0)
    })

    it("a bound socket drops a peer that sends its greeting but never READY", async () => {
      const sock = track(new zmq.Router({ handshakeInterval: 200 }))
      const log = new EventLog(sock)
      await sock.bind("tcp://127.0.0.1:*")
      const peer = await rawTo(sock.lastEndpoint!)
      await peer.send(greeting())
      expect(await peer.closedWithin(NOTICE_MS)).toBe(true)
      await log.waitFor("handshake:error:other")
    })

    it("handshakeInterval 0 disables the deadline", async () => {
      const sock = track(new zmq.Router({ handshakeInterval: 0 }))
      const log = new EventLog(sock)
      await sock.bind("tcp://127.0.0.1:*")
      const peer = await rawTo(sock.lastEndpoint!)
      // Three times the deadline the tests above use: still open.
      expect(await peer.closedWithin(600)).toBe(false)
      expect(log.types().filter((t) => t.startsWith("handshake"))).toEqual([])
      // And the late handshake still completes.
      await peer.handshake("DEALER")
      await log.waitFor("handshake")
    })

    it("a connecting socket drops a peer that never greets, and tries again", async () => {
      const listener = await rawListener()
      const sock = track(new zmq.Dealer({ handshakeInterval: 150, reconnectInterval: 50 }))
      const log = new EventLog(sock)
      sock.connect(listener.endpoint)
      const first = await listener.accept(NOTICE_MS)
      expect(await first.closedWithin(NOTICE_MS)).toBe(true)
      expect((await log.waitFor("handshake:error:other")).address).toBe(listener.endpoint)
      expect((await log.waitFor("connect:retry")).address).toBe(listener.endpoint)
      const second = await listener.accept(NOTICE_MS)
      await second.handshake("ROUTER")
      await log.waitFor("handshake")
    })
  })

  describe(`connect deadline [${name}]`, () => {
    it("connectTimeout abandons a connect that hangs and retries; 0 leaves it to the system", async () => {
      const stalled = await StalledListener.start()
      defer(() => stalled.close())
      const timed = track(new zmq.Dealer({ connectTimeout: 150, reconnectInterval: 50 }))
      const untimed = track(new zmq.Dealer({ reconnectInterval: 50 }))
      const timedLog = new EventLog(timed)
      const untimedLog = new EventLog(untimed)
      timed.connect(stalled.endpoint)
      untimed.connect(stalled.endpoint)
      // Each abandoned attempt closes its descriptor, then a retry is scheduled.
      for (const n of [1, 2]) {
        expect((await timedLog.waitFor("close", n, NOTICE_MS)).address).toBe(stalled.endpoint)
        await timedLog.waitFor("connect:retry", n, NOTICE_MS)
      }
      expect(timedLog.count("connect")).toBe(0)
      // Meanwhile the attempt without a deadline is still pending (the kernel retries the SYN after
      // a second, and gives up only after minutes).
      expect(untimedLog.types()).toEqual(["connect:delay"])
    })
  })

  describe(`reconnect policy [${name}]`, () => {
    /** Collects `n` reported retry intervals against a port nobody listens on. */
    async function retryIntervals(opts: { reconnectInterval: number; reconnectMaxInterval?: number }, n: number): Promise<number[]> {
      const sock = track(new zmq.Dealer(opts))
      const log = new EventLog(sock)
      sock.connect(`tcp://127.0.0.1:${await freeTcpPort()}`)
      await log.waitFor("connect:retry", n, 10_000)
      closeQuietly(sock)
      return log
        .of("connect:retry")
        .slice(0, n)
        .map((e) => e.interval!)
    }

    it("doubles the wait from reconnectInterval up to reconnectMaxInterval", async () => {
      const base = 20
      const max = 160
      const got = await retryIntervals({ reconnectInterval: base, reconnectMaxInterval: max }, 7)
      got.forEach((interval, k) => {
        const w = Math.min(base * 2 ** k, max)
        expect({ k, interval, inRange: interval >= w && interval < w + base }).toEqual({ k, interval, inRange: true })
      })
    })

    it("without reconnectMaxInterval every wait is reconnectInterval plus less than reconnectInterval", async () => {
      const base = 30
      const got = await retryIntervals({ reconnectInterval: base }, 4)
      for (const interval of got) expect(interval >= base && interval < 2 * base, `interval ${interval}`).toBe(true)
    })

    it("reconnectInterval -1: a failed connect is not retried", async () => {
      const sock = track(new zmq.Dealer({ reconnectInterval: -1 }))
      const log = new EventLog(sock)
      sock.connect(`tcp://127.0.0.1:${await freeTcpPort()}`)
      await log.waitFor("close")
      // Far longer than any retry the default policy would have scheduled.
      await sleep(400)
      expect(log.count("connect:retry")).toBe(0)
      expect(log.count("connect:delay")).toBe(1)
    })

    it("reconnectInterval -1: a lost connection is not remade", async () => {
      const listener = await rawListener()
      const sock = track(new zmq.Dealer({ reconnectInterval: -1 }))
      const log = new EventLog(sock)
      sock.connect(listener.endpoint)
      const peer = await listener.accept(NOTICE_MS)
      await peer.handshake("ROUTER")
      await log.waitFor("handshake")
      peer.destroy()
      await log.waitFor("disconnect")
      await sleep(400)
      expect(log.count("connect:retry")).toBe(0)
      expect(listener.peers.length).toBe(1)
    })

    it("a lost connection is remade after reconnectInterval", async () => {
      const listener = await rawListener()
      const sock = track(new zmq.Dealer({ reconnectInterval: 50 }))
      const log = new EventLog(sock)
      sock.connect(listener.endpoint)
      const first = await listener.accept(NOTICE_MS)
      await first.handshake("ROUTER")
      await log.waitFor("handshake")
      first.destroy()
      await log.waitFor("disconnect")
      const retry = await log.waitFor("connect:retry")
      expect(retry.interval).toBeGreaterThanOrEqual(50)
      expect(retry.interval).toBeLessThan(100)
      const second = await listener.accept(NOTICE_MS)
      await second.handshake("ROUTER")
      await log.waitFor("handshake", 2)
    })
  })
}
