/**
 * Property tests of the pipeline (RFC 30) against a small model.
 *
 * Push: one PUSH connects to 1..3 PULLs (each bound at an endpoint it can bind again). Generated
 * actions issue bursts of sends without awaiting them, well past the send and receive high-water
 * marks (some of them big enough to fill the kernel buffers), let PULLs read a few messages, and
 * restart a PULL (close it, bind a new one at the same endpoint: a reconnect for the PUSH). The model:
 * "SHALL NOT discard messages that it cannot queue", so every send settles "ok" once the PULLs read;
 * each message reaches exactly one PULL, whole, and each PULL sees the PUSH's order (a pipe is FIFO);
 * the only messages that may be missing are ones issued before some PULL was closed (RFC 30: a PULL
 * that goes takes its queue with it, and so does what the PUSH wrote to it before it saw it go: a
 * restart waits for the PUSH's disconnect event before the model counts later sends as sure).
 *
 * Pull: 2..4 PUSHes each queue a burst at one PULL before it reads; then the PULL reads everything.
 * "SHALL receive incoming messages from its peers using a fair-queuing strategy": at every point of
 * the reading, two pushers that both still have messages waiting have had counts that differ by at
 * most one; each pusher's messages arrive once, whole, in its order.
 */
import * as fc from "fast-check"
import { afterEach, describe, expect, it } from "vitest"
import { Pull, Push } from "../../src/index.js"
import { cleanupIpc } from "../helpers.js"
import { bigBody, body, closeAll, freshEndpoint, modelRuns, seqOf, settled, track, transportArb, tryReceive, waitFor, whole, type Sock, type Tracked } from "./harness.js"

afterEach(cleanupIpc)

type Action = { k: "burst"; n: number; big: boolean } | { k: "read"; i: number; n: number } | { k: "restart"; i: number } | { k: "pause"; ms: number }

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ k: fc.constant("burst" as const), n: fc.integer({ min: 1, max: 15 }), big: fc.boolean() }),
  fc.record({ k: fc.constant("read" as const), i: fc.integer({ min: 0, max: 2 }), n: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ k: fc.constant("restart" as const), i: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ k: fc.constant("pause" as const), ms: fc.integer({ min: 0, max: 15 }) }),
)

const opts = { numRuns: modelRuns(), endOnFailure: true }
const TIMEOUT = Math.max(120_000, modelRuns() * 4000)

