/**
 * Drop-in fidelity of the options API (issue 15 item 4), side by side with zeromq.js 6.8 (libzmq
 * 4.3.5) in process: the same scenario runs against both and what each observes is compared.
 *
 * - every property zeromq.js's Dealer, Router, Request and Reply have (walking their prototype
 *   chains) exists on zmtp's, of the same kind, with the same default;
 * - every option property, set to each of a sweep of values, is accepted or refused as zeromq.js
 *   accepts or refuses it (same TypeError text, same error code) and reads back the same;
 * - the generic accessors (getBoolOption ... setStringOption, keyed by libzmq's option numbers)
 *   reach the same options, with the same conversions, and agree with the properties;
 * - the process warnings zeromq.js emits (an option set after bind or connect, a uint64 beyond
 *   Number.MAX_SAFE_INTEGER);
 * - string options read back as zeromq.js reads them (unset is null, a Buffer's octets up to 0x00);
 * - ZMQ_TCP_ACCEPT_FILTER refuses and admits the same peers.
 *
 * zmtp's documented departures are listed here, each with the behaviour asserted instead (see the
 * options' TSDoc in src/options.ts).
 */
import * as zmq from "zeromq"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import * as zmtp from "../../src/index.js"
import { closeAfterEach, nothingArrives, recordEvents, until, within } from "../helpers.js"

const track = closeAfterEach()
const kinds = ["Dealer", "Router", "Request", "Reply"] as const
type Kind = (typeof kinds)[number]
type Lib = "zmtp" | "zeromq.js"
type Sock = Record<string, unknown> & { close(): void }

function make(lib: Lib, kind: Kind, options?: object): Sock {
  const s = (lib === "zmtp" ? new zmtp[kind](options as never) : new zmq[kind](options as never)) as unknown as Sock
  return track(s as never) as Sock
}

/** Everything a socket's prototype chain defines: methods, and accessors with their get/set halves. */
function prototypeProperties(o: object): Map<string, "method" | "get" | "set" | "get+set"> {
  const out = new Map<string, "method" | "get" | "set" | "get+set">()
  for (let p = Object.getPrototypeOf(o); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === "constructor" || out.has(k)) continue
      const d = Object.getOwnPropertyDescriptor(p, k)!
      if (typeof d.value === "function") out.set(k, "method")
      else if (d.get || d.set) out.set(k, d.get && d.set ? "get+set" : d.get ? "get" : "set")
    }
  }
  return out
}

/** What an operation comes to: a value, a TypeError's text, or an error code. */
function outcome(f: () => unknown): string {
  try {
    const v = f()
    return `ok:${typeof v === "bigint" ? `${v}n` : JSON.stringify(v)}`
  } catch (e) {
    if (e instanceof TypeError) return `TypeError:${e.message}`
    return `error:${(e as { code?: string }).code ?? (e as Error).message}`
  }
}

const zeromqProps = new Map(kinds.map((k) => {
  const s = new zmq[k]()
  const props = prototypeProperties(s)
  s.close()
  return [k, props] as const
}))

/** Properties zmtp does not have, and why (README migration table). */
const MISSING: Record<string, string> = {
  bindSync: "a TCP or IPC listen cannot complete synchronously on Node's event loop",
  unbindSync: "as bindSync",
}

/** zeromq.js cannot read these (libzmq has no getsockopt for them); zmtp reads back the value set. */
const ZEROMQ_UNREADABLE = new Set(["curvePublicKey", "curveSecretKey", "curveServerKey", "mandatory"])
/** zeromq.js defines these without a getter (write-only); zmtp reads them back. */
const ZEROMQ_WRITE_ONLY = new Set(["probeRouter", "conflate", "correlate", "relaxed", "handover"])
/**
 * zeromq.js's libzmq is built without VMCI and answers EINVAL to these; zmtp takes them as a libzmq
 * built with it does (accepted, no effect, read back: issue 17), checked in test/dropin/exports.test.ts.
 */
