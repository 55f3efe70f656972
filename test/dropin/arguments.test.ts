/**
 * Drop-in fidelity of argument checking (issue 15 item 3), side by side with zeromq.js 6.8 in
 * process: each call is made on both libraries and what it throws is compared (class, message,
 * code), and whether it throws synchronously (zeromq.js's native methods check their arguments
 * before anything else, even on a closed socket, and throw rather than reject).
 *
 * Covered: wrong argument counts and types of bind/unbind/connect/disconnect/send/receive/close
 * and of the generic option accessors; constructor options that are not an object, unknown,
 * read-only or of the wrong type; sockets not being extensible; a class called without `new`; the
 * `Socket` base constructor; a `context` that is not a Context; what send() takes as a frame.
 */
import * as zmq from "zeromq"
import { describe, expect, it } from "vitest"
import * as zmtp from "../../src/index.js"
import { closeAfterEach, within } from "../helpers.js"

const track = closeAfterEach()
const kinds = ["Dealer", "Router", "Request", "Reply"] as const
type Kind = (typeof kinds)[number]
type Lib = "zmtp" | "zeromq.js"
type Sock = Record<string, unknown> & { close(): void }
const libs: Lib[] = ["zmtp", "zeromq.js"]

function make(lib: Lib, kind: Kind, options?: object): Sock {
  const s = (lib === "zmtp" ? new zmtp[kind](options as never) : new zmq[kind](options as never)) as unknown as Sock
  return track(s as never) as Sock
}

/**
 * What a call comes to, synchronously: a value (a promise is "promise", its rejection not awaited
 * here), or the error it threw (TypeError and message; other errors by code and message).
 */
function thrown(f: () => unknown): string {
  try {
    const v = f()
    if (v instanceof Promise) {
      v.catch(() => {})
      return "returned a promise"
    }
    return `returned ${v === undefined ? "undefined" : typeof v}`
  } catch (e) {
    if (e instanceof TypeError) return `TypeError: ${e.message}`
    const err = e as Error & { code?: string }
    return `${err.constructor === Error || err.name === "ZmtpError" ? "Error" : err.name}${err.code ? ` ${err.code}` : ""}: ${err.message}`
  }
}

const call = (s: Sock, m: string, ...args: unknown[]) => () => (s[m] as (...a: unknown[]) => unknown).apply(s, args)

/** Method calls with bad arguments, by name: each must throw the same TypeError in both. */
const BAD_CALLS: [string, unknown[]][] = [
  ["bind", []],
  ["bind", [5]],
  ["bind", [null]],
  ["bind", ["inproc://x", 1]],
  ["unbind", []],
  ["unbind", [{}]],
  ["unbind", ["inproc://x", "y"]],
  ["connect", []],
  ["connect", [1]],
  ["disconnect", []],
  ["disconnect", [Buffer.from("x")]],
  ["disconnect", ["inproc://x", 1]],
  ["send", []],
  ["send", [undefined]],
  ["send", ["a", 1]],
  ["send", ["a", undefined]],
  ["receive", [1]],
  ["receive", [undefined]],
  ["close", [1]],
  ["close", [undefined]],
  ["getBoolOption", []],
  ["getInt32Option", ["17"]],
  ["getInt32Option", [17, 1]],
  ["getUint32Option", [null]],
  ["getInt64Option", [22, 22]],
  ["getUint64Option", []],
  ["getStringOption", [{}]],
  ["setBoolOption", [39]],
  ["setBoolOption", [39, 1]],
  ["setBoolOption", ["39", true]],
  ["setBoolOption", [39, true, 1]],
  ["setInt32Option", [17]],
  ["setInt32Option", [17, "5"]],
  ["setInt32Option", [17, 5, 5]],
  ["setUint32Option", [57, true]],
  ["setInt64Option", [22, null]],
  ["setUint64Option", [4, 10n]],
  ["setStringOption", [5]],
  ["setStringOption", [5, 1]],
  ["setStringOption", [5, "x", "y"]],
  ["join", [5]],
]

