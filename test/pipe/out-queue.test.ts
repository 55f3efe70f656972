/**
 * The pipe's outbound queue (src/pipe/out-queue.ts) as a model-checked unit: for any interleaving
 * of pushes, shifts and clears, it gives back exactly what was queued, in order, counts messages,
 * and never writes over octets it handed out. The last point is what makes zero-copy runs safe: a
 * run the engine passed to the transport as a view may sit in Node's writable buffer (or, on
 * inproc, in the peer's received frames) long after the queue drained and took new messages.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { encodeMessage } from "../../src/codec/frame-encoder.js"
import { OutQueue, PackedRun } from "../../src/pipe/out-queue.js"

const RUNS = Number(process.env.FUZZ_RUNS ?? 300)

/**
 * Frame sizes: mostly small (packed), with the threshold (128, 129), the short/long boundary and
 * messages of many small frames, whose runs exceed the engine's 2 KiB copy limit and so reach the
 * transport as views into the queue's slab.
 */
const sizeArb = fc.oneof(
  { weight: 8, arbitrary: fc.nat(128) },
  { weight: 1, arbitrary: fc.constantFrom(0, 127, 128, 129, 255, 256, 3000) },
)
const messageArb = fc.oneof(
  { weight: 6, arbitrary: fc.array(sizeArb, { minLength: 1, maxLength: 4 }) },
  { weight: 2, arbitrary: fc.array(fc.integer({ min: 60, max: 128 }), { minLength: 20, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.array(fc.constant(0), { minLength: 2040, maxLength: 2060 }) },
)
type Op = { kind: "push"; sizes: number[] } | { kind: "shift"; n: number } | { kind: "clear" }
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: messageArb.map((sizes) => ({ kind: "push" as const, sizes })) },
  // Shifting more than is queued drains the queue: the case where it may drop or keep its slab.
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => ({ kind: "shift" as const, n })) },
  { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) },
)

describe("OutQueue", () => {
  it("gives back what was queued, in order, counted in messages, and never overwrites what it handed out", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), (ops) => {
        const q = new OutQueue()
        // The caller's one scratch buffer, reused for every small frame and scribbled after each push.
        const scratch = Buffer.alloc(16 * 1024)
        const queued: Buffer[] = [] // the model: each queued message's RFC 23 encoding
        const handedOut: { view: Buffer; was: Buffer }[] = []
        let serial = 0
        for (const op of ops) {
          if (op.kind === "push") {
            let off = 0
            const frames = op.sizes.map((n, k) => {
              const f = n <= 128 ? scratch.subarray(off, (off += n)) : Buffer.alloc(n)
              for (let j = 0; j < n; j++) f[j] = (serial * 31 + k * 7 + j) & 0xff
              return f
            })
            queued.push(encodeMessage(frames.map((f) => Buffer.from(f))))
            q.push(frames)
            scratch.fill(0xee)
            serial++
          } else if (op.kind === "shift") {
            for (let i = 0; i < op.n; i++) {
              const item = q.shift()
              if (item === undefined) {
                expect(queued.length).toBe(0)
                break
              }
              let wire: Buffer
              if (item instanceof PackedRun) {
                wire = item.bytes()
                expect(Buffer.concat(item.messages().map((m) => encodeMessage(m))).equals(wire)).toBe(true)
                handedOut.push({ view: wire, was: Buffer.from(wire) })
              } else {
                // Only messages were queued here (no SubscriptionItem).
                wire = encodeMessage(item as Buffer[])
                for (const f of item as Buffer[]) handedOut.push({ view: f, was: Buffer.from(f) })
              }
              const count = item instanceof PackedRun ? item.count : 1
              expect(wire.equals(Buffer.concat(queued.splice(0, count)))).toBe(true)
            }
          } else {
            q.clear()
            queued.length = 0
          }
          expect(q.length).toBe(queued.length)
          // Only a push writes into the slab.
          if (op.kind === "push") {
            for (const h of handedOut) if (!h.view.equals(h.was)) expect.fail("octets handed out were overwritten")
          }
        }
      }),
      { numRuns: RUNS },
    )
  })
})
