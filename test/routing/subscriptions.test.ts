/**
 * The subscription structures (src/routing/subscriptions.ts) against naive models: a map scanned in
 * full for every message. Keys come from a tiny alphabet so that prefixes share, split and merge
 * often (the path-compression cases).
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  CountedSubscriptions,
  MAX_PEER_SUBSCRIPTIONS,
  MAX_PEER_SUBSCRIPTION_OCTETS,
  PeerSubscriptions,
  PrefixTrie,
} from "../../src/routing/subscriptions.js"

const key = fc.uint8Array({ minLength: 0, maxLength: 5 }).map((a) => Buffer.from(a.map((b) => 0x61 + (b % 3))))
const hex = (b: Buffer) => b.toString("hex")
const isPrefix = (p: Buffer, d: Buffer) => p.length <= d.length && d.subarray(0, p.length).equals(p)

describe("PrefixTrie", () => {
  it("matches the naive model under any sequence of set/delete (get, prefixes of data, size, entries in byte order)", () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant("set" as const), k: key, v: fc.integer() }),
      fc.record({ t: fc.constant("del" as const), k: key }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(key, { minLength: 1, maxLength: 8 }), (ops, probes) => {
        const trie = new PrefixTrie<number>()
        const model = new Map<string, [Buffer, number]>()
        for (const o of ops) {
          if (o.t === "set") {
            trie.set(o.k, o.v)
            model.set(hex(o.k), [o.k, o.v])
          } else expect(trie.delete(o.k)).toBe(model.delete(hex(o.k)))
          expect(trie.size).toBe(model.size)
        }
        for (const d of [...probes, ...ops.map((o) => o.k)]) {
          expect(trie.get(d)).toBe(model.get(hex(d))?.[1])
          const want = [...model.values()].filter(([k]) => isPrefix(k, d)).sort((a, b) => a[0].length - b[0].length).map(([, v]) => v)
          const got: number[] = []
          trie.forEachPrefixOf(d, (v) => got.push(v))
          expect(got).toEqual(want)
          expect(trie.hasPrefixOf(d)).toBe(want.length > 0)
        }
        const entries = [...trie.entries()].map(([k, v]) => [hex(k), v])
        const sorted = [...model.values()].sort((a, b) => Buffer.compare(a[0], b[0])).map(([k, v]) => [hex(k), v])
        expect(entries).toEqual(sorted)
      }),
      { numRuns: 300 },
    )
  })

  it("the empty key is a prefix of everything, including the empty message", () => {
    const t = new PrefixTrie<string>()
    t.set(Buffer.alloc(0), "all")
    const got: string[] = []
    t.forEachPrefixOf(Buffer.alloc(0), (v) => got.push(v))
    t.forEachPrefixOf(Buffer.from([0, 1, 2]), (v) => got.push(v))
    expect(got).toEqual(["all", "all"])
  })

  it("keeps a copy of the key: changing the caller's buffer afterwards changes nothing", () => {
    const t = new PrefixTrie<number>()
    const k = Buffer.from("abc")
    t.set(k, 1)
    k[0] = 0x7a
    expect(t.get(Buffer.from("abc"))).toBe(1)
    expect(t.get(Buffer.from("zbc"))).toBeUndefined()
  })
})

describe("CountedSubscriptions (SUB side)", () => {
  it("counts: two adds of a prefix take two removes; the first add and the last remove report it", () => {
    const s = new CountedSubscriptions()
    expect(s.add(Buffer.from("x"))).toBe(true)
    expect(s.add(Buffer.from("x"))).toBe(false)
    expect(s.matches(Buffer.from("xy"))).toBe(true)
    expect(s.remove(Buffer.from("x"))).toBe(false)
    expect(s.matches(Buffer.from("xy"))).toBe(true)
    expect(s.remove(Buffer.from("x"))).toBe(true)
    expect(s.matches(Buffer.from("xy"))).toBe(false)
    expect(s.remove(Buffer.from("x"))).toBe(false)
    expect(s.remove(Buffer.from("never"))).toBe(false)
  })

  it("lists each distinct prefix once, in byte order", () => {
    const s = new CountedSubscriptions()
    for (const k of ["b", "a", "b", "", "ab"]) s.add(Buffer.from(k))
    expect(s.prefixes().map(String)).toEqual(["", "a", "ab", "b"])
  })
})

describe("PeerSubscriptions (PUB side)", () => {
  it("matches the naive model: a set of peers per prefix, libzmq's add/remove results, removePeer", () => {
    const peer = fc.constantFrom("p", "q", "r")
    const op = fc.oneof(
      fc.record({ t: fc.constant("add" as const), k: key, p: peer }),
      fc.record({ t: fc.constant("rm" as const), k: key, p: peer }),
      fc.record({ t: fc.constant("leave" as const), p: peer }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(key, { minLength: 1, maxLength: 8 }), (ops, probes) => {
        const s = new PeerSubscriptions<string>()
        const model = new Map<string, { k: Buffer; peers: Set<string> }>()
        for (const o of ops) {
          if (o.t === "add") {
            const e = model.get(hex(o.k))
            const want = !e ? "first" : e.peers.has(o.p) ? "duplicate" : "added"
            expect(s.add(o.k, o.p)).toBe(want)
            if (!e) model.set(hex(o.k), { k: o.k, peers: new Set([o.p]) })
            else e.peers.add(o.p)
          } else if (o.t === "rm") {
            const e = model.get(hex(o.k))
            const want = !e?.peers.has(o.p) ? "notFound" : e.peers.size === 1 ? "lastRemoved" : "valuesRemain"
            expect(s.remove(o.k, o.p)).toBe(want)
            e?.peers.delete(o.p)
            if (e && e.peers.size === 0) model.delete(hex(o.k))
          } else {
            const calls: [string, boolean][] = []
            s.removePeer(o.p, (k, last) => calls.push([hex(k), last]))
            const want = [...model.values()]
              .filter((e) => e.peers.has(o.p))
              .sort((a, b) => Buffer.compare(a.k, b.k))
              .map((e) => [hex(e.k), e.peers.size === 1] as [string, boolean])
            expect(calls).toEqual(want)
            for (const [h, e] of [...model]) {
              e.peers.delete(o.p)
              if (e.peers.size === 0) model.delete(h)
            }
          }
          expect(s.size).toBe(model.size)
        }
        for (const d of probes) {
          const got = new Set<string>()
          s.match(d, (p) => got.add(p))
          const want = new Set([...model.values()].filter((e) => isPrefix(e.k, d)).flatMap((e) => [...e.peers]))
          expect([...got].sort()).toEqual([...want].sort())
        }
      }),
      { numRuns: 300 },
    )
  })

  it(`a peer holds at most ${MAX_PEER_SUBSCRIPTIONS} prefixes; more are refused, others are not affected`, () => {
    const s = new PeerSubscriptions<string>()
    const k = (i: number) => Buffer.from(i.toString(36))
    for (let i = 0; i < MAX_PEER_SUBSCRIPTIONS; i++) expect(s.add(k(i), "greedy")).not.toBe("refused")
    expect(s.add(Buffer.from("#one-more"), "greedy")).toBe("refused")
    expect(s.countOf("greedy")).toBe(MAX_PEER_SUBSCRIPTIONS)
    expect(s.add(Buffer.from("#one-more"), "other")).toBe("first")
    // A refused subscription was never held.
    const got: string[] = []
    s.match(Buffer.from("#one-more"), (p) => got.push(p))
    expect(got).toEqual(["other"])
    // Room again after a remove.
    expect(s.remove(k(0), "greedy")).toBe("lastRemoved")
    expect(s.add(Buffer.from("#one-more"), "greedy")).toBe("added")
  })

  it(`a peer's prefixes add up to at most ${MAX_PEER_SUBSCRIPTION_OCTETS} octets`, () => {
    const s = new PeerSubscriptions<string>()
    const big = (c: number, n: number) => Buffer.alloc(n, c)
    expect(s.add(big(1, MAX_PEER_SUBSCRIPTION_OCTETS - 10), "p")).toBe("first")
    expect(s.add(big(2, 11), "p")).toBe("refused")
    expect(s.add(big(2, 10), "p")).toBe("first")
    expect(s.add(Buffer.alloc(0), "p")).toBe("first")
    expect(s.add(big(3, 1), "p")).toBe("refused")
  })
})