describe("methods: wrong argument counts and types throw zeromq.js's TypeError, synchronously", () => {
  for (const kind of kinds) {
    for (const closed of [false, true]) {
      it(`${kind}${closed ? ", closed" : ""}: ${BAD_CALLS.length} bad calls`, () => {
        const got = libs.map((lib) => {
          const s = make(lib, kind)
          if (closed) s.close()
          return BAD_CALLS.map(([m, args]) => `${m}(${args.map(String).join(", ")}): ${thrown(call(s, m, ...args))}`)
        })
        expect(got[0]).toEqual(got[1])
        // Each is a TypeError (a closed socket is checked after the arguments), except join(5)
        // on a closed socket, where zeromq.js checks the socket first.
        expect(got[1]!.filter((l) => !l.includes("TypeError: ")).length).toBe(closed ? 1 : 0)
      })
    }
  }

  it("the texts are zeromq.js's", () => {
    const s = make("zmtp", "Dealer")
    expect(thrown(call(s, "bind", 5))).toBe("TypeError: Address must be a string")
    expect(thrown(call(s, "bind", "inproc://x", 1))).toBe("TypeError: Expected 1 argument but received 2")
    expect(thrown(call(s, "send"))).toBe("TypeError: Message must be present")
    expect(thrown(call(s, "receive", 1))).toBe("TypeError: Expected 0 arguments but received 1")
    expect(thrown(call(s, "setInt32Option", 17, 5, 5))).toBe("TypeError: Expected 2 arguments but received 3")
    expect(thrown(call(s, "getInt32Option", "17"))).toBe("TypeError: Identifier must be a number")
    expect(thrown(call(s, "setStringOption", 5, 1))).toBe("TypeError: Option value must be a string or buffer")
  })

  it("ROUTER's connect takes options ({ routingId }), checked as zeromq.js checks them; the others' do not", () => {
    const ep = "tcp://127.0.0.1:1"
    const cases: [Kind, unknown[]][] = [
      ["Router", [ep, { routingId: 5 }]],
      ["Router", [ep, null]],
      ["Router", [5, { routingId: "x" }]],
      ["Router", [ep, { routingId: "" }]],
      ["Router", [ep, 5]],
      ["Router", [ep, {}, 3]],
      ["Dealer", [ep, {}]],
      ["Request", [ep, { routingId: "x" }]],
      ["Reply", [ep, undefined]],
    ]
    for (const [kind, args] of cases) {
      const [ours, theirs] = libs.map((lib) => {
        const s = make(lib, kind)
        s.linger = 0
        return thrown(call(s, "connect", ...args))
      })
      expect(ours, `${kind}.connect(${args.map((a) => JSON.stringify(a)).join(", ")})`).toBe(theirs)
    }
  })

  it("correct calls return what zeromq.js's return: bind/unbind a promise, connect/disconnect/close nothing", async () => {
    for (const lib of libs) {
      const s = make(lib, "Dealer")
      const ep = `inproc://h15b-args-${lib === "zmtp" ? "a" : "b"}`
      expect(thrown(() => s.bind === undefined || (s.bind as (a: string) => Promise<void>)(ep)), lib).toBe("returned a promise")
      await new Promise((r) => setTimeout(r, 10))
      expect(thrown(call(s, "connect", `${ep}-other`)), lib).toBe("returned undefined")
      expect(thrown(call(s, "disconnect", `${ep}-other`)), lib).toBe("returned undefined")
      expect(thrown(call(s, "unbind", ep)), lib).toBe("returned a promise")
      await new Promise((r) => setTimeout(r, 10))
      expect(thrown(call(s, "close")), lib).toBe("returned undefined")
    }
  })
})

