/** OutcomeCache on its own, with a hand-driven clock: the count, byte and time bounds (issue 14, item 10). */
import { describe, expect, it } from "vitest"
import { ENTRY_OVERHEAD, OutcomeCache } from "../../src/rpc/outcome-cache.js"

const limits = { capacity: 1000, maxBytes: 1 << 30, ttl: 1_000_000 }

function clock() {
  let t = 0
  return { now: () => t, advance: (ms: number) => void (t += ms) }
}

describe("OutcomeCache", () => {
  it("keeps at most `capacity` finished outcomes, oldest out first; running ones are never evicted", () => {
    const cache = new OutcomeCache({ ...limits, capacity: 3 })
    const finish = ["a", "b", "c", "d"].map((id) => cache.begin(id))
    // Nothing finished yet: all four are there for retries to wait on.
    for (const id of ["a", "b", "c", "d"]) expect(cache.get(id)?.reply).toBeUndefined()
    expect(["a", "b", "c", "d"].every((id) => cache.get(id) !== undefined)).toBe(true)
    finish.forEach((f, i) => f(Buffer.from([i])))
    cache.begin("e")(Buffer.from([9]))
    expect(cache.size).toBe(3)
    expect(cache.get("a")).toBeUndefined()
    expect(cache.get("b")).toBeUndefined()
    expect(cache.get("e")?.reply).toEqual(Buffer.from([9]))
    const off = new OutcomeCache({ ...limits, capacity: 0 })
    off.begin("x")(Buffer.alloc(1))
    expect(off.get("x")).toBeUndefined()
  })

  it("keeps at most `maxBytes`, counting each entry's overhead too", () => {
    const maxBytes = 16 * (1000 + ENTRY_OVERHEAD)
    const cache = new OutcomeCache({ ...limits, maxBytes })
    for (let i = 0; i < 100; i++) cache.begin(`k${i}`)(Buffer.alloc(1000, i))
    expect(cache.bytes).toBeLessThanOrEqual(maxBytes)
    expect(cache.size).toBe(16)
    expect(cache.get("k83")).toBeUndefined()
    expect(cache.get("k84")?.reply?.[0]).toBe(84)
    expect(cache.get("k99")?.reply?.[0]).toBe(99)
    // Tiny replies count their overhead: 1-byte replies do not make the count unbounded by bytes.
    const tiny = new OutcomeCache({ ...limits, maxBytes: 10 * (1 + ENTRY_OVERHEAD) })
    for (let i = 0; i < 100; i++) tiny.begin(`t${i}`)(Buffer.alloc(1))
    expect(tiny.size).toBe(10)
  })

  it("does not keep a reply larger than maxBytes / 16, but its waiters still get it", async () => {
    const cache = new OutcomeCache({ ...limits, maxBytes: 16_000 })
    expect(cache.maxEntryBytes).toBe(1000)
    const finish = cache.begin("big")
    const waiting = cache.get("big")!.done
    finish(Buffer.alloc(1001))
    expect((await waiting).length).toBe(1001)
    expect(cache.get("big")).toBeUndefined()
    cache.begin("fits")(Buffer.alloc(1000))
    expect(cache.get("fits")?.reply?.length).toBe(1000)
  })

  it("forgets an outcome `ttl` ms after it finished", () => {
    const c = clock()
    const cache = new OutcomeCache({ ...limits, ttl: 100 }, c.now)
    const slow = cache.begin("slow")
    cache.begin("a")(Buffer.from("a"))
    c.advance(60)
    cache.begin("b")(Buffer.from("b"))
    // "slow" started first but finishes now: its time to live starts now.
    slow(Buffer.from("s"))
    c.advance(39)
    expect(cache.size).toBe(3)
    c.advance(1)
    expect(cache.get("a")).toBeUndefined()
    expect(cache.get("b")?.reply).toEqual(Buffer.from("b"))
    c.advance(59)
    expect(cache.get("slow")?.reply).toEqual(Buffer.from("s"))
    c.advance(1)
    expect(cache.get("b")).toBeUndefined()
    expect(cache.get("slow")).toBeUndefined()
    expect([cache.size, cache.bytes]).toEqual([0, 0])
    cache.clear()
  })

  it("keeps a copy of its own, not the slice of msgpackr's shared buffer it was given", () => {
    const cache = new OutcomeCache(limits)
    const shared = Buffer.alloc(4 * 1024 * 1024)
    const reply = shared.subarray(100, 110).fill(5)
    cache.begin("x")(reply)
    const kept = cache.get("x")!.reply!
    expect(kept).toEqual(reply)
    expect(kept.buffer).not.toBe(shared.buffer)
    expect(kept.buffer.byteLength).toBe(10)
    cache.clear()
  })
})
