// Floods: un-awaited sends far past HWM to 1..3 Pulls, one of which never reads.
import { describe, expect, it } from "vitest"
import { Push, Pull } from "../src/index.js"
import { closeAll, sleep, until } from "../test/helpers.js"

describe("flood", () => {
  for (const n of [1, 2, 3]) {
    it(`Push -> ${n} Pulls, the first never reads`, async () => {
      const push = new Push({ sendHighWaterMark: 5 })
      await push.bind("tcp://127.0.0.1:*")
      const pulls = Array.from({ length: n }, () => new Pull({ receiveHighWaterMark: 5 }))
      for (const p of pulls) p.connect(push.lastEndpoint!)
      await until(() => (push as any).pipes.size === n || (push as any).pipes.length === n, 2000).catch(() => {})
      await sleep(100)
      const N = 2000
      const body = Buffer.alloc(64 * 1024)
      let resolved = 0
      const proms: Promise<void>[] = []
      for (let i = 0; i < N; i++) {
        const b = Buffer.alloc(8)
        b.writeUInt32BE(i)
        proms.push(push.send([b, body]).then(() => { resolved++ }))
      }
      const got: number[][] = pulls.map(() => [])
      const readers = pulls.slice(1).map(async (p, k) => {
        p.receiveTimeout = 500
        try {
          for (;;) { const [m] = await p.receive(); got[k + 1]!.push(m!.readUInt32BE(0)) }
        } catch {}
      })
      await Promise.all(readers)
      await sleep(200)
      const mem = process.memoryUsage().rss
      console.log(n, "resolved", resolved, "got", got.map((g) => g.length), "rss", mem >> 20)
      for (const g of got) for (let i = 1; i < g.length; i++) expect(g[i]).toBeGreaterThan(g[i - 1]!)
      const all = new Set(got.flat())
      expect(all.size).toBe(got.flat().length)
      if (n > 1) expect(resolved).toBe(N)
      // now the slow one reads
      pulls[0]!.receiveTimeout = 500
      try { for (;;) { const [m] = await pulls[0]!.receive(); got[0]!.push(m!.readUInt32BE(0)) } } catch {}
      for (let i = 1; i < got[0]!.length; i++) expect(got[0]![i]).toBeGreaterThan(got[0]![i - 1]!)
      console.log("after slow reads", got.map((g) => g.length), "resolved", resolved)
      const tot = got.flat()
      expect(new Set(tot).size).toBe(tot.length)
      expect(tot.length).toBe(N)
      closeAll(push, ...pulls)
    })
  }
  it("Pull flooded by 8 pushers: fairness of first 80 messages", async () => {
    const pull = new Pull({ receiveHighWaterMark: 10 })
    await pull.bind("tcp://127.0.0.1:*")
    const pushes = Array.from({ length: 8 }, () => new Push({ sendHighWaterMark: 10 }))
    for (const p of pushes) p.connect(pull.lastEndpoint!)
    const N = 2000
    const all: Promise<void>[] = []
    pushes.forEach((p, k) => { for (let i = 0; i < N; i++) all.push(p.send([String(k), String(i)])) })
    await sleep(500)
    const counts = new Array(8).fill(0)
    for (let i = 0; i < 800; i++) { const [k] = await pull.receive(); counts[+k!.toString()]++ }
    console.log("fair counts in first 800", counts)
    for (const c of counts) expect(c).toBeGreaterThan(40)
    closeAll(pull, ...pushes)
  })
})