describe("constructors", () => {
  const badOptions: [string, unknown][] = [
    ["a number", 1],
    ["a string", "x"],
    ["null", null],
    ["true", true],
    ["an unknown option", { doesNotExist: 1 }],
    ["an unknown symbol key", { [Symbol("s")]: 1 }],
    ["a method's name", { bind: 1 }],
    ["a socket's state field", { opts: {} }],
    ["read-only type", { type: 1 }],
    ["read-only lastEndpoint", { lastEndpoint: "tcp://x" }],
    ["read-only securityMechanism", { securityMechanism: 1 }],
    ["read-only threadSafe", { threadSafe: true }],
    ["a context that is a plain object", { context: {} }],
    ["a context that is a number", { context: 5 }],
    ["a context that is null", { context: null }],
    ["a context that is a socket", { context: "socket" }],
    ["a bad number", { recoveryInterval: "hello" }],
    ["a bad boolean", { immediate: 1 }],
    ["a bad string", { routingId: 1 }],
    ["an out-of-range value", { linger: -2 }],
    ["an empty routing id", { routingId: "" }],
    ["probeRouter on REP (REP has none)", { probeRouter: true }],
    ["mandatory on a non-ROUTER", { mandatory: true }],
  ]
  for (const kind of kinds) {
    it(`${kind}: bad options throw as in zeromq.js (${badOptions.length} cases)`, () => {
      const differences: string[] = []
      for (const [what, o] of badOptions) {
        const got = libs.map((lib) => {
          // A fresh copy each time: zeromq.js deletes `context` from the object it is given.
          const fresh = o !== null && typeof o === "object" ? { ...o } : o
          const opts = (fresh as { context?: unknown } | null)?.context === "socket" ? { context: make(lib, "Dealer") } : fresh
          return thrown(() => {
            const s = lib === "zmtp" ? new zmtp[kind](opts as never) : new zmq[kind](opts as never)
            ;(s as unknown as Sock).close()
            return undefined
          })
        })
        // zeromq.js's context check is libzmq's unwrap failing: a plain Error, "Invalid argument".
        // zmtp's is the same text with code EINVAL (zeromq.js's has no code).
        if (what === "a context that is a socket") {
          // zeromq.js unwraps the socket as a context and finds it unusable.
          expect(got[1], what).toBe("Error EFAULT: Context is closed")
          expect(got[0], what).toBe("Error EINVAL: Invalid argument")
          continue
        }
        if (what.includes("context")) {
          expect(got[1], what).toBe("Error: Invalid argument")
          expect(got[0], what).toBe("Error EINVAL: Invalid argument")
          continue
        }
        if (got[0] !== got[1]) differences.push(`${what}: zmtp ${got[0]}; zeromq.js ${got[1]}`)
      }
      expect(differences).toEqual([])
    })
  }

  it("the texts are zeromq.js's", () => {
    expect(thrown(() => new zmtp.Dealer(1 as never))).toBe("TypeError: Options must be an object")
    expect(thrown(() => new zmtp.Dealer({ doesNotExist: 1 } as never))).toBe("TypeError: Cannot add property doesNotExist, object is not extensible")
    expect(thrown(() => new zmtp.Dealer({ securityMechanism: 1 } as never))).toBe("TypeError: Cannot set property securityMechanism of #<Socket> which has only a getter")
    expect(thrown(() => new zmtp.Dealer({ recoveryInterval: "hello" } as never))).toBe("TypeError: Option value must be a number")
  })

  it("good options are taken in both: extra arguments are ignored, options may be any object, inherited and non-enumerable properties are not read", () => {
    for (const lib of libs) {
      const T = lib === "zmtp" ? zmtp.Dealer : zmq.Dealer
      const proto = Object.create({ doesNotExist: 1 }) as object
      const hidden = Object.defineProperty({}, "doesNotExist", { value: 1, enumerable: false })
      for (const [what, args] of [["extra argument", [{ recoveryInterval: 5 }, 2]], ["inherited", [proto]], ["non-enumerable", [hidden]], ["an array", [[]]], ["undefined", [undefined]]] as const) {
        const s = track(new (T as unknown as new (...a: unknown[]) => Sock)(...args))
        if (what === "extra argument") expect(s.recoveryInterval, lib).toBe(5)
        expect(s.closed, `${lib} ${what}`).toBe(false)
      }
    }
  })

  it("a context given is the socket's; an undefined one is the global context in zmtp (zeromq.js refuses it: documented)", () => {
    for (const lib of libs) {
      const C = lib === "zmtp" ? zmtp.Context : zmq.Context
      const c = new C()
      expect(make(lib, "Router", { context: c }).context, lib).toBe(c)
    }
    expect(thrown(() => new zmq.Dealer({ context: undefined } as never))).toBe("Error: Invalid argument")
    expect(make("zmtp", "Dealer", { context: undefined }).context).toBe(zmtp.context)
  })

  it("zeromq.js deletes `context` from the options object it is given; zmtp leaves the caller's object alone (documented)", () => {
    const theirs = { context: new zmq.Context(), linger: 0 }
    track(new zmq.Dealer(theirs) as never)
    expect("context" in theirs).toBe(false)
    const ours = { context: new zmtp.Context(), linger: 0 }
    track(new zmtp.Dealer(ours) as never)
    expect("context" in ours).toBe(true)
  })

  for (const kind of kinds) {
    it(`${kind} called without new: zeromq.js's TypeError`, () => {
      const [ours, theirs] = [zmtp[kind], zmq[kind]].map((T) => thrown(() => (T as unknown as () => unknown)()))
      expect(ours).toBe(theirs)
      expect(ours).toBe(`TypeError: Class constructor ${kind} cannot be invoked without 'new'`)
    })
  }
})