const ACCEPTED_BY_ZMTP = new Set(["vmciBufferSize", "vmciBufferMinSize", "vmciBufferMaxSize", "vmciConnectTimeout"])

describe("properties: zeromq.js's, on zmtp's sockets, of the same kind and default", () => {
  for (const kind of kinds) {
    it(`${kind}: every method and accessor of zeromq.js's prototype chain exists on zmtp's, of the same kind`, () => {
      const ours = prototypeProperties(make("zmtp", kind))
      const theirs = zeromqProps.get(kind)!
      const missing: string[] = []
      for (const [name, what] of theirs) {
        if (!ours.has(name)) {
          missing.push(name)
          continue
        }
        // A write-only option is readable in zmtp (a documented improvement); else the same kind.
        const expected = what === "set" && ZEROMQ_WRITE_ONLY.has(name) ? "get+set" : what
        expect(ours.get(name), name).toBe(expected)
      }
      expect(missing.sort()).toEqual(Object.keys(MISSING).sort())
      // Enough was compared for the check to mean something.
      expect(theirs.size).toBeGreaterThan(70)
    })

    it(`${kind}: every readable property reads the same default as zeromq.js's (unset strings are null)`, () => {
      const ours = make("zmtp", kind)
      const theirs = make("zeromq.js", kind)
      let compared = 0
      for (const [name, what] of zeromqProps.get(kind)!) {
        if (what === "method" || what === "set" || name === "events" || name === "context") continue
        if (ACCEPTED_BY_ZMTP.has(name)) {
          expect(outcome(() => theirs[name]), name).toBe("error:EINVAL")
          expect(outcome(() => ours[name]), name).toMatch(/^ok:/)
          continue
        }
        if (ZEROMQ_UNREADABLE.has(name)) {
          expect(outcome(() => theirs[name]), name).toBe("error:EINVAL")
          expect(outcome(() => ours[name]), name).toBe(name === "mandatory" ? "ok:false" : "ok:null")
          continue
        }
        expect(outcome(() => ours[name]), name).toBe(outcome(() => theirs[name]))
        compared++
      }
      expect(compared).toBeGreaterThan(45)
      // Write-only in zeromq.js: zmtp reads libzmq's documented default.
      for (const name of ZEROMQ_WRITE_ONLY) {
        if (zeromqProps.get(kind)!.get(name) === "set") expect(ours[name], name).toBe(false)
      }
      expect(typeof ours.events).toBe(typeof theirs.events)
      expect(ours.context).toBe(zmtp.context)
    })
  }

  it("unset string options read null in both, through the property and getStringOption", () => {
    const ours = make("zmtp", "Dealer")
    const theirs = make("zeromq.js", "Dealer")
    for (const [name, id] of [["routingId", 5], ["lastEndpoint", 32], ["plainUsername", 45], ["plainPassword", 46], ["zapDomain", 55], ["socksProxy", 68], ["interface", 92]] as const) {
      for (const s of [ours, theirs]) {
        expect(s[name], name).toBeNull()
        expect((s.getStringOption as (id: number) => unknown).call(s, id), name).toBeNull()
      }
    }
  })
})

/** Values each option property is set to, in both libraries. */
const VALUES: unknown[] = [
  -2, -1, 0, 1, 2, 99, 100, 255, 256, 65535, 6553599, 6553600, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64, -(2 ** 31), 1.7, -1.7, NaN, Infinity, -Infinity,
  true, false, "", "x", "127.0.0.1", "127.1", "10.0.0.0/8", "10.0.0.0/33", "::1", "eth0", "a".repeat(16), "a".repeat(17), "é".repeat(127) + "a", "é".repeat(128),
  "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf~", Buffer.alloc(32, 7), Buffer.from("ab"), new Uint8Array([65, 66]), null, undefined, {}, [],
]

