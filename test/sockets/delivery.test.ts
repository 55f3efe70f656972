/**
 * Delivery guarantees (issue 14): nothing is sent twice, what was received is delivered after the
 * sender leaves, linger delivers what send() accepted, and the socket's bookkeeping (readable,
 * messagesIn, handover, listeners that close the socket) cannot be confused by re-entrancy.
 * Each scenario loops over tcp and ipc; libzmq peers come from zeromq.js.
 */
import { Buffer } from "node:buffer"
import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import { Dealer, Reply, Request, Router } from "../../src/index.js"
import { bindEndpoint, cleanupIpc, closeAfterEach, freeEndpoint, sleep, strs, transports, until, within, itLibzmq, itWhere } from "../helpers.js"

const track = closeAfterEach()
const zmqOpen: { close(): void; closed: boolean }[] = []
afterEach(() => {
  for (const s of zmqOpen.splice(0)) if (!s.closed) s.close()
  cleanupIpc()
})
function ztrack<T extends { close(): void; closed: boolean }>(s: T): T {
  zmqOpen.push(s)
  return s
}

/** Receives from `sock` until `n` messages came, or nothing came for `idleMs`. */
async function drain(sock: { receive(): Promise<Buffer[]>; receiveTimeout: number }, n: number, idleMs = 500): Promise<Buffer[][]> {
  const got: Buffer[][] = []
  sock.receiveTimeout = idleMs
  try {
    while (got.length < n + 10) got.push(await sock.receive())
  } catch (e) {
    if ((e as { code?: string }).code !== "EAGAIN") throw e
  }
  return got
}