describe("sockets are sealed: not extensible, read-only properties have only a getter", () => {
  for (const kind of kinds) {
    it(`${kind}: assignments after construction throw or not as in zeromq.js, with its text`, () => {
      const assignments: [string, unknown][] = [
        ["doesNotExist", 1],
        ["type", 5],
        ["lastEndpoint", "tcp://x"],
        ["securityMechanism", "plain"],
        ["threadSafe", true],
        ["events", null],
        ["context", null],
        ["bind", 1],
      ]
      const got = libs.map((lib) => {
        const s = make(lib, kind)
        return [
          Object.isExtensible(s),
          Object.isSealed(s),
          Object.keys(s).length,
          ...assignments.map(([k, v]) => `${k}: ${thrown(() => ((s as Record<string, unknown>)[k] = v))}`),
          `${kind} type still ${s.type}`,
        ]
      })
      expect(got[0]).toEqual(got[1])
      expect(got[0]![0]).toBe(false)
    })
  }
})

describe("the Socket base constructor", () => {
  const cases: [string, () => unknown, () => unknown][] = [
    ["called without new", () => (zmtp.Socket as unknown as (t: number) => unknown)(5), () => (zmq.Socket as unknown as (t: number) => unknown)(5)],
    ["no arguments", () => new (zmtp.Socket as unknown as new () => unknown)(), () => new (zmq.Socket as unknown as new () => unknown)()],
    ["a type that is a string", () => new (zmtp.Socket as unknown as new (t: unknown) => unknown)("foo"), () => new (zmq.Socket as unknown as new (t: unknown) => unknown)("foo")],
    ["options not an object", () => new (zmtp.Socket as unknown as new (t: unknown, o: unknown) => unknown)(3, 1), () => new (zmq.Socket as unknown as new (t: unknown, o: unknown) => unknown)(3, 1)],
    ["three arguments", () => new (zmtp.Socket as unknown as new (...a: unknown[]) => unknown)(5, {}, 2), () => new (zmq.Socket as unknown as new (...a: unknown[]) => unknown)(5, {}, 2)],
    ["type 37 (no such type)", () => new (zmtp.Socket as unknown as new (t: number) => unknown)(37), () => new (zmq.Socket as unknown as new (t: number) => unknown)(37)],
  ]
  for (const [what, ours, theirs] of cases) {
    it(`${what}: as zeromq.js`, () => {
      const o = thrown(ours)
      const t = thrown(theirs)
      // zmtp's EINVAL is a ZmtpError with code and errno-free message; compare class, code, message.
      expect(o).toBe(t)
      expect(o.startsWith("returned")).toBe(false)
    })
  }

  it("new Socket(5) is a DEALER in both, an instance of Socket; every zmtp socket is an instance of Socket", async () => {
    for (const lib of libs) {
      const S = (lib === "zmtp" ? zmtp.Socket : zmq.Socket) as unknown as new (t: number, o?: object) => Sock
      const s = track(new S(5, { linger: 0 }))
      expect(s.type, lib).toBe(5)
      expect(s.linger, lib).toBe(0)
      expect(s instanceof (S as unknown as abstract new () => unknown), lib).toBe(true)
    }
    // A DEALER made so talks to a libzmq ROUTER.
    const router = track(new zmq.Router()) as unknown as zmq.Router
    await router.bind("tcp://127.0.0.1:*")
    const d = track(new (zmtp.Socket as unknown as new (t: number) => zmtp.Dealer)(5))
    d.connect(router.lastEndpoint!)
    await d.send("via Socket(5)")
    expect((await within(router.receive(), 3000, "message"))[1]!.toString()).toBe("via Socket(5)")
    for (const kind of kinds) expect(make("zmtp", kind) instanceof zmtp.Socket, kind).toBe(true)
  })

  it("deviation: a socket type zmtp does not have (PAIR = 0) is EINVAL; zeromq.js makes one", () => {
    const S = zmtp.Socket as unknown as new (t: number) => Sock
    expect(thrown(() => new S(0))).toBe("Error EINVAL: Invalid argument")
    const theirs = new (zmq.Socket as unknown as new (t: number) => Sock)(0)
    expect(theirs.type).toBe(0)
    theirs.close()
  })
})

