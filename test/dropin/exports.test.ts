/**
 * The top-level surface of zeromq.js 6.8 (issue 17 item 2): every export of `import("zeromq")` is
 * an export of zmtp of the same JS type, and every property along each exported class's prototype
 * chain (methods, accessors with their getter/setter, values) and each static is on zmtp's, of the
 * same kind. What differs is listed below with the README migration-table text that documents it,
 * and the test checks that text is in README.md.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import * as zeromq from "zeromq"
import * as zmtp from "../../src/index.js"
import { closeAfterEach } from "./side-by-side.js"

const track = closeAfterEach()

/**
 * Socket classes other branches of issue 17 add (Push, Pull, Pair: h-p17; Stream: h-s17). Skipped,
 * with a note, while missing here; checked as any other once present. Delete at merge.
 */
const addedByOtherBranches: string[] = []

/**
 * Differences, by `Export.property` (a property anywhere on the class's prototype chain) or
 * `Export`, each with the text of its README migration-table row.
 */
const documentedDifferences: Record<string, string> = {
  "*.bindSync": "| `bindSync`, `unbindSync` | missing |",
  "*.unbindSync": "| `bindSync`, `unbindSync` | missing |",
  "Observer.emitter": "| `observer.emitter` (undeclared in zeromq.js's types) | missing |",
}

/** zeromq.js's write-only option accessors, which zmtp can also read (README rows). */
const writeOnlyReadable: Record<string, string> = {
  probeRouter: "| write-only options (`probeRouter`, `correlate`, `relaxed`, `handover`, `conflate`), `mandatory`, CURVE keys | readable |",
  correlate: "| write-only options (`probeRouter`, `correlate`, `relaxed`, `handover`, `conflate`), `mandatory`, CURVE keys | readable |",
  relaxed: "| write-only options (`probeRouter`, `correlate`, `relaxed`, `handover`, `conflate`), `mandatory`, CURVE keys | readable |",
  handover: "| write-only options (`probeRouter`, `correlate`, `relaxed`, `handover`, `conflate`), `mandatory`, CURVE keys | readable |",
  conflate: "| write-only options (`probeRouter`, `correlate`, `relaxed`, `handover`, `conflate`), `mandatory`, CURVE keys | readable |",
  noDrop: "| `noDrop`, `conflate`, `manual`, `welcomeMessage`, `verbosity` are write-only (read back `undefined`) | read back",
  manual: "| `noDrop`, `conflate`, `manual`, `welcomeMessage`, `verbosity` are write-only (read back `undefined`) | read back",
  welcomeMessage: "| `noDrop`, `conflate`, `manual`, `welcomeMessage`, `verbosity` are write-only (read back `undefined`) | read back",
  verbosity: "| `noDrop`, `conflate`, `manual`, `welcomeMessage`, `verbosity` are write-only (read back `undefined`) | read back",
  notify: "| `notify` is write-only (reads back `undefined`) | read back |",
}

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8")

/** "method", "get", "set", "get+set", or "value:<typeof>": what a property is. */
function kindOf(d: PropertyDescriptor): string {
  if (d.get || d.set) return [d.get && "get", d.set && "set"].filter(Boolean).join("+")
  return typeof d.value === "function" ? "method" : `value:${typeof d.value}`
}

/** Every string-keyed property along the prototype chain of `o` (nearest first), up to Object's or Function's own. */
function chainProperties(o: object): Map<string, string> {
  const seen = new Map<string, string>()
  for (let p: object | null = o; p && p !== Object.prototype && p !== Function.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === "constructor" || seen.has(k)) continue
      seen.set(k, kindOf(Object.getOwnPropertyDescriptor(p, k)!))
    }
  }
  return seen
}

/** The statics of a class, less what every function has (`arguments` and `caller` are sloppy-mode natives'). */
function statics(f: object): Map<string, string> {
  const m = chainProperties(f)
  for (const k of ["length", "name", "prototype", "arguments", "caller"]) m.delete(k)
  return m
}

const theirs = zeromq as unknown as Record<string, unknown>
const ours = zmtp as unknown as Record<string, unknown>
const exportNames = Object.keys(theirs)

/** Compares two property maps; returns the differences not documented. */
function compare(exp: string, a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = []
  for (const [name, kind] of a) {
    const documented = documentedDifferences[`${exp}.${name}`] ?? documentedDifferences[`*.${name}`]
    if (documented !== undefined) {
      expect(readme, `README row for ${exp}.${name}`).toContain(documented)
      continue
    }
    const mine = b.get(name)
    if (mine === kind) continue
    if (kind === "set" && mine === "get+set" && writeOnlyReadable[name]) {
      expect(readme, `README row for ${name}`).toContain(writeOnlyReadable[name])
      continue
    }
    out.push(`${exp}.${name}: zeromq.js ${kind}, zmtp ${mine ?? "missing"}`)
  }
  return out
}

