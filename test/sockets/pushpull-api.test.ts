/**
 * The zeromq.js v6 shape of Push, Pull and Pair, side by side with zeromq.js (libzmq 4.3.5):
 * numeric types, methods, option names and defaults, write-only `conflate` (zeromq.js reads it back
 * as undefined; zmtp reads back what was set), sealed options, argument TypeErrors, and the
 * direction a type cannot go (ENOTSUP). Plus conflation, which no RFC covers.
 */
import * as zmq from "zeromq"
import { afterEach, describe, expect, it } from "vitest"
import { Pair, Proxy, Pull, Push } from "../../src/index.js"
import { bindEndpoint, cleanupIpc, closeAll, freeEndpoint, hasAccessor, nothingArrives, sleep, strs, transports, until, itLibzmq } from "../helpers.js"

afterEach(cleanupIpc)

type Any = Record<string, unknown>

const common = ["linger", "immediate", "maxMessageSize", "reconnectInterval", "reconnectMaxInterval", "connectTimeout", "handshakeInterval", "heartbeatInterval", "heartbeatTimeout", "heartbeatTimeToLive"]
const sending = ["sendHighWaterMark", "sendTimeout"]
const receiving = ["receiveHighWaterMark", "receiveTimeout"]

const classes = [
  { name: "Push", ours: Push, theirs: zmq.Push, readable: [...common, ...sending], writeOnly: { conflate: false } },
  { name: "Pull", ours: Pull, theirs: zmq.Pull, readable: [...common, ...receiving], writeOnly: { conflate: false } },
  { name: "Pair", ours: Pair, theirs: zmq.Pair, readable: [...common, ...sending, ...receiving], writeOnly: {} },
] as const

