/**
 * setsockopt / getsockopt and the option properties, side by side: for every option number
 * zeromq.js's v5-compat knows (and a few it does not), on every socket type zmtp has, the same
 * calls are made on both and what each returns or throws is compared.
 */
import { describe, expect, it } from "vitest"
import { closeAfterEach, v5libs, zeromqV5, type V5 } from "./libs.js"

const types = ["req", "rep", "dealer", "router", "pub", "sub", "xpub", "xsub"] as const
const optionNumbers = Object.entries(zeromqV5)
  .filter(([k, v]) => k.startsWith("ZMQ_") && typeof v === "number" && !/^ZMQ_(PAIR|PUB|SUB|REQ|REP|DEALER|XREQ|ROUTER|XREP|PULL|PUSH|XPUB|XSUB|STREAM|POLL\w+|SNDMORE|CAN_\w+|IO_THREADS|MAX_SOCKETS)$/.test(k))
  .map(([k, v]) => [k, v as number] as const)
// Numbers v5-compat does not know: "Unknown option" on both.
const extra = [["ZMQ_ROUTING_ID_NOT_IN_V5 (61)", 61], ["9999", 9999]] as const

/** What a call did: its value (Buffers as text), or the error's class, code and message. */
function outcome(f: () => unknown): unknown {
  try {
    const v = f()
    return { value: Buffer.isBuffer(v) ? `<Buffer ${v.toString("latin1")}>` : typeof v === "bigint" ? `${v}n` : v }
  } catch (e) {
    const err = e as Error & { code?: string }
    return { throws: err instanceof TypeError ? "TypeError" : "Error", code: err.code, message: err.message }
  }
}

/** Values tried for each option: ones libzmq accepts, and ones it refuses. */
const values: unknown[] = [0, 1, 2, -1, 100, "abc", Buffer.from("abc"), true, null]

/**
 * Where the two differ, each for a stated reason; any other difference fails. All but the last
 * are differences of the v6 classes underneath (test/dropin/options.test.ts), not of this layer.
 */
function knownDifference(type: string, key: string, theirs: string, ours: string): string | undefined {
  const invalid = '{"throws":"Error","code":"EINVAL","message":"Invalid argument"}'
  // libzmq 4.3.5 cannot read these back (EINVAL); zmtp can.
  // Only the read differs: the set (if any) did the same on both.
  const readOnlyDiffers = () => {
    const [t, o] = [JSON.parse(theirs), JSON.parse(ours)]
    const [tGet, oGet] = Array.isArray(t) ? [t[1], o[1]] : [t, o]
    if (Array.isArray(t) && JSON.stringify(withoutExtraCodes(t[0], o[0])) !== JSON.stringify(t[0])) return false
    return JSON.stringify(tGet) === invalid && "value" in oGet
  }
  if (/^ZMQ_CURVE_(PUBLICKEY|SECRETKEY|SERVERKEY) /.test(key) && readOnlyDiffers()) return "v6: CURVE keys read back"
  if (type === "router" && key.startsWith("ZMQ_ROUTER_MANDATORY ") && readOnlyDiffers()) return "v6: mandatory reads back"
  // zeromq.js's classes carry only their type's options and are sealed: setting another type's
  // option (SNDHWM on a SUB, IDENTITY on a PUB) throws "object is not extensible" and reading it is
  // undefined. zmtp's sockets have every option libzmq accepts on every type, as libzmq does.
  if (theirs.includes("object is not extensible") || (key.endsWith(" get") && theirs === "{}")) return "v6: the option exists on every type"
  // setsockopt(ZMQ_SUBSCRIBE) on a type that has no subscriptions: zeromq.js's TypeError names its
  // internals ("this._socket.subscribe is not a function"); zmtp says what subscribe() says.
  if (/^ZMQ_(UN)?SUBSCRIBE set/.test(key) && theirs.includes("is not a function") && ours.includes("Subscriber socket required")) return "message"
  return undefined
}

/**
 * zeromq.js's compatibility layer throws plain Errors (no `code`) for its own refusals; zmtp's are
 * typed (a `code` as well, the same message). Drops the code where zeromq.js has none.
 */
function withoutExtraCodes(theirs: unknown, ours: unknown): unknown {
  if (Array.isArray(theirs) && Array.isArray(ours)) return ours.map((o, i) => withoutExtraCodes(theirs[i], o))
  if (theirs && ours && typeof theirs === "object" && typeof ours === "object" && "throws" in theirs && "throws" in ours) {
    if ((theirs as { code?: string }).code === undefined) return { ...ours, code: undefined }
  }
  return ours
}

function probe(zmq: V5, type: (typeof types)[number], track: ReturnType<typeof closeAfterEach>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, id] of [...optionNumbers, ...extra]) {
    const fresh = () => track(zmq.socket(type))
    const s = fresh()
    out[`${name} get`] = outcome(() => s.getsockopt(id))
    for (const v of values) {
      const t = fresh()
      out[`${name} set ${JSON.stringify(v)}`] = [outcome(() => t.setsockopt(id, v) === t), outcome(() => t.getsockopt(id))]
      t.close()
    }
    s.close()
  }
  return out
}

describe("v5-compat options side by side with zeromq.js", () => {
  const track = closeAfterEach()

  for (const type of types) {
    it(`${type}: every setsockopt/getsockopt outcome matches zeromq.js's`, () => {
      const warn = process.emitWarning
      process.emitWarning = () => {}
      try {
        const [theirs, ours] = v5libs.map(({ zmq }) => probe(zmq, type, track))
        const diffs: string[] = []
        for (const key of Object.keys(theirs!)) {
          const a = JSON.stringify(theirs![key])
          const b = JSON.stringify(withoutExtraCodes(theirs![key], ours![key]))
          if (a === b) continue
          if (knownDifference(type, key, a, b)) continue
          diffs.push(`${key}\n    zeromq.js: ${a}\n    zmtp:      ${b}`)
        }
        expect(diffs.join("\n")).toBe("")
        // Something was compared: every option, read and each value set.
        expect(Object.keys(theirs!).length).toBe((optionNumbers.length + extra.length) * (values.length + 1))
      } finally {
        process.emitWarning = warn
      }
    })
  }

  it("the short option names are properties, and strings set are octets", () => {
    for (const { zmq } of v5libs) {
      const s = track(zmq.socket("router"))
      s.identity = "peer-1"
      s.linger = 0
      s.backlog = 50
      expect([s.getsockopt(zmq.ZMQ_IDENTITY), s.linger, s.getsockopt("backlog"), s.getsockopt(zmq.ZMQ_BACKLOG)]).toEqual(["peer-1", 0, 50, 50])
      expect(() => (s.rcvhwm = 5)).not.toThrow() // not an option property in v5-compat: a plain property
      expect(() => s.setsockopt("rcvhwm" as never, 5)).toThrow("Unknown option")
      const o = track(zmq.socket("dealer", { linger: 30, identity: "abc", backlog: 7 }))
      expect([o.linger, o.identity, o.backlog]).toEqual([30, "abc", 7])
    }
  })

  it("the option-name table is zeromq.js's", () => {
    expect(v5libs[1]!.zmq.options).toEqual(zeromqV5.options)
  })
})
