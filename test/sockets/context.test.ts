/**
 * zeromq.js's `Context` and global `context` (issue 14 item 5, the Context part): accepted by the
 * socket constructors as `{ context }`, read back as `socket.context`, and `blocky` false gives new
 * sockets linger 0. Each rule was probed on zeromq.js 6.8 (libzmq 4.3.5) and is checked against it
 * side by side.
 */
import * as zmq from "zeromq"
import { expect, it } from "vitest"
import * as zmtp from "../../src/index.js"
import { describeLibzmq } from "../helpers.js"

const kinds = ["Dealer", "Router", "Request", "Reply"] as const
type Kind = (typeof kinds)[number]
type Lib = { Context: new (o?: object) => { blocky: boolean }; context: { blocky: boolean } } & Record<Kind, new (o?: object) => { linger: number; context: unknown; close(): void }>
const libs: [string, Lib][] = [
  ["zmtp", zmtp as unknown as Lib],
  ["zeromq.js", zmq as unknown as Lib],
]

/** Makes a socket, reads what `f` returns, closes it. */
function withSocket<T>(lib: Lib, kind: Kind, options: object | undefined, f: (s: { linger: number; context: unknown }) => T): T {
  const s = new lib[kind](options)
  try {
    return f(s)
  } finally {
    s.close()
  }
}

describeLibzmq("Context and context", () => {
  it("are exported; sockets belong to the global context unless given one, and read it back as socket.context", () => {
    for (const [name, lib] of libs) {
      expect(lib.context, name).toBeInstanceOf(lib.Context)
      const c = new lib.Context()
      for (const kind of kinds) {
        withSocket(lib, kind, undefined, (s) => expect(s.context, `${name} ${kind} default`).toBe(lib.context))
        withSocket(lib, kind, {}, (s) => expect(s.context, `${name} ${kind} {}`).toBe(lib.context))
        withSocket(lib, kind, { context: c }, (s) => expect(s.context, `${name} ${kind} given`).toBe(c))
      }
    }
  })

  it("socket.context is read-only (a getter), in both", () => {
    for (const [name, lib] of libs) {
      withSocket(lib, "Dealer", undefined, (s) => {
        expect(() => ((s as { context: unknown }).context = new lib.Context()), name).toThrow(TypeError)
        expect(s.context).toBe(lib.context)
      })
    }
  })

  for (const blocky of [true, false]) {
    it(`blocky ${blocky}: new sockets of every type start with linger ${blocky ? -1 : 0}, as zeromq.js's do`, () => {
      for (const [name, lib] of libs) {
        const viaOption = new lib.Context({ blocky })
        const viaProperty = new lib.Context()
        viaProperty.blocky = blocky
        for (const c of [viaOption, viaProperty]) {
          expect(c.blocky).toBe(blocky)
          for (const kind of kinds) withSocket(lib, kind, { context: c }, (s) => expect(s.linger, `${name} ${kind}`).toBe(blocky ? -1 : 0))
        }
      }
    })
  }

  it("an explicit linger wins over blocky false, whatever its value", () => {
    for (const [name, lib] of libs) {
      const c = new lib.Context({ blocky: false })
      for (const linger of [500, -1, 0]) withSocket(lib, "Dealer", { context: c, linger }, (s) => expect(s.linger, `${name} ${linger}`).toBe(linger))
    }
  })

  it("blocky is read when a socket is made: changing it later affects new sockets only", () => {
    for (const [name, lib] of libs) {
      const c = new lib.Context({ blocky: false })
      const before = new lib.Dealer({ context: c })
      try {
        c.blocky = true
        expect(before.linger, name).toBe(0)
        withSocket(lib, "Dealer", { context: c }, (s) => expect(s.linger, name).toBe(-1))
        c.blocky = false
        withSocket(lib, "Dealer", { context: c }, (s) => expect(s.linger, name).toBe(0))
      } finally {
        before.close()
      }
    }
  })

  it("the global context's blocky applies to sockets made without a context (restored afterwards)", () => {
    for (const [name, lib] of libs) {
      expect(lib.context.blocky, name).toBe(true)
      lib.context.blocky = false
      try {
        for (const kind of kinds) withSocket(lib, kind, undefined, (s) => expect(s.linger, `${name} ${kind}`).toBe(0))
        // Another context is not affected.
        withSocket(lib, "Dealer", { context: new lib.Context() }, (s) => expect(s.linger, name).toBe(-1))
      } finally {
        lib.context.blocky = true
      }
      withSocket(lib, "Dealer", undefined, (s) => expect(s.linger, name).toBe(-1))
    }
  })

  it("context options read back with zeromq.js's defaults; fractional numbers are truncated", () => {
    const ours = new zmtp.Context()
    const theirs = new zmq.Context()
    for (const k of ["blocky", "ioThreads", "maxSockets"] as const) expect(ours[k], k).toEqual(theirs[k])
    for (const C of [zmtp.Context, zmq.Context]) {
      const c = new C({ ioThreads: 2.7, maxSockets: 100 })
      expect([c.ioThreads, c.maxSockets]).toEqual([2, 100])
      c.ioThreads = 0
      expect(c.ioThreads).toBe(0)
    }
  })

  it("bad context options and values are refused in both, with the same error (TypeError for a type, EINVAL for a value libzmq refuses)", () => {
    const bad: [string, object][] = [
      ["unknown option", { bogus: 1 }],
      ["blocky not a boolean", { blocky: 1 }],
      ["ioThreads negative", { ioThreads: -1 }],
      ["ioThreads a string", { ioThreads: "2" }],
      ["maxSockets 0", { maxSockets: 0 }],
    ]
    const thrown = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        const { name, message, code } = e as { name: string; message: string; code?: string }
        return { name: e instanceof TypeError ? "TypeError" : name === "ZmtpError" ? "Error" : name, message, code }
      }
      return "no error"
    }
    for (const [what, o] of bad) {
      expect(thrown(() => new zmtp.Context(o as never)), what).toEqual(thrown(() => new zmq.Context(o as never)))
    }
    const c = new zmtp.Context()
    expect(() => (c.blocky = "x" as never)).toThrow(new TypeError("Option value must be a boolean"))
    expect(c.blocky).toBe(true)
  })

  it("a context option that is not a Context is refused in both", () => {
    for (const bad of [{}, 5, null, "ctx"]) {
      expect(() => new zmq.Dealer({ context: bad } as never), `zeromq.js ${JSON.stringify(bad)}`).toThrow()
      expect(() => new zmtp.Dealer({ context: bad } as never), `zmtp ${JSON.stringify(bad)}`).toThrow(expect.objectContaining({ code: "EINVAL" }))
    }
  })
})
