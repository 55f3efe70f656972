/**
 * The zeromq.js v6 shape of Stream, side by side with zeromq.js (libzmq 4.3.5): numeric type,
 * methods, every option property zeromq.js defines on its Stream (same defaults where zeromq.js can
 * read them back), `notify` (write-only there: zeromq.js reads it back as undefined; zmtp reads
 * libzmq's default, true), and the checks of connect()'s routingId.
 */
import * as zmq from "zeromq"
import { describe, expect } from "vitest"
import { Stream } from "../../src/index.js"
import { closeAll, itLibzmq } from "../helpers.js"

type Any = Record<string, unknown>

/** Accessor properties along the prototype chain, and whether each has a getter. */
function accessors(o: object): Map<string, boolean> {
  const out = new Map<string, boolean>()
  for (let p = Object.getPrototypeOf(o); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if (out.has(k) || (d.get === undefined && d.set === undefined)) continue
      out.set(k, d.get !== undefined)
    }
  }
  return out
}

/** Properties whose value is per-instance state, not an option default. */
const STATE = new Set(["context", "events", "closed", "readable", "writable", "lastEndpoint"])
const CURVE_KEYS = new Set(["curvePublicKey", "curveSecretKey", "curveServerKey"])

describe("Stream API shape (zeromq.js v6)", () => {
  itLibzmq("same numeric type (ZMQ_STREAM 11), methods, option properties and defaults as zeromq.js", () => {
    const ours = new Stream() as unknown as Any
    const theirs = new zmq.Stream() as unknown as Any
    try {
      expect(ours.type).toBe(11)
      expect(ours.type).toBe(theirs.type)
      for (const m of ["bind", "unbind", "connect", "disconnect", "close", "send", "receive"]) {
        expect(typeof theirs[m], m).toBe("function")
        expect(typeof ours[m], m).toBe("function")
      }
      const theirProps = accessors(theirs)
      const ourProps = accessors(ours)
      expect(theirProps.size).toBeGreaterThan(30)
      for (const [name, readable] of theirProps) {
        expect(ourProps.has(name), `zmtp Stream has ${name}`).toBe(true)
        if (!readable || STATE.has(name)) continue
        let their: unknown
        try {
          their = theirs[name]
        } catch {
          // An option libzmq cannot read (tcpAcceptFilter): zmtp refuses it too, but for the CURVE
          // keys, which zmtp reads back as Z85, and the VMCI options, which zmtp accepts and reads
          // back where zeromq.js's libzmq (built without VMCI) refuses them (README, migration table).
          if (!CURVE_KEYS.has(name) && !name.startsWith("vmci")) expect(() => ours[name], name).toThrow()
          continue
        }
        expect(ours[name], name).toEqual(their)
      }
      // notify: a setter only in zeromq.js.
      expect(theirProps.get("notify")).toBe(false)
      expect(theirs.notify).toBeUndefined()
      expect(ours.notify).toBe(true)
      // Router's connectRoutingId and the other types' options are not Stream properties, in either.
      for (const o of ["connectRoutingId", "mandatory", "probeRouter", "conflate", "noDrop"]) {
        expect(o in theirs, o).toBe(false)
        expect(o in ours, o).toBe(false)
      }
    } finally {
      ;(ours.close as () => void).call(ours)
      ;(theirs.close as () => void).call(theirs)
    }
  })

  itLibzmq("notify is checked as zeromq.js checks it: a boolean (TypeError otherwise); as an int, only 0 and 1", () => {
    const ours = new Stream()
    const theirs = new zmq.Stream()
    try {
      for (const s of [ours, theirs] as unknown as Any[]) {
        expect(() => (s.notify = "yes")).toThrow(new TypeError("Option value must be a boolean"))
        const setInt = (v: number) => (s.setInt32Option as (id: number, v: number) => void).call(s, 73, v)
        expect(() => setInt(0)).not.toThrow()
        expect(() => setInt(1)).not.toThrow()
        expect(() => setInt(2)).toThrow(expect.objectContaining({ code: "EINVAL" }))
        expect(() => setInt(-1)).toThrow(expect.objectContaining({ code: "EINVAL" }))
      }
      // The constructor takes it, in both.
      const a = new Stream({ notify: false })
      const b = new zmq.Stream({ notify: false })
      expect(a.notify).toBe(false)
      closeAll(a)
      b.close()
    } finally {
      closeAll(ours)
      theirs.close()
    }
  })

  itLibzmq("connect(address, { routingId }): a number is a TypeError, an empty Buffer EINVAL, an empty string no id, as in zeromq.js", () => {
    const ours = new Stream()
    const theirs = new zmq.Stream()
    try {
      for (const s of [ours, theirs] as unknown as { connect(a: string, o?: unknown): void }[]) {
        expect(() => s.connect("tcp://127.0.0.1:1", { routingId: 5 })).toThrow(new TypeError("Option value must be a string or buffer"))
        expect(() => s.connect("tcp://127.0.0.1:2", { routingId: Buffer.alloc(0) })).toThrow(expect.objectContaining({ code: "EINVAL" }))
        expect(() => s.connect("tcp://127.0.0.1:3", { routingId: "" })).not.toThrow()
        expect(() => s.connect("tcp://127.0.0.1:4", { routingId: "named" })).not.toThrow()
        expect(() => s.connect("tcp://127.0.0.1:5")).not.toThrow()
      }
    } finally {
      closeAll(ours)
      theirs.linger = 0
      theirs.close()
    }
  })
})
