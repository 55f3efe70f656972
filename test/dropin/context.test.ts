/**
 * `Context` and `context` side by side with zeromq.js (issue 15, item 5): construction and its
 * errors, every option (defaults, accessors, accepted and refused values), the generic option
 * getters and setters keyed by libzmq numbers, maxSockets, and how `blocky` and linger decide what
 * happens at exit: a queued message delays it, with zeromq.js's warning when the wait passes 500 ms
 * (child processes, one per implementation).
 */
import * as zmq from "zeromq"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import * as zmtp from "../../src/index.js"
import { freeTcpPort } from "../helpers.js"
import { buildZmtp, exitWarning, impls, killChildren, removeZmtp, runChild } from "./fixtures/child.js"

type Ctx = Record<string, unknown> & {
  getBoolOption(id: number): boolean
  setBoolOption(id: number, v: boolean): void
  getInt32Option(id: number): number
  setInt32Option(id: number, v: number): void
}
type Lib = { name: string; Context: new (...a: unknown[]) => Ctx; Dealer: new (o?: object) => { close(): void; linger: number } }
const libs: Lib[] = [
  { name: "zmtp", Context: zmtp.Context as never, Dealer: zmtp.Dealer as never },
  { name: "zeromq.js", Context: zmq.Context as never, Dealer: zmq.Dealer as never },
]
const [ours, theirs] = libs as [Lib, Lib]

/** What a call came to: its value, or its error as zeromq.js users see it (class, message, code). */
function outcome(f: () => unknown): unknown {
  try {
    return { value: f() }
  } catch (e) {
    const { message, code } = e as { message: string; code?: string }
    return { error: e instanceof TypeError ? "TypeError" : e instanceof Error ? "Error" : typeof e, message, code }
  }
}

/** Runs `f` against both libraries and expects the same outcome. */
function same(what: string, f: (lib: Lib) => unknown): void {
  const theirOutcome = outcome(() => f(theirs))
  expect(outcome(() => f(ours)), what).toEqual(theirOutcome)
}

const optionNames = ["ioThreads", "maxSockets", "maxSocketsLimit", "threadPriority", "threadSchedulingPolicy", "maxMessageSize", "ipv6", "blocky"]

describe("Context construction", () => {
  it("needs new, takes one optional options object, and reports mistakes with zeromq.js's TypeErrors", () => {
    same("called without new", (l) => (l.Context as unknown as () => unknown)())
    for (const [what, args] of [
      ["a number", [1]],
      ["null", [null]],
      ["a string", ["x"]],
      ["two arguments", [{}, 2]],
      ["undefined and a second argument", [undefined, 2]],
      ["an explicit undefined second argument", [{}, undefined]],
    ] as [string, unknown[]][]) {
      same(what, (l) => new l.Context(...args))
    }
    for (const [what, args] of [
      ["no argument", []],
      ["undefined", [undefined]],
      ["an array", [[]]],
      ["a function", [() => {}]],
    ] as [string, unknown[]][]) {
      same(what, (l) => new l.Context(...args).ioThreads)
    }
  })

  it("sets options as assignments, in order: wrong types, read-only and unknown options throw as in zeromq.js", () => {
    const cases: [string, () => object][] = [
      ["a valid option", () => ({ ioThreads: 5 })],
      ["a string value", () => ({ ioThreads: "hello" })],
      ["an undefined value", () => ({ ioThreads: undefined })],
      ["a read-only option", () => ({ maxSocketsLimit: 1 })],
      ["an unknown option", () => ({ doesNotExist: 1 })],
      ["unknown then bad value: the first wins", () => ({ foo: 1, ioThreads: "x" })],
      ["bad value then unknown", () => ({ ioThreads: "x", foo: 1 })],
      ["a symbol key", () => ({ [Symbol("s")]: 1 })],
      ["a method's name", () => ({ getBoolOption: 1 })],
      ["context", () => ({ context: {} })],
      ["an inherited option (ignored)", () => Object.create({ ioThreads: 4 })],
      ["a write-only option", () => ({ threadPriority: 1 })],
      ["a value libzmq refuses", () => ({ maxSockets: 0 })],
      ["several valid ones", () => ({ ioThreads: 2, maxSockets: 10, ipv6: true, blocky: false, maxMessageSize: 100 })],
    ]
    for (const [what, options] of cases) {
      same(what, (l) => {
        const c = new l.Context(options())
        return optionNames.map((n) => c[n])
      })
    }
  })

  it("is sealed, with no own properties, and the global context is one", () => {
    for (const l of libs) {
      const c = new l.Context()
      expect(Object.isSealed(c), l.name).toBe(true)
      expect(Object.getOwnPropertyNames(c), l.name).toEqual([])
      expect(Object.keys(c), l.name).toEqual([])
    }
    expect(zmtp.context).toBeInstanceOf(zmtp.Context)
    expect(zmq.context).toBeInstanceOf(zmq.Context)
  })
})