function label(v: unknown): string {
  if (v === undefined) return "undefined"
  if (typeof v === "number") return String(v)
  if (Buffer.isBuffer(v)) return `Buffer(${v.length})`
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`
  const s = JSON.stringify(v)
  return s.length > 24 ? `${s.slice(0, 20)}…(${s.length})` : s
}

/**
 * Where zmtp deliberately refuses what zeromq.js accepts: the option, the values, and why. zmtp
 * throws EINVAL there (see the options' docs).
 */
function refusedByZmtp(name: string, v: unknown): boolean {
  switch (name) {
    case "conflate":
      return v === true // not implemented on a Dealer; ignoring it would change delivery
    case "interface":
      return v !== null // Node cannot SO_BINDTODEVICE
    default:
      return false
  }
}

describe("option properties: each value is taken or refused as zeromq.js does, and reads back the same", () => {
  for (const kind of kinds) {
    it(`${kind}: every settable option over ${VALUES.length} values`, () => {
      const settable = [...zeromqProps.get(kind)!].filter(([, w]) => w === "set" || w === "get+set").map(([n]) => n)
      expect(settable.length).toBeGreaterThan(45)
      const differences: string[] = []
      let compared = 0
      for (const name of settable) {
        if (ACCEPTED_BY_ZMTP.has(name)) continue
        for (const v of VALUES) {
          const ours = make("zmtp", kind)
          const theirs = make("zeromq.js", kind)
          const o = outcome(() => (ours[name] = v))
          const t = outcome(() => (theirs[name] = v))
          const oRead = outcome(() => ours[name])
          const tRead = outcome(() => theirs[name])
          ours.close()
          theirs.close()
          const what = `${name} = ${label(v)}`
          if (refusedByZmtp(name, v) && t.startsWith("ok")) {
            if (o !== "error:EINVAL") differences.push(`${what}: zmtp ${o}, expected its refusal`)
            continue
          }
          compared++
          if (o !== t) differences.push(`${what}: zmtp ${o}, zeromq.js ${t}`)
          else if (ZEROMQ_WRITE_ONLY.has(name) || ZEROMQ_UNREADABLE.has(name)) {
            // zeromq.js cannot read it back; zmtp reads back what it took.
            if (t.startsWith("ok") && typeof v === "boolean" && oRead !== `ok:${v}`) differences.push(`${what}: zmtp reads back ${oRead}`)
          } else if (oRead !== tRead) differences.push(`${what}, read back: zmtp ${oRead}, zeromq.js ${tRead}`)
        }
      }
      expect(differences).toEqual([])
      expect(compared).toBeGreaterThan(1900)
    })
  }

  it("CURVE keys: zmtp reads a key back as Z85 (zeromq.js cannot read it); the same keys are taken and refused", () => {
    const ours = make("zmtp", "Dealer")
    const key = zmtp.curveKeyPair()
    ours.curvePublicKey = Buffer.from(zmtp.z85Decode(key.publicKey))
    expect(ours.curvePublicKey).toBe(key.publicKey)
    expect(ours.securityMechanism).toBe("curve")
  })

  it("write-only in zeromq.js (probeRouter, correlate, relaxed, handover, conflate): zmtp reads back what was set", () => {
    const r = make("zmtp", "Router", { probeRouter: true, handover: true, mandatory: true })
    const q = make("zmtp", "Request", { correlate: true, relaxed: true })
    const d = make("zmtp", "Dealer", { conflate: false })
    expect([r.probeRouter, r.handover, r.mandatory, q.correlate, q.relaxed, d.conflate]).toEqual([true, true, true, true, true, false])
  })
})

type Generic = "Bool" | "Int32" | "Uint32" | "Int64" | "Uint64" | "String"
const GENERICS: Generic[] = ["Bool", "Int32", "Uint32", "Int64", "Uint64", "String"]
const GENERIC_VALUES: Record<Generic, unknown[]> = {
  Bool: [true, false],
  Int32: [-1, 0, 1, 2, 250, 2 ** 31],
  Uint32: [0, 1, 2 ** 32 - 1, 2 ** 31],
  Int64: [-1, 0, 5, 2 ** 40, -(2 ** 63)],
  Uint64: [0, 5, -5, 2 ** 52],
  String: ["ab", Buffer.from("cd"), null],
}

/** libzmq option numbers zeromq.js's properties use, on that socket type. */
function optionIds(kind: Kind): number[] {
  const ids = new Set<number>()
  for (const [name] of zeromqProps.get(kind)!) {
    const id = (OPTION_IDS as Record<string, number>)[name]
    if (id !== undefined) ids.add(id)
  }
  return [...ids].sort((a, b) => a - b)
}

/** libzmq's numbers (zmq.h) of the options zeromq.js has as properties: the test's own copy. */
const OPTION_IDS = {
  affinity: 4, routingId: 5, rate: 8, recoveryInterval: 9, sendBufferSize: 11, receiveBufferSize: 12, type: 16, linger: 17,
  reconnectInterval: 18, backlog: 19, reconnectMaxInterval: 21, maxMessageSize: 22, sendHighWaterMark: 23, receiveHighWaterMark: 24,
  multicastHops: 25, receiveTimeout: 27, sendTimeout: 28, lastEndpoint: 32, mandatory: 33, tcpKeepalive: 34, tcpKeepaliveCount: 35,
  tcpKeepaliveIdle: 36, tcpKeepaliveInterval: 37, tcpAcceptFilter: 38, immediate: 39, ipv6: 42, securityMechanism: 43, plainServer: 44,
  plainUsername: 45, plainPassword: 46, curveServer: 47, curvePublicKey: 48, curveSecretKey: 49, curveServerKey: 50, probeRouter: 51,
  correlate: 52, relaxed: 53, conflate: 54, zapDomain: 55, handover: 56, typeOfService: 57, handshakeInterval: 66, socksProxy: 68,
  heartbeatInterval: 75, heartbeatTimeToLive: 76, heartbeatTimeout: 77, connectTimeout: 79, tcpMaxRetransmitTimeout: 80, threadSafe: 81,
  multicastMaxTransportDataUnit: 84, vmciBufferSize: 85, vmciBufferMinSize: 86, vmciBufferMaxSize: 87, vmciConnectTimeout: 88,
  interface: 92, zapEnforceDomain: 93, loopbackFastPath: 94,
} as const
const NAME_OF = new Map(Object.entries(OPTION_IDS).map(([n, id]) => [id as number, n]))

/**
 * True if a generic setter's value gives a routing id starting with 0x00 (its first octet, little-
 * endian): zmtp refuses those (its ROUTER reads such an announced id as none); libzmq takes them.
 */
function leadingZero(g: Generic, v: unknown): boolean {
  if (g === "String") return v !== null && (typeof v === "string" ? Buffer.from(v) : (v as Buffer))[0] === 0
  if (g === "Bool") return v === false
  const n = v as number
  if (g === "Uint64" && n < 0) return true
  return BigInt.asUintN(8, BigInt(Math.trunc(n))) === 0n
}

const call = (s: Sock, m: string, ...args: unknown[]) => (s[m] as (...a: unknown[]) => unknown).apply(s, args)

describe("generic accessors: the same options by libzmq number, the same conversions, consistent with the properties", () => {
  for (const kind of kinds) {
    it(`${kind}: each option set through each generic setter reads back the same through every getter and the property`, () => {
      const ids = optionIds(kind)
      expect(ids.length).toBeGreaterThan(48)
      const differences: string[] = []
      let compared = 0
      const seen = (s: Sock, name: string) => {
        const reads = GENERICS.map((g) => outcome(() => call(s, `get${g}Option`, OPTION_IDS[name as keyof typeof OPTION_IDS])))
        return [...reads, outcome(() => s[name])].join(" | ")
      }
      for (const id of ids) {
        const name = NAME_OF.get(id)!
        if (ACCEPTED_BY_ZMTP.has(name)) continue
        for (const g of GENERICS) {
          for (const v of GENERIC_VALUES[g]) {
            const ours = make("zmtp", kind)
            const theirs = make("zeromq.js", kind)
            const o = outcome(() => call(ours, `set${g}Option`, id, v))
            const t = outcome(() => call(theirs, `set${g}Option`, id, v))
            const what = `set${g}Option(${id} ${name}, ${label(v)})`
            if ((refusedByZmtp(name, g === "Bool" ? v : g === "String" ? v : v !== 0) || (name === "routingId" && leadingZero(g, v))) && t.startsWith("ok")) {
              if (o !== "error:EINVAL") differences.push(`${what}: zmtp ${o}, expected its refusal`)
            } else if (o !== t) {
              differences.push(`${what}: zmtp ${o}, zeromq.js ${t}`)
            } else if (!ZEROMQ_WRITE_ONLY.has(name) && !ZEROMQ_UNREADABLE.has(name)) {
              // libzmq reads a string given to an int option of four octets as the int; not compared.
              const so = seen(ours, name)
              const st = seen(theirs, name)
              compared++
              if (so !== st) differences.push(`${what} then reads: zmtp ${so}; zeromq.js ${st}`)
            }
            ours.close()
            theirs.close()
          }
        }
      }
      expect(differences).toEqual([])
      expect(compared).toBeGreaterThan(800)
    })
  }

  it("a property set reads back through the generic getter and a generic set through the property", () => {
    for (const lib of ["zmtp", "zeromq.js"] as const) {
      const s = make(lib, "Dealer")
      s.sendHighWaterMark = 7
      expect(call(s, "getInt32Option", 23), lib).toBe(7)
      call(s, "setInt32Option", 23, 9)
      expect(s.sendHighWaterMark, lib).toBe(9)
      call(s, "setStringOption", 5, Buffer.from("rid"))
      expect(s.routingId, lib).toBe("rid")
      s.maxMessageSize = 2 ** 40
      expect(call(s, "getInt64Option", 22), lib).toBe(2 ** 40)
      call(s, "setBoolOption", 39, true)
      expect(s.immediate, lib).toBe(true)
    }
  })

  it("unknown numbers, wrong widths and read-only options are EINVAL in both", () => {
    for (const lib of ["zmtp", "zeromq.js"] as const) {
      const s = make(lib, "Dealer")
      for (const [m, args] of [["getInt32Option", [9999]], ["setInt32Option", [9999, 1]], ["getInt64Option", [17]], ["getInt32Option", [22]],
        ["getStringOption", [17]], ["setInt32Option", [16, 1]], ["setStringOption", [32, "x"]], ["setInt32Option", [43, 1]], ["setBoolOption", [81, true]],
        ["setBoolOption", [33, true]], ["setBoolOption", [52, true]], ["setStringOption", [61, "x"]]] as const) {
        expect(outcome(() => call(s, m, ...args)), `${lib} ${m}(${args.join(", ")})`).toBe("error:EINVAL")
      }
    }
  })

  it("deviation: ROUTER-only options set through REP's generic setters are EINVAL in zmtp (libzmq's REP is a ROUTER inside)", () => {
    const ours = make("zmtp", "Reply")
    const theirs = make("zeromq.js", "Reply")
    for (const [m, id, v] of [["setBoolOption", 33, true], ["setBoolOption", 56, true], ["setStringOption", 61, "x"]] as const) {
      expect(outcome(() => call(theirs, m, id, v))).toBe("ok:undefined")
      expect(outcome(() => call(ours, m, id, v))).toBe("error:EINVAL")
    }
  })
})

describe("routing ids and other string options read back as zeromq.js reads them", () => {
  const buffers: [string, Buffer][] = [
    ["UTF-8", Buffer.from("åbçdéfghïjk")],
    ["invalid UTF-8", Buffer.from([0x41, 0xff, 0x42, 0xc3])],
    ["a 0x00 inside", Buffer.from("ab\0cd")],
    ["255 octets", Buffer.alloc(255, 0x61)],
  ]
  for (const [what, b] of buffers) {
    it(`a Buffer routingId (${what}) reads back the same string, by property and getStringOption, and a zapDomain too`, () => {
      const reads = (["zmtp", "zeromq.js"] as const).map((lib) => {
        const s = make(lib, "Dealer")
        s.routingId = b
        s.zapDomain = b
        return [s.routingId, call(s, "getStringOption", 5), s.zapDomain, call(s, "getStringOption", 55)]
      })
      expect(reads[0]).toEqual(reads[1])
      expect(typeof reads[0]![0]).toBe("string")
    })
  }

  it("a routing id with 0x00 inside reads back up to it, but travels whole: a libzmq ROUTER sees every octet", async () => {
    const router = make("zeromq.js", "Router") as unknown as zmq.Router
    await router.bind("tcp://127.0.0.1:*")
    const id = Buffer.from("ab\0cd")
    const d = make("zmtp", "Dealer", { routingId: id }) as unknown as zmtp.Dealer
    expect(d.routingId).toBe("ab")
    d.connect(router.lastEndpoint!)
    await d.send("hi")
    const [rid, body] = await within(router.receive(), 3000, "hello")
    expect(rid!.equals(id)).toBe(true)
    expect(body!.toString()).toBe("hi")
  })
})

describe("process warnings, as zeromq.js emits them", () => {
  let warnings: string[] = []
  const listener = (w: Error) => warnings.push(`${w.name}: ${w.message}`)
  beforeEach(() => {
    warnings = []
    process.on("warning", listener)
  })
  afterEach(() => {
    process.off("warning", listener)
  })
  const settle = () => new Promise((r) => setTimeout(r, 10))

  /** Runs a scenario against one library; returns the warnings it caused, step by step. */
  async function scenario(lib: Lib, n: number): Promise<string[][]> {
    const steps: string[][] = []
    const mark = async () => {
      await settle()
      steps.push(warnings.splice(0))
    }
    const ep = `inproc://h15b-warn-${lib === "zmtp" ? "a" : "b"}-${n}`
    const s = make(lib, n === 3 ? "Router" : "Dealer", { routingId: "first" }) as Sock & zmtp.Dealer
    await mark() // 0: the constructor sets options before any endpoint
    s.routingId = "before"
    await mark() // 1: no endpoint yet
    if (n === 1) {
      s.connect(`${ep}-c`)
      s.routingId = "after connect"
      await mark() // 2
      s.linger = 0
      s.sendHighWaterMark = 5
      s.receiveHighWaterMark = 5
      s.sendTimeout = 1
      s.receiveTimeout = 1
      await mark() // 3: zeromq.js's immediate options
      s.immediate = true
      s.reconnectInterval = 50
      s.maxMessageSize = 1000
      s.heartbeatInterval = 10
      s.plainServer = false
      await mark() // 4: each warns
      expect(() => (s.reconnectInterval = -5)).toThrow()
      await mark() // 5: warned, then refused
      expect(() => (s.reconnectInterval = "x" as never)).toThrow(TypeError)
      await mark() // 6: a TypeError comes first: no warning
      call(s, "setInt32Option", 18, 10)
      await mark() // 7: the generic setters warn too
      s.disconnect(`${ep}-c`)
      s.routingId = "after disconnect"
      await mark() // 8
    } else if (n === 2) {
      const p = s.bind(ep)
      s.routingId = "during bind"
      await mark() // 2
      await p
      s.routingId = "after bind"
      await mark() // 3
      await s.unbind(ep)
      s.routingId = "after unbind"
      await mark() // 4
      s.close()
      expect(() => (s.routingId = "closed")).toThrow(expect.objectContaining({ code: "ENOTSOCK" }))
      await mark() // 5: zeromq.js warns before libzmq's ENOTSOCK
    } else {
      s.connect(`${ep}-r`)
      s.mandatory = true
      s.handover = true
      s.probeRouter = true
      await mark() // 2: immediate
      call(s, "setUint64Option", 4, 2 ** 60)
      await mark() // 3: after connect, and beyond MAX_SAFE_INTEGER: both warnings
    }
    return steps
  }

  for (const n of [1, 2, 3]) {
    it(`scenario ${n}: the same warnings at the same steps in both`, async () => {
      const ours = await scenario("zmtp", n)
      const theirs = await scenario("zeromq.js", n)
      expect(ours).toEqual(theirs)
      // The scenario does provoke warnings, and no step sees any of the other's.
      expect(theirs.flat().length).toBeGreaterThan(1)
      expect(theirs.flat().every((w) => w.startsWith("Warning: "))).toBe(true)
    })
  }

  it("the texts are zeromq.js's", async () => {
    const theirs = (await scenario("zeromq.js", 3)).flat()
    expect(theirs).toEqual([
      "Warning: Socket option will not take effect until next connect/bind.",
      "Warning: Value is larger than Number.MAX_SAFE_INTEGER and may have been rounded inaccurately.",
    ])
    expect((await scenario("zmtp", 3)).flat()).toEqual(theirs)
  })
})