describe("pipeline model (RFC 30)", () => {
  it(
    "Push: every send settles ok (never dropped at the HWM), each message reaches exactly one Pull, whole and in order, across bursts and reconnects",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          transportArb,
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 3 }),
          fc.array(actionArb, { minLength: 1, maxLength: 20 }),
          async (t, hwm, n, actions) => {
            const all = new Set<Sock>()
            try {
              const push = new Push({ sendHighWaterMark: hwm })
              all.add(push as unknown as Sock)
              // Disconnects the PUSH has seen: a restart waits for its own.
              let disconnects = 0
              let handshakes = 0
              push.events.on("disconnect", () => disconnects++)
              push.events.on("handshake", () => handshakes++)
              const eps: string[] = []
              const pulls: Pull[] = []
              const bindPull = async (i: number) => {
                const p = new Pull({ receiveHighWaterMark: hwm })
                all.add(p as unknown as Sock)
                await p.bind(eps[i]!)
                pulls[i] = p
              }
              for (let i = 0; i < n; i++) {
                eps.push(await freshEndpoint(t))
                await bindPull(i)
                push.connect(eps[i]!)
              }
              // Every PULL connected: a restart then ends a connection the PUSH must see end.
              await waitFor(() => handshakes >= n, "the Push connected to every Pull")
              const sends: Tracked[] = []
              /** Index into `sends` at each restart: sends issued before it may be lost. */
              let lossBefore = 0
              /** tag -> the Pull incarnation that got it; per incarnation, the seqs in arrival order. */
              const got = new Map<string, number>()
              const perIncarnation: number[][] = []
              const incarnation: number[] = []
              for (let i = 0; i < n; i++) {
                incarnation[i] = perIncarnation.length
                perIncarnation.push([])
              }
              const take = (i: number, m: Buffer[]) => {
                const tag = whole(m)
                expect(got.has(tag), `${tag} delivered twice`).toBe(false)
                got.set(tag, incarnation[i]!)
                perIncarnation[incarnation[i]!]!.push(seqOf(tag))
              }
              let seq = 0
              for (const a of actions) {
                if (a.k === "burst") {
                  for (let j = 0; j < a.n; j++) {
                    const tag = `p${seq++}`
                    sends.push(track(push as unknown as Sock, a.big && j % 4 === 0 ? bigBody(tag) : body(tag, 1 + (seq % 3)), tag))
                  }
                } else if (a.k === "read") {
                  const i = a.i % n
                  for (let j = 0; j < a.n; j++) {
                    const m = await tryReceive(pulls[i] as unknown as Sock, 20)
                    if (!m) break
                    take(i, m)
                  }
                } else if (a.k === "restart") {
                  const i = a.i % n
                  const seen = disconnects
                  pulls[i]!.close()
                  // What the PUSH wrote to that connection before it saw it end is lost with the
                  // PULL (RFC 30: its queue goes with it); from the moment the PUSH has seen it, its
                  // pipe for the endpoint queues for the next connection, and nothing may be lost.
                  await waitFor(() => disconnects > seen, "the Push sees the Pull go")
                  lossBefore = sends.length
                  const joined = handshakes
                  await bindPull(i)
                  await waitFor(() => handshakes > joined, "the Push reconnects to the new Pull")
                  incarnation[i] = perIncarnation.length
                  perIncarnation.push([])
                } else {
                  await new Promise((r) => setTimeout(r, a.ms))
                }
              }
              // Drain: read from every Pull until every send settled and nothing more comes.
              let quiet = 0
              while (quiet < 3 || sends.some((s) => s.outcome === undefined)) {
                let any = false
                for (let i = 0; i < n; i++) {
                  const m = await tryReceive(pulls[i] as unknown as Sock, 30)
                  if (m) {
                    take(i, m)
                    any = true
                  }
                }
                quiet = any ? 0 : quiet + 1
              }
              await settled(sends)
              for (const s of sends) expect(s.outcome, `${s.tag} must be accepted, not dropped or refused`).toBe("ok")
              sends.forEach((s, k) => {
                if (k >= lossBefore) expect(got.has(s.tag), `${s.tag} (sent after the last restart) lost`).toBe(true)
              })
              for (const seqs of perIncarnation) expect(seqs, "a Pull sees the Push's order").toEqual([...seqs].sort((x, y) => x - y))
              expect(push.statistics.queues.every((q) => q.out === 0)).toBe(true)
            } finally {
              closeAll(all)
              cleanupIpc()
            }
          },
        ),
        opts,
      )
    },
    TIMEOUT,
  )

  it(
    "Pull: fair-queues its pushers (counts of two pushers with messages waiting never differ by more than one), each pusher's messages once, whole, in order",
    async () => {
      await fc.assert(
        fc.asyncProperty(transportArb, fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 2, maxLength: 4 }), async (t, bursts) => {
          const all = new Set<Sock>()
          try {
            const pull = new Pull()
            all.add(pull as unknown as Sock)
            const ep = await freshEndpoint(t)
            await pull.bind(ep)
            const pushes = bursts.map(() => {
              const p = new Push()
              all.add(p as unknown as Sock)
              p.connect(ep)
              return p
            })
            const sends: Tracked[] = []
            bursts.forEach((count, w) => {
              for (let j = 0; j < count; j++) sends.push(track(pushes[w] as unknown as Sock, body(`w${w}:${j}`, 1 + (j % 2)), `w${w}:${j}`))
            })
            await settled(sends)
            const total = bursts.reduce((a, b) => a + b, 0)
            // Everything is queued at the Pull before it reads a single message.
            await waitFor(() => pull.statistics.queues.reduce((a, q) => a + q.in, 0) === total, "all messages queued at the Pull")
            const taken = bursts.map(() => 0)
            for (let k = 0; k < total; k++) {
              const m = await tryReceive(pull as unknown as Sock, 1000)
              expect(m, `message ${k} of ${total}`).toBeDefined()
              const tag = whole(m!)
              const w = Number(/^w(\d+):/.exec(tag)![1])
              expect(seqOf(tag), `${tag}: pusher ${w}'s order`).toBe(taken[w])
              taken[w]!++
              const waiting = bursts.map((_, i) => i).filter((i) => taken[i]! < bursts[i]!)
              for (const i of waiting) {
                for (const j of waiting) expect(Math.abs(taken[i]! - taken[j]!), `fair: after ${tag}, pushers ${i} and ${j}`).toBeLessThanOrEqual(1)
              }
            }
            expect(taken).toEqual(bursts)
            expect(await tryReceive(pull as unknown as Sock, 50)).toBeUndefined()
          } finally {
            closeAll(all)
            cleanupIpc()
          }
        }),
        opts,
      )
    },
    TIMEOUT,
  )
})