describe("send() takes what zeromq.js takes as a frame", () => {
  it("numbers, null, booleans, typed arrays, ArrayBuffers and objects arrive as zeromq.js sends them", async () => {
    const frames: unknown[] = [5, 1.5, null, true, {}, new Uint16Array([1, 2]), new ArrayBuffer(3), new Float64Array([1.5]), 10n, [1, null, "x"]]
    const received = await Promise.all(libs.map(async (lib) => {
      const router = track(new zmq.Router()) as unknown as zmq.Router
      await router.bind("tcp://127.0.0.1:*")
      const d = make(lib, "Dealer") as unknown as zmtp.Dealer
      d.connect(router.lastEndpoint!)
      const out: string[][] = []
      for (const f of frames) {
        await d.send(f as never)
        const [, ...body] = await within(router.receive(), 3000, `${lib} frame`)
        out.push(body.map((b) => b.toString("hex")))
      }
      return out
    }))
    expect(received[0]).toEqual(received[1])
  })

  it("deviations: a DataView and a SharedArrayBuffer are sent as their bytes (zeromq.js refuses the first, \"Invalid argument\", and sends the second as the text \"[object SharedArrayBuffer]\")", async () => {
    const router = track(new zmq.Router()) as unknown as zmq.Router
    await router.bind("tcp://127.0.0.1:*")
    const d = make("zmtp", "Dealer") as unknown as zmtp.Dealer
    d.connect(router.lastEndpoint!)
    const sab = new SharedArrayBuffer(2)
    new Uint8Array(sab).set([7, 8])
    await d.send([new DataView(new ArrayBuffer(2)), sab] as never)
    const [, a, b] = await within(router.receive(), 3000, "frames")
    expect([a!.toString("hex"), b!.toString("hex")]).toEqual(["0000", "0708"])
  })

  it("a Symbol fails with the same TypeError (zeromq.js throws it; zmtp rejects with it, as it does every conversion error)", async () => {
    const theirs = thrown(() => (make("zeromq.js", "Dealer").send as (m: unknown) => unknown)(Symbol("s")))
    expect(theirs).toBe("TypeError: Cannot convert a Symbol value to a string")
    const ours = (make("zmtp", "Dealer") as unknown as { send(m: unknown): Promise<void> }).send(Symbol("s"))
    await expect(ours).rejects.toThrow(new TypeError("Cannot convert a Symbol value to a string"))
  })
})

describe("join() and leave() (zeromq.js's DRAFT group methods, on every socket)", () => {
  it("are not supported on these types, as in zeromq.js: ENOTSUP per group, nothing for none", () => {
    for (const kind of kinds) {
      const got = libs.map((lib) => {
        const s = make(lib, kind)
        return [thrown(call(s, "join", "g")), thrown(call(s, "leave", Buffer.from("g"))), thrown(call(s, "join")), thrown(call(s, "leave", 5))]
      })
      expect(got[0], kind).toEqual(got[1])
      expect(got[0]![0]).toBe("Error ENOTSUP: Operation not supported")
    }
  })
})
