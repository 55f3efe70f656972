/**
 * The zeromq.js v6 shape of Publisher, Subscriber, XPublisher and XSubscriber, side by side with
 * zeromq.js (libzmq 4.3.5): numeric types, methods, option names, types and defaults, and how bad
 * values are refused. zeromq.js reads some options back as undefined (libzmq has them write-only:
 * noDrop, conflate, manual, welcomeMessage, verbosity); for those the test checks that the property
 * exists on the same class and that zmtp reads back libzmq's documented default.
 */
import * as zmq from "zeromq"
import { describe, expect, it } from "vitest"
import { Publisher, Subscriber, XPublisher, XSubscriber } from "../../src/index.js"
import { closeAll, hasAccessor, itLibzmq } from "../helpers.js"

type Any = Record<string, unknown>

/** Options zeromq.js can read back on every one of these four classes that has them (by direction). */
const common = ["linger", "immediate", "maxMessageSize", "reconnectInterval", "reconnectMaxInterval", "connectTimeout", "handshakeInterval", "heartbeatInterval", "heartbeatTimeout", "heartbeatTimeToLive"]
const sending = ["sendHighWaterMark", "sendTimeout"]
const receiving = ["receiveHighWaterMark", "receiveTimeout"]

const classes = [
  { name: "Publisher", ours: Publisher, theirs: zmq.Publisher, readable: [...common, ...sending, "invertMatching"], writeOnly: { noDrop: false, conflate: false } },
  { name: "Subscriber", ours: Subscriber, theirs: zmq.Subscriber, readable: [...common, ...receiving, "invertMatching"], writeOnly: { conflate: false } },
  {
    name: "XPublisher",
    ours: XPublisher,
    theirs: zmq.XPublisher,
    readable: [...common, ...sending, ...receiving, "invertMatching"],
    writeOnly: { noDrop: false, manual: false, welcomeMessage: null, verbosity: null },
  },
  { name: "XSubscriber", ours: XSubscriber, theirs: zmq.XSubscriber, readable: [...common, ...sending, ...receiving], writeOnly: {} },
] as const