describe.each(transports)("%s", (transport) => {
  describe("nothing is sent twice", () => {
    for (const [hwm, sends, peers] of [
      [10, 205, 1],
      [10, 205, 3],
      [1000, 5500, 1],
    ] as const) {
      it(`${sends} un-awaited sends at SNDHWM ${hwm} to ${peers} peer(s) bound later arrive exactly once`, async () => {
        const dealer = track(new Dealer({ sendHighWaterMark: hwm }))
        const eps = await Promise.all(Array.from({ length: peers }, () => freeEndpoint(transport)))
        for (const ep of eps) dealer.connect(ep)
        const settled = Array.from({ length: sends }, (_, i) => dealer.send(String(i)))
        const routers = eps.map(() => track(new Router()))
        for (let i = 0; i < peers; i++) await routers[i]!.bind(eps[i]!)
        await within(Promise.all(settled), 10_000, "every send")
        const seen: number[] = []
        for (const r of routers) {
          const perPeer = (await drain(r, sends)).map((m) => Number(m[1]!.toString()))
          // Per-peer order holds.
          expect(perPeer).toEqual([...perPeer].sort((a, b) => a - b))
          seen.push(...perPeer)
        }
        expect(seen.length).toBe(sends)
        expect(new Set(seen).size).toBe(sends)
      })
    }
    it("a send waiting for room takes a pipe added by a later connect()", async () => {
      const d = track(new Dealer({ sendHighWaterMark: 1, linger: 0 }))
      d.connect(await freeEndpoint(transport))
      await d.send("a")
      const b = d.send("b")
      let settled = false
      void b.then(() => (settled = true))
      await sleep(50)
      expect(settled).toBe(false)
      d.connect(await freeEndpoint(transport))
      await within(b, 2000, "send into the new pipe")
    })
  })

  describe("both ways at once", () => {
    it("two DEALERs flooding each other with readers that start late both get everything (no mutual stall)", async () => {
      // Why only REP holds its input while its output is blocked: here both sides' outputs block
      // while their readers wait; had each stopped reading for that, neither could go on.
      const a = track(new Dealer({ receiveHighWaterMark: 4, sendHighWaterMark: 4 }))
      await a.bind(bindEndpoint(transport))
      const b = track(new Dealer({ receiveHighWaterMark: 4, sendHighWaterMark: 4 }))
      b.connect(a.lastEndpoint!)
      const n = 100
      const big = Buffer.alloc(256 * 1024)
      const flood = async (s: Dealer) => {
        for (let i = 0; i < n; i++) await s.send(big)
      }
      const read = async (s: Dealer) => {
        await sleep(300)
        s.receiveTimeout = 5000
        for (let i = 0; i < n; i++) await s.receive()
      }
      await within(Promise.all([flood(a), flood(b), read(a), read(b)]), 30_000, "both floods")
    })
  })

  describe("what was received is delivered", () => {
    itLibzmq("a reader busy for 200 ms gets all 5 messages a libzmq peer sent before closing", async () => {
      const reader = track(new Dealer())
      const ep = bindEndpoint(transport)
      await reader.bind(ep)
      const disconnected = new Promise<void>((r) => reader.events.on("disconnect", () => r()))
      const peer = ztrack(new zmq.Dealer())
      peer.connect(reader.lastEndpoint!)
      for (let i = 0; i < 5; i++) await peer.send(`m${i}`)
      peer.close()
      await within(disconnected, 5000, "disconnect")
      await sleep(200)
      const got = await drain(reader, 5, 300)
      expect(got.map((m) => m[0]!.toString())).toEqual(["m0", "m1", "m2", "m3", "m4"])
    })

    it("a slow zmtp reader gets all 30 messages a zmtp peer queued and closed on", async () => {
      const reader = track(new Router({ receiveHighWaterMark: 4 }))
      await reader.bind(bindEndpoint(transport))
      const sender = track(new Dealer({ routingId: "s" }))
      sender.connect(reader.lastEndpoint!)
      for (let i = 0; i < 30; i++) await sender.send([`m${i}`, Buffer.alloc(64 * 1024)])
      sender.close()
      const got: string[] = []
      reader.receiveTimeout = 3000
      while (got.length < 30) {
        const m = await reader.receive()
        got.push(m[1]!.toString())
        await sleep(10)
      }
      expect(got).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`))
    })

    for (const sender of ["zmtp", "libzmq"] as const) {
      itWhere(sender === "libzmq")(`messages past the receiver's HWM that a ${sender} peer sent just before closing are all delivered`, async () => {
        const reader = track(new Dealer({ receiveHighWaterMark: 10 }))
        await reader.bind(bindEndpoint(transport))
        const disconnected = new Promise<void>((r) => reader.events.on("disconnect", () => r()))
        const peer = sender === "zmtp" ? track(new Dealer()) : ztrack(new zmq.Dealer())
        peer.connect(reader.lastEndpoint!)
        for (let i = 0; i < 30; i++) await peer.send(`m${i}`)
        peer.close()
        // The reader's engine stopped at its HWM with the rest decoded-but-held; the peer is gone.
        await sleep(300)
        const got = await drain(reader, 30, 500)
        expect(got.map((m) => m[0]!.toString())).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`))
        await within(disconnected, 5000, "disconnect after the held input was delivered")
      })
    }

    it("a REQ still takes a reply its REP sent just before it went away", async () => {
      const rep = track(new Reply())
      await rep.bind(bindEndpoint(transport))
      const req = track(new Request())
      const gone = new Promise<void>((r) => req.events.on("disconnect", () => r()))
      req.connect(rep.lastEndpoint!)
      const asked = req.send("q")
      await rep.receive()
      await rep.send("a")
      rep.close()
      await asked
      await within(gone, 5000, "disconnect")
      expect(strs(await within(req.receive(), 2000, "reply"))).toEqual(["a"])
    })
  })

  describe("linger", () => {
    it("connect(); await send(x); close() with the default linger delivers x to a listening peer", async () => {
      const peer = track(new Router())
      await peer.bind(bindEndpoint(transport))
      const d = new Dealer({ routingId: "d" })
      d.connect(peer.lastEndpoint!)
      await d.send("x")
      d.close()
      expect(strs(await within(peer.receive(), 5000, "lingered message"))).toEqual(["d", "x"])
    })

    it("a handshake listener that closes the socket (linger -1) still delivers the queue and then ends the connection", async () => {
      const peer = track(new Router())
      await peer.bind(bindEndpoint(transport))
      const gone = new Promise<void>((r) => peer.events.on("disconnect", () => r()))
      const d = new Dealer({ routingId: "d" })
      d.events.on("handshake", () => d.close())
      d.connect(peer.lastEndpoint!)
      await d.send("queued")
      expect(strs(await within(peer.receive(), 5000, "queued message"))).toEqual(["d", "queued"])
      await within(gone, 5000, "the lingering connection ends")
    })

    it("heartbeats do not cut a lingering close to a reader paused at its HWM (our output moving is traffic)", async () => {
      const reader = track(new Dealer({ receiveHighWaterMark: 1 }))
      await reader.bind(bindEndpoint(transport))
      const sender = new Dealer({ heartbeatInterval: 300 })
      sender.connect(reader.lastEndpoint!)
      await sender.send("hello")
      expect(strs(await reader.receive())).toEqual(["hello"])
      for (let i = 0; i < 30; i++) await sender.send(Buffer.alloc(512 * 1024, i))
      sender.close()
      let n = 0
      reader.receiveTimeout = 5000
      while (n < 30) {
        const [m] = await reader.receive()
        expect(m![0]).toBe(n)
        n++
        await sleep(40)
      }
      expect(n).toBe(30)
    })

    it("with linger -1 a closed socket keeps connecting until its queue is delivered (peer binds after close)", async () => {
      const ep = await freeEndpoint(transport)
      const d = new Dealer({ routingId: "d", reconnectInterval: 20 })
      d.connect(ep)
      await d.send("one")
      await d.send("two")
      d.close()
      await sleep(150)
      const peer = track(new Router())
      await peer.bind(ep)
      expect(strs(await within(peer.receive(), 5000, "first"))).toEqual(["d", "one"])
      expect(strs(await within(peer.receive(), 5000, "second"))).toEqual(["d", "two"])
    })

    it("with linger L a closed socket gives up after L: a peer bound later gets nothing", async () => {
      const ep = await freeEndpoint(transport)
      const d = new Dealer({ linger: 100, reconnectInterval: 20 })
      d.connect(ep)
      await d.send("late")
      d.close()
      await sleep(400)
      const peer = track(new Router())
      await peer.bind(ep)
      peer.receiveTimeout = 300
      await expect(peer.receive()).rejects.toMatchObject({ code: "EAGAIN" })
    })

    it("heartbeats do not cut a lingering close: 30 × 512 KiB reach a slow reader", async () => {
      // The reader takes in everything (default HWM) and answers PINGs, but its application reads
      // slowly; the lingering sender must count those PONGs as traffic.
      const reader = track(new Dealer({ heartbeatInterval: 300 }))
      await reader.bind(bindEndpoint(transport))
      const sender = new Dealer({ heartbeatInterval: 300 })
      sender.connect(reader.lastEndpoint!)
      await sender.send("hello")
      expect(strs(await reader.receive())).toEqual(["hello"])
      for (let i = 0; i < 30; i++) await sender.send(Buffer.alloc(512 * 1024, i))
      sender.close()
      let n = 0
      reader.receiveTimeout = 5000
      while (n < 30) {
        const [m] = await reader.receive()
        expect(m![0]).toBe(n)
        n++
        await sleep(40)
      }
      expect(n).toBe(30)
    })
  })

  describe("bookkeeping", () => {
    it("a stale reply that REQ discards is not counted as received", async () => {
      const router = track(new Router())
      await router.bind(bindEndpoint(transport))
      const req = track(new Request({ relaxed: true, correlate: true }))
      req.connect(router.lastEndpoint!)
      await req.send("first")
      const [id, reqId1] = await router.receive()
      await req.send("second")
      const [, reqId2] = await router.receive()
      // The stale reply to the first request, then the real one.
      await router.send([id!, reqId1!, "", "stale"])
      await router.send([id!, reqId2!, "", "fresh"])
      expect(strs(await req.receive())).toEqual(["fresh"])
      expect(req.statistics.messagesIn).toBe(1)
    })

    it("readable is true only when a receive would complete at once", async () => {
      const router = track(new Router())
      await router.bind(bindEndpoint(transport))
      const req = track(new Request())
      req.connect(router.lastEndpoint!)
      await req.send("q")
      const [id] = await router.receive()
      // A reply without the delimiter is dropped by REQ: not readable.
      await router.send([id!, "no-delimiter"])
      await sleep(50)
      expect(req.readable).toBe(false)
      await router.send([id!, "", "ok"])
      await until(() => req.readable, 2000, "readable")
      expect(strs(await req.receive())).toEqual(["ok"])
      // No request outstanding: a receive would fail with EFSM, so not readable even with input.
      await router.send([id!, "", "unsolicited"])
      await sleep(50)
      expect(req.readable).toBe(false)

      const rep = track(new Reply())
      await rep.bind(bindEndpoint(transport))
      const d = track(new Dealer())
      d.connect(rep.lastEndpoint!)
      await d.send(["", "r1"])
      await d.send(["", "r2"])
      await until(() => rep.readable, 2000, "rep readable")
      expect(strs(await rep.receive())).toEqual(["r1"])
      await sleep(50)
      // r2 waits, but REP must reply first.
      expect(rep.readable).toBe(false)
      await rep.send("a1")
      expect(rep.readable).toBe(true)
    })

    it("ROUTER handover never re-attaches a closed pipe: a reconnected peer is heard again", async () => {
      const home = track(new Dealer({ routingId: "P" }))
      await home.bind(bindEndpoint(transport))
      const router = track(new Router({ handover: true, reconnectInterval: 20 }))
      const hs = new Promise<void>((r) => router.events.on("handshake", () => r()))
      router.connect(home.lastEndpoint!)
      await router.bind(bindEndpoint(transport))
      await within(hs, 5000, "handshake")
      let handshakes = 0
      router.events.on("handshake", () => handshakes++)
      // An impostor takes the id over: the connection to `home` is closed by handover.
      const impostor = track(new Dealer({ routingId: "P", reconnectInterval: -1 }))
      impostor.connect(router.lastEndpoint!)
      await until(() => handshakes >= 1, 5000, "impostor handshake")
      impostor.close()
      // The router reconnects to `home`, which must be routable and heard on a fresh pipe.
      await until(() => handshakes >= 2, 5000, "reconnect to home")
      await home.send("hello")
      expect(strs(await within(router.receive(), 3000, "message from home"))).toEqual(["P", "hello"])
      await router.send(["P", "back"])
      expect(strs(await within(home.receive(), 3000, "routed to home"))).toEqual(["back"])
    })
  })
})

it("a reply path that is never read stops a REP at its HWM instead of holding every reply", async () => {
  const rep = track(new Reply({ sendHighWaterMark: 10, receiveHighWaterMark: 10 }))
  await rep.bind("tcp://127.0.0.1:*")
  const { connect } = await import("node:net")
  const url = new URL(rep.lastEndpoint!.replace("tcp://", "http://"))
  // A raw NULL DEALER that sends requests forever and never reads what comes back.
  const sock = connect({ host: url.hostname, port: Number(url.port) })
  sock.pause()
  const greeting = Buffer.alloc(64)
  greeting[0] = 0xff
  greeting[9] = 0x7f
  greeting[10] = 3
  greeting[11] = 1
  greeting.write("NULL", 12)
  const ready = Buffer.concat([Buffer.from([0x04, 0x1c, 0x05]), Buffer.from("READY"), Buffer.from([11]), Buffer.from("Socket-Type"), Buffer.from([0, 0, 0, 6]), Buffer.from("DEALER")])
  sock.write(greeting)
  sock.write(ready)
  const body = Buffer.alloc(60_000, 1)
  const req = Buffer.concat([Buffer.from([0x01, 0x00]), Buffer.from([0x02, 0, 0, 0, 0, 0, 0, 0xea, 0x60]), body])
  let written = 0
  let stop = false
  const pump = async () => {
    while (!stop && written < 256 * 1024 * 1024) {
      written += req.length
      if (!sock.write(req)) await new Promise((r) => {
        sock.once("drain", r)
        sock.once("close", r)
      })
    }
  }
  sock.on("error", () => {})
  const pumping = pump()
  let answered = 0
  const serving = (async () => {
    rep.receiveTimeout = 1000
    try {
      for (;;) {
        const [m] = await rep.receive()
        await rep.send(m!)
        answered++
      }
    } catch {
      // EAGAIN once the raw peer is held back.
    }
  })()
  await serving
  stop = true
  sock.destroy()
  await pumping.catch(() => {})
  // The peer was stopped long before it could push 256 MiB, and REP answered a bounded number.
  expect(written).toBeLessThan(64 * 1024 * 1024)
  expect(answered).toBeLessThan(2000)
})