describe("zeromq.js 6.8's exports, in zmtp", () => {
  it("the export list is the one this test was written against (a new zeromq.js export fails here first)", () => {
    expect([...exportNames].sort()).toEqual(
      ["capability", "context", "curveKeyPair", "version", "Context", "Socket", "Observer", "Proxy", "Pair", "Publisher", "Subscriber", "Request", "Reply", "Dealer", "Router", "Pull", "Push", "XPublisher", "XSubscriber", "Stream"].sort(),
    )
  })

  for (const name of exportNames) {
    it(`${name}: exported, of the same type, with zeromq.js's properties of the same kind`, (ctx) => {
      if (ours[name] === undefined && addedByOtherBranches.includes(name)) {
        console.log(`exports.test.ts: ${name} is added by another branch of issue 17; skipped here`)
        return ctx.skip()
      }
      const t = theirs[name]
      const o = ours[name]
      expect(o, name).toBeDefined()
      expect(typeof o, name).toBe(typeof t)
      const differences: string[] = []
      if (typeof t === "function") {
        differences.push(...compare(name, statics(t), statics(o as object)))
        if ((t as { prototype?: object }).prototype) {
          const a = chainProperties((t as { prototype: object }).prototype)
          // A class (not curveKeyPair, a plain function): something to compare.
          if (/^[A-Z]/.test(name)) expect(a.size, `${name}'s prototype has something to compare`).toBeGreaterThan(0)
          differences.push(...compare(name, a, chainProperties((o as { prototype: object }).prototype)))
        }
      } else if (typeof t === "object" && t !== null) {
        // `context` (a Context) and `capability` (a plain object): own keys and the chain.
        for (const k of Object.keys(t)) if (!(k in (o as object))) differences.push(`${name}.${k}: missing`)
        differences.push(...compare(name, chainProperties(t), chainProperties(o as object)))
      }
      expect(differences).toEqual([])
    })
  }

  it("capability has zeromq.js's keys, each a boolean", () => {
    const c = ours.capability as Record<string, unknown>
    for (const k of Object.keys(theirs.capability as object)) expect(typeof c[k], k).toBe("boolean")
  })

  it("every documented difference names a real zeromq.js property (the list cannot go stale)", () => {
    for (const key of Object.keys(documentedDifferences)) {
      const [exp, prop] = key.split(".") as [string, string]
      const holders = exp === "*" ? exportNames : [exp]
      const found = holders.some((e) => {
        const t = theirs[e] as { prototype?: object } | undefined
        return t?.prototype !== undefined && chainProperties(t.prototype).has(prop)
      })
      expect(found, key).toBe(true)
    }
  })
})

/**
 * Options that cannot mean anything on Node's sockets: they exist, are accepted with the values
 * libzmq takes, read back as set, are documented as without effect, and change nothing (a socket
 * with all of them set still binds, connects and delivers).
 */
const MEANINGLESS: Record<string, number> = {
  affinity: 3,
  rate: 250,
  recoveryInterval: 5000,
  multicastHops: 4,
  multicastMaxTransportDataUnit: 1400,
  vmciBufferSize: 4096,
  vmciBufferMinSize: 1024,
  vmciBufferMaxSize: 8192,
  vmciConnectTimeout: 250,
}

describe("options without a meaning on Node: accepted, read back, ignored, documented", () => {
  it("each is set, read back, and documented in the README's no-effect row", () => {
    const row = readme.split("\n").find((l) => l.includes("accepted, checked as libzmq checks them, read back, **no effect**"))
    expect(row, "the README's no-effect row").toBeDefined()
    for (const [name, v] of Object.entries(MEANINGLESS)) {
      const s = track(new zmtp.Dealer({ [name]: v } as object)) as unknown as Record<string, unknown>
      expect(s[name], name).toBe(v)
      expect(row, name).toContain(`\`${name.startsWith("vmci") ? "vmci*" : name}\``)
    }
  })

  it("a socket with all of them set works as one without", async () => {
    const server = track(new zmtp.Router(MEANINGLESS as object))
    await server.bind("tcp://127.0.0.1:*")
    const client = track(new zmtp.Dealer(MEANINGLESS as object))
    client.connect(server.lastEndpoint!)
    await client.send("hello")
    const [, body] = await server.receive()
    expect(String(body)).toBe("hello")
  })
})