describe("pub-sub API shape (zeromq.js v6)", () => {
  for (const c of classes) {
    itLibzmq(`${c.name}: same numeric type, methods and options as zeromq.js, same defaults`, () => {
      const ours = new c.ours() as unknown as Any
      const theirs = new c.theirs() as unknown as Any
      try {
        expect(ours.type).toBe(theirs.type)
        for (const m of ["bind", "unbind", "connect", "disconnect", "close", "send", "receive"]) expect(typeof ours[m], m).toBe("function")
        expect(typeof ours.subscribe).toBe(typeof theirs.subscribe === "function" || c.name === "XPublisher" ? "function" : "undefined")
        expect(typeof ours.unsubscribe).toBe(typeof ours.subscribe)
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
        for (const o of ["noDrop", "conflate", "manual", "welcomeMessage", "verbosity", "invertMatching"]) {
          // An option zeromq.js does not have on this class is not on ours either.
          if (!hasAccessor(theirs, o)) expect(o in ours, `${o} on ${c.name}`).toBe(false)
        }
      } finally {
        ;(ours.close as () => void).call(ours)
        ;(theirs.close as () => void).call(theirs)
      }
    })

    itLibzmq(`${c.name}: options set in the constructor and as properties read back`, () => {
      const values: Any = { invertMatching: true, noDrop: true, conflate: true, manual: true, welcomeMessage: "hi", verbosity: "allSubsUnsubs" }
      const given = Object.fromEntries(Object.entries(values).filter(([k]) => k in c.writeOnly || (c.readable as readonly string[]).includes(k)))
      const a = new c.ours(given as never) as unknown as Any
      const b = new c.ours() as unknown as Any
      try {
        for (const [k, v] of Object.entries(given)) {
          expect(a[k], k).toEqual(v)
          b[k] = v
          expect(b[k], k).toEqual(v)
        }
        // zeromq.js accepts the same constructor options.
        const t = new c.theirs(given as never)
        t.close()
      } finally {
        closeAll(a as never, b as never)
      }
    })
  }

  itLibzmq("linger defaults to 0 for Subscriber and XSubscriber and -1 for the publishers, as in zeromq.js (libzmq's xsub_t sets 0)", () => {
    const socks = [new Publisher(), new Subscriber(), new XPublisher(), new XSubscriber()]
    const theirs = [new zmq.Publisher(), new zmq.Subscriber(), new zmq.XPublisher(), new zmq.XSubscriber()]
    try {
      expect(socks.map((s) => s.linger)).toEqual(theirs.map((s) => s.linger))
      expect(socks.map((s) => s.linger)).toEqual([-1, 0, -1, 0])
      // An explicit linger wins.
      const s = new Subscriber({ linger: 50 })
      expect(s.linger).toBe(50)
      s.close()
    } finally {
      closeAll(...socks)
      for (const t of theirs) t.close()
    }
  })

  it("Publisher cannot receive and Subscriber cannot send: ENOTSUP at once (zeromq.js has them only in its types: at run time its calls never settle)", async () => {
    const p = new Publisher()
    const s = new Subscriber()
    try {
      await expect(p.receive()).rejects.toMatchObject({ code: "ENOTSUP" })
      await expect((s as unknown as { send(m: string): Promise<void> }).send("x")).rejects.toMatchObject({ code: "ENOTSUP" })
      expect([p.readable, p.writable, s.readable, s.writable]).toEqual([false, true, false, false])
      // for await on a Publisher fails the same way instead of waiting forever.
      await expect((async () => {
        for await (const _ of p) return
      })()).rejects.toMatchObject({ code: "ENOTSUP" })
    } finally {
      closeAll(p, s)
    }
  })

  itLibzmq("subscribe() takes strings, Buffers, Uint8Arrays and null, refuses other values (as zeromq.js does), and throws ENOTSOCK once closed", () => {
    const ours = new Subscriber()
    const theirs = new zmq.Subscriber()
    for (const v of ["", "a", Buffer.from([0, 1]), new Uint8Array([2]), null]) {
      expect(() => ours.subscribe(v as never)).not.toThrow()
      expect(() => theirs.subscribe(v as never)).not.toThrow()
    }
    for (const v of [1, undefined, {}]) {
      // zeromq.js's setStringOption check, word for word.
      expect(() => theirs.subscribe(v as never)).toThrow(new TypeError("Option value must be a string or buffer"))
      expect(() => ours.subscribe(v as never)).toThrow(new TypeError("Option value must be a string or buffer"))
    }
    // The generic accessor reaches the same option (ZMQ_SUBSCRIBE = 6), and it cannot be read back.
    type Generic = { setStringOption(id: number, v: string): void; getStringOption(id: number): string | null }
    expect(() => (ours as unknown as Generic).setStringOption(6, "b")).not.toThrow()
    expect(() => (ours as unknown as Generic).getStringOption(6)).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => (theirs as unknown as Generic).getStringOption(6)).toThrow(expect.objectContaining({ code: "EINVAL" }))
    ours.close()
    theirs.close()
    expect(() => ours.subscribe("a")).toThrow(expect.objectContaining({ code: "ENOTSOCK" }))
    expect(() => theirs.subscribe("a")).toThrow(expect.objectContaining({ code: "ENOTSOCK" }))
  })

  it("XPublisher: verbosity takes null, allSubs, allSubsUnsubs only (EINVAL otherwise; zeromq.js ignores a bad value); welcomeMessage takes a string, octets or null; subscribe() needs manual mode (EINVAL, as libzmq's ZMQ_SUBSCRIBE on an XPUB)", () => {
    const x = new XPublisher()
    try {
      for (const v of [null, "allSubs", "allSubsUnsubs", null] as const) {
        x.verbosity = v
        expect(x.verbosity).toBe(v)
      }
      expect(() => (x.verbosity = "bogus" as never)).toThrow(expect.objectContaining({ code: "EINVAL" }))
      x.welcomeMessage = Buffer.from("octets") as never
      expect(x.welcomeMessage).toBe("octets")
      x.welcomeMessage = ""
      expect(x.welcomeMessage).toBeNull()
      expect(() => (x.welcomeMessage = 5 as never)).toThrow(new TypeError("Option value must be a string or buffer"))
      // verbosity is ZMQ_XPUB_VERBOSE (40) and ZMQ_XPUB_VERBOSER (78), as zeromq.js sets them.
      x.setBoolOption(78, true)
      expect(x.verbosity).toBe("allSubsUnsubs")
      x.setBoolOption(40, true)
      expect(x.verbosity).toBe("allSubs")
      x.verbosity = null
      expect([x.getBoolOption(40), x.getBoolOption(78)]).toEqual([false, false])
      expect(() => x.subscribe("a")).toThrow(expect.objectContaining({ code: "EINVAL" }))
      x.manual = true
      // No peer yet: nothing to act on, and no error (libzmq's _last_pipe is NULL).
      expect(() => x.subscribe("a")).not.toThrow()
    } finally {
      x.close()
    }
    expect(() => (x.verbosity = null)).toThrow(expect.objectContaining({ code: "ENOTSOCK" }))
  })

  itLibzmq("an option of another class is refused in the constructor, as zeromq.js refuses it", () => {
    // Sealed sockets: zeromq.js's TypeError, word for word.
    for (const [Ours, Theirs, opt] of [[Subscriber, zmq.Subscriber, "noDrop"], [XSubscriber, zmq.XSubscriber, "invertMatching"], [Publisher, zmq.Publisher, "manual"]] as const) {
      const msg = `Cannot add property ${opt}, object is not extensible`
      expect(() => new Theirs({ [opt]: true } as never)).toThrow(new TypeError(msg))
      expect(() => new Ours({ [opt]: true } as never)).toThrow(new TypeError(msg))
    }
  })
})