describe("ZMQ_TCP_ACCEPT_FILTER admits and refuses the same peers", () => {
  for (const [filter, admitted] of [["10.0.0.1", false], ["10.0.0.0/8", false], ["127.0.0.1", true], ["127.0.0.0/8", true], ["127.1", true]] as const) {
    it(`filter ${filter}: a loopback peer is ${admitted ? "admitted" : "refused, with accept:error EAGAIN,"} in both`, async () => {
      for (const lib of ["zmtp", "zeromq.js"] as const) {
        const server = make(lib, "Router", { tcpAcceptFilter: filter }) as unknown as zmtp.Router
        const events = recordEvents(server as never)
        await server.bind("tcp://127.0.0.1:*")
        const client = make(lib === "zmtp" ? "zeromq.js" : "zmtp", "Dealer") as unknown as zmtp.Dealer
        client.connect(server.lastEndpoint!)
        if (admitted) {
          await client.send("in")
          const [, body] = await within(server.receive(), 3000, `${lib} admitted`)
          expect(body!.toString(), lib).toBe("in")
          expect(events.some((e) => e.type === "accept:error"), lib).toBe(false)
        } else {
          await until(() => events.some((e) => e.type === "accept:error"), 3000, `${lib} accept:error`)
          const e = events.find((x) => x.type === "accept:error")!
          expect((e.error as { code?: string }).code, lib).toBe("EAGAIN")
          expect(e.address, lib).toBe(server.lastEndpoint)
          void client.send("out").catch(() => {})
          expect(await nothingArrives(server, 200), lib).toBe(true)
          expect(events.some((x) => x.type === "accept"), lib).toBe(false)
        }
        ;(client as unknown as Sock).linger = 0
        client.close()
        server.close()
      }
    })
  }

  it("null clears the filters: a refused peer is admitted afterwards (zmtp applies it to its listeners at once)", async () => {
    const server = make("zmtp", "Router", { tcpAcceptFilter: "10.0.0.1" }) as unknown as zmtp.Router
    server.tcpAcceptFilter = null
    await server.bind("tcp://127.0.0.1:*")
    const client = make("zeromq.js", "Dealer") as unknown as zmq.Dealer
    client.connect(server.lastEndpoint!)
    await client.send("in")
    expect((await within(server.receive(), 3000, "admitted"))[1]!.toString()).toBe("in")
  })
})