describe("Context options", () => {
  it("every zeromq.js option exists, with its accessors (get, set, both) and default", () => {
    for (const name of optionNames) {
      const shape = (l: Lib) => {
        const d = Object.getOwnPropertyDescriptor(l.Context.prototype, name)
        return { get: typeof d?.get, set: typeof d?.set, enumerable: d?.enumerable, value: new l.Context()[name] }
      }
      expect(shape(ours), name).toEqual(shape(theirs))
    }
    for (const name of ["getBoolOption", "setBoolOption", "getInt32Option", "setInt32Option"]) {
      expect(typeof ours.Context.prototype[name as never], name).toBe("function")
    }
  })

  it("accepts and refuses the values zeromq.js does, and reads back what it does", () => {
    const values: Record<string, unknown[]> = {
      ioThreads: [0, 2, 1.5, -1, 2 ** 31, 1e10, -(2 ** 32) + 2, "3", true, null, undefined, NaN, Infinity],
      maxSockets: [0, 1, 2, 65535, 100000, -1, 1.9, "1", NaN],
      maxMessageSize: [0, -1, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1.5, "x"],
      ipv6: [true, false, 1, 0, "true", null],
      blocky: [true, false, 1, "x", undefined],
      threadPriority: [0, 1, 99, -1, 1.5, "x"],
      threadSchedulingPolicy: [0, 1, 5, -1, "x"],
      maxSocketsLimit: [1],
    }
    for (const [name, vs] of Object.entries(values)) {
      for (const v of vs) {
        same(`${name} = ${typeof v === "string" ? JSON.stringify(v) : String(v)}`, (l) => {
          const c = new l.Context()
          c[name] = v
          return c[name]
        })
      }
    }
  })

  it("a refused value leaves the old one in place", () => {
    same("ioThreads after a refused value", (l) => {
      const c = new l.Context({ ioThreads: 3 })
      try {
        c.ioThreads = -1
      } catch {
        // refused
      }
      return c.ioThreads
    })
  })

  it("getInt32Option and getBoolOption read libzmq's context options by number", () => {
    // 4 (ZMQ_THREAD_SCHED_POLICY) is a documented difference, tested below.
    for (const id of [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 42, 70, 71, 1000, -1, 1.7]) {
      same(`getInt32Option(${id})`, (l) => new l.Context().getInt32Option(id))
      same(`getBoolOption(${id})`, (l) => new l.Context().getBoolOption(id))
    }
  })

  it("setInt32Option and setBoolOption set them by number, with libzmq's checks", () => {
    const sets: [number, number][] = [
      [0, 1], [1, 3], [1, 2.9], [1, -0.5], [1.9, 3], [2, 10], [2, 0], [3, 1], [3, -1], [4, 1], [4, -1], [5, 10], [5, -1],
      [6, 1], [7, 0], [8, 0], [9, 1], [10, 0], [42, 1], [70, 0], [71, 1],
    ]
    for (const [id, v] of sets) {
      same(`setInt32Option(${id}, ${v})`, (l) => {
        const c = new l.Context()
        c.setInt32Option(id, v)
        return [c.getInt32Option(Math.trunc(id) === 3 ? 3 : Math.trunc(id)), optionNames.map((n) => c[n])]
      })
    }
    same("setBoolOption(42, true)", (l) => {
      const c = new l.Context()
      c.setBoolOption(42, true)
      return [c.ipv6, c.getInt32Option(42)]
    })
    same("setBoolOption(1, true)", (l) => {
      const c = new l.Context()
      c.setBoolOption(1, true)
      return c.ioThreads
    })
  })

  it("the generic getters and setters check their arguments with zeromq.js's TypeErrors", () => {
    const calls: [string, (c: Ctx) => unknown][] = [
      ["setBoolOption(70, 1)", (c) => c.setBoolOption(70, 1 as never)],
      ["setInt32Option(1, 'x')", (c) => c.setInt32Option(1, "x" as never)],
      ["setInt32Option('x', 1)", (c) => c.setInt32Option("x" as never, 1)],
      ["setInt32Option(1)", (c) => (c.setInt32Option as (...a: unknown[]) => unknown)(1)],
      ["setInt32Option()", (c) => (c.setInt32Option as (...a: unknown[]) => unknown)()],
      ["setInt32Option(1, 2, 3)", (c) => (c.setInt32Option as (...a: unknown[]) => unknown)(1, 2, 3)],
      ["setBoolOption('x', 3, 4)", (c) => (c.setBoolOption as (...a: unknown[]) => unknown)("x", 3, 4)],
      ["getInt32Option()", (c) => (c.getInt32Option as (...a: unknown[]) => unknown)()],
      ["getInt32Option('1')", (c) => c.getInt32Option("1" as never)],
      ["getInt32Option(1, 2)", (c) => (c.getInt32Option as (...a: unknown[]) => unknown)(1, 2)],
      ["getBoolOption(null)", (c) => c.getBoolOption(null as never)],
    ]
    for (const [what, f] of calls) same(what, (l) => f(new l.Context()))
  })

  it("ZMQ_THREAD_SCHED_POLICY unset reads as libzmq's -1 (a documented difference: zeromq.js takes -1 for a failure and throws, with whatever errno was left)", () => {
    expect(new zmtp.Context().getInt32Option(4)).toBe(-1)
    expect(() => (new zmq.Context() as unknown as Ctx).getInt32Option(4)).toThrow(Error)
    // Once set, both read it back.
    for (const l of libs) {
      const c = new l.Context()
      c.threadSchedulingPolicy = 2
      expect(c.getInt32Option(4), l.name).toBe(2)
    }
  })
})