describe("pipeline and pair API shape (zeromq.js v6)", () => {
  for (const c of classes) {
    itLibzmq(`${c.name}: same numeric type, methods and options as zeromq.js, same defaults`, () => {
      const ours = new c.ours() as unknown as Any
      const theirs = new c.theirs() as unknown as Any
      try {
        expect(ours.type).toBe(theirs.type)
        for (const m of ["bind", "unbind", "connect", "disconnect", "close", "send", "receive"]) expect(typeof ours[m], m).toBe("function")
        for (const o of c.readable) {
          expect(hasAccessor(theirs, o), `zeromq.js ${o}`).toBe(true)
          expect(hasAccessor(ours, o), `zmtp ${o}`).toBe(true)
          expect(ours[o], o).toEqual(theirs[o])
        }
        for (const [o, def] of Object.entries(c.writeOnly)) {
          expect(hasAccessor(theirs, o), `zeromq.js ${o}`).toBe(true)
          expect(theirs[o], `zeromq.js cannot read ${o} back`).toBeUndefined()
          expect(ours[o], o).toEqual(def)
        }
        for (const o of ["conflate", "noDrop", "invertMatching", "probeRouter", "mandatory"]) {
          if (!hasAccessor(theirs, o)) expect(o in ours, `${o} on ${c.name}`).toBe(false)
        }
        // No peer yet: neither can send at once nor has anything to read (libzmq's ZMQ_EVENTS).
        expect([ours.readable, ours.writable]).toEqual([theirs.readable, theirs.writable])
      } finally {
        ;(ours.close as () => void).call(ours)
        ;(theirs.close as () => void).call(theirs)
      }
    })

    itLibzmq(`${c.name}: options set in the constructor and as properties read back; an option of another class is refused (sealed)`, () => {
      const given: Any = { linger: 5, ...(c.name === "Pair" ? { sendHighWaterMark: 3 } : { conflate: true }) }
      const a = new c.ours(given as never) as unknown as Any
      const b = new c.ours() as unknown as Any
      try {
        for (const [k, v] of Object.entries(given)) {
          expect(a[k], k).toEqual(v)
          b[k] = v
          expect(b[k], k).toEqual(v)
        }
        new c.theirs(given as never).close()
        const foreign = c.name === "Pair" ? "conflate" : "noDrop"
        const msg = `Cannot add property ${foreign}, object is not extensible`
        expect(() => new c.theirs({ [foreign]: true } as never)).toThrow(new TypeError(msg))
        expect(() => new c.ours({ [foreign]: true } as never)).toThrow(new TypeError(msg))
        // The generic accessor by libzmq number reaches conflate (ZMQ_CONFLATE = 54) where it exists.
        if (c.name !== "Pair") {
          ;(b.setBoolOption as (id: number, v: boolean) => void).call(b, 54, false)
          expect(b.conflate).toBe(false)
        }
      } finally {
        closeAll(a as never, b as never)
      }
    })

    itLibzmq(`${c.name}: argument checks as zeromq.js's (TypeError text)`, async () => {
      const ours = new c.ours() as unknown as Any
      const theirs = new c.theirs() as unknown as Any
      try {
        for (const s of [ours, theirs]) {
          expect(() => (s.bind as (a: unknown) => unknown).call(s, 1)).toThrow(new TypeError("Address must be a string"))
          expect(() => (s.connect as (a: unknown) => unknown).call(s, undefined)).toThrow(new TypeError("Address must be a string"))
          expect(() => (s.connect as (a: string, b: unknown) => unknown).call(s, "tcp://127.0.0.1:1", 2)).toThrow(new TypeError("Expected 1 argument but received 2"))
          expect(() => (s.send as (m?: unknown) => unknown).call(s)).toThrow(new TypeError("Message must be present"))
          expect(() => (s.receive as (m?: unknown) => unknown).call(s, 1)).toThrow(new TypeError("Expected 0 arguments but received 1"))
        }
      } finally {
        ;(ours.close as () => void).call(ours)
        ;(theirs.close as () => void).call(theirs)
      }
    })
  }

  it("Push cannot receive and Pull cannot send: ENOTSUP at once (zeromq.js has them only in its types: at run time its calls never settle)", async () => {
    const push = new Push()
    const pull = new Pull()
    try {
      await expect(push.receive()).rejects.toMatchObject({ code: "ENOTSUP" })
      await expect((pull as unknown as { send(m: string): Promise<void> }).send("x")).rejects.toMatchObject({ code: "ENOTSUP" })
      await expect((async () => {
        for await (const _ of push) return
      })()).rejects.toMatchObject({ code: "ENOTSUP" })
      expect([push.readable, pull.writable]).toEqual([false, false])
    } finally {
      closeAll(push, pull)
    }
  })

  it("a streamer, new Proxy(new Pull(), new Push()) as in zeromq.js, passes every message on in order", async () => {
    const front = new Pull()
    const back = new Push()
    const source = new Push()
    const sink = new Pull({ receiveTimeout: 5000 })
    const proxy = new Proxy(front, back)
    try {
      await front.bind("tcp://127.0.0.1:*")
      await back.bind("tcp://127.0.0.1:*")
      const running = proxy.run()
      source.connect(front.lastEndpoint!)
      sink.connect(back.lastEndpoint!)
      for (let i = 0; i < 50; i++) await source.send(["job", String(i)])
      for (let i = 0; i < 50; i++) expect(strs(await sink.receive())).toEqual(["job", String(i)])
      proxy.terminate()
      await running
    } finally {
      closeAll(front, back, source, sink)
    }
  })

  for (const t of transports) {
    it(`${t}: Push conflate keeps only the newest message queued for a peer that is not there yet, and never waits`, async () => {
      const ep = await freeEndpoint(t)
      const push = new Push({ conflate: true, sendHighWaterMark: 1, sendTimeout: 0 })
      const pull = new Pull({ receiveTimeout: 2000 })
      try {
        push.connect(ep)
        // With HWM 1 and no conflation the second send would be EAGAIN.
        for (let i = 1; i <= 10; i++) await push.send(String(i))
        await pull.bind(ep)
        expect(strs(await pull.receive())).toEqual(["10"])
        expect(await nothingArrives(pull, 150)).toBe(true)
      } finally {
        closeAll(push, pull)
      }
    })

    it(`${t}: Pull conflate keeps only the newest message of a pusher while the application does not read`, async () => {
      const ep = bindEndpoint(t)
      const pull = new Pull({ conflate: true, receiveTimeout: 2000 })
      const push = new Push()
      try {
        await pull.bind(ep)
        push.connect(pull.lastEndpoint!)
        for (let i = 1; i <= 10; i++) await push.send(String(i))
        // Everything is written out, then the reader gets the turns it needs to take it in.
        await until(() => !(push as unknown as { undelivered: boolean }).undelivered)
        await sleep(200)
        expect(strs(await pull.receive())).toEqual(["10"])
        expect(await nothingArrives(pull, 150)).toBe(true)
      } finally {
        closeAll(push, pull)
      }
    })
  }
})