describe("maxSockets", () => {
  it("one socket more than maxSockets throws EMFILE, as in zeromq.js; the limit in force at the first socket stays", () => {
    for (const l of libs) {
      const made: { close(): void }[] = []
      try {
        const c = new l.Context({ maxSockets: 2 })
        const make = () => outcome(() => void made.push(new l.Dealer({ context: c })))
        expect([make(), make()], l.name).toEqual([{ value: undefined }, { value: undefined }])
        expect(make(), l.name).toEqual({ error: "Error", message: "Too many open file descriptors", code: "EMFILE" })
        // Raising it now changes what reads back, not the socket table libzmq sized at the first socket.
        c.maxSockets = 10
        expect(c.maxSockets, l.name).toBe(10)
        expect(make(), l.name).toMatchObject({ code: "EMFILE" })
        // Other contexts, and the global one, have their own count.
        made.push(new l.Dealer({ context: new l.Context({ maxSockets: 1 }) }))
        made.push(new l.Dealer())
      } finally {
        for (const s of made) s.close()
      }
    }
  })

  it("a closed socket frees its place at once in zmtp (zeromq.js frees it once libzmq's reaper has run)", () => {
    const c = new zmtp.Context({ maxSockets: 1 })
    const a = new zmtp.Dealer({ context: c })
    expect(() => new zmtp.Dealer({ context: c })).toThrow(expect.objectContaining({ code: "EMFILE" }))
    a.close()
    const b = new zmtp.Dealer({ context: c })
    b.close()
  })
})

describe("blocky and linger at exit, side by side with zeromq.js (child processes)", () => {
  beforeAll(buildZmtp, 60_000)
  afterAll(removeZmtp)
  afterEach(killChildren)

  /** Long enough to see the warning (at 500 ms) and far beyond any exit that does not wait. */
  const DEADLINE = 3500
  type Case = { blocky: string; linger: string; peer: "absent" | "connected"; close: boolean; exits: boolean; warning: "blocky" | "plain" | "none"; waits?: boolean }
  const cases: Case[] = [
    // The default: blocky, so linger -1: a message for an absent peer holds the process for good.
    { blocky: "", linger: "", peer: "absent", close: false, exits: false, warning: "blocky" },
    { blocky: "true", linger: "-1", peer: "absent", close: true, exits: false, warning: "blocky" },
    { blocky: "false", linger: "-1", peer: "absent", close: false, exits: false, warning: "plain" },
    // blocky false gives linger 0: nothing waits.
    { blocky: "false", linger: "", peer: "absent", close: false, exits: true, warning: "none" },
    { blocky: "true", linger: "0", peer: "absent", close: true, exits: true, warning: "none" },
    // A short linger waits, but not long enough for the warning.
    { blocky: "true", linger: "300", peer: "absent", close: false, exits: true, warning: "none" },
    // A long one waits it out, with the warning (its hint only when blocky).
    { blocky: "true", linger: "1500", peer: "absent", close: true, exits: true, warning: "blocky", waits: true },
    { blocky: "false", linger: "1500", peer: "absent", close: false, exits: true, warning: "plain", waits: true },
    // A connected peer takes the message at once: nothing to wait for, whatever the linger.
    { blocky: "true", linger: "-1", peer: "connected", close: false, exits: true, warning: "none" },
    { blocky: "", linger: "", peer: "connected", close: true, exits: true, warning: "none" },
    { blocky: "false", linger: "1500", peer: "connected", close: true, exits: true, warning: "none" },
  ]
  for (const c of cases) {
    const name = `blocky ${c.blocky || "default"}, linger ${c.linger || "default"}, queued to ${c.peer} peer, ${c.close ? "closed" : "left open"}`
    it(`${name}: ${c.exits ? "exits" : "does not exit"}, warning ${c.warning}`, async () => {
      const env = { BLOCKY: c.blocky, LINGER: c.linger, PEER: c.peer, CLOSE: c.close ? "1" : "0", PORT: String(await freeTcpPort()) }
      const results = await Promise.all(impls.map((impl) => runChild(impl, "exit-linger.cjs", env, DEADLINE)))
      for (const [i, r] of results.entries()) {
        const who = impls[i]
        expect(r.out, who).toBe("queued\n")
        expect(r.killed, `${who} still running at ${DEADLINE} ms`).toBe(!c.exits)
        if (c.exits) expect(r.code, who).toBe(0)
        expect(exitWarning(r.err), who).toBe(c.warning)
        // Nothing else on stderr.
        expect(r.err.replace(/^\(node:\d+\) WARNING: Waiting for queued ZeroMQ messages.*\r?\n/m, ""), who).toBe("")
        // A 1500 ms linger cannot be over within the first second.
        if (c.waits) expect(r.ms, who).toBeGreaterThan(1000)
      }
    }, 20_000)
  }
})
