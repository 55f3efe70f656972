/**
 * Connection fuzzing over ws:// (issue 19 item 5), after fuzz.test.ts: each case opens one raw
 * WebSocket to a bound subject with a generated subprotocol offer and a generated sequence of
 * messages (valid READY commands or routing ids, frames with any flag octet, text messages, empty
 * messages, oversized frames, commands inside multipart messages). Invariants after each case:
 * - no uncaught exception or unhandled rejection;
 * - the subject never holds more than the good peer's pipe once the hostile connection is gone;
 * - the good peer, connected before any case, still exchanges messages with the subject (after
 *   whatever a hostile case that completed a valid handshake delivered, which is legitimate).
 *
 * FUZZ_RUNS (default 5,000 over all suites, here a tenth of it) and FUZZ_SEED as in fuzz.test.ts.
 */
import { Buffer } from "node:buffer"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as z from "../../src/index.js"
import { closeAll, sleep, until, within } from "../helpers.js"
import { closeRawPeers, rawZws, readyBody, zf } from "../transport/ws-helpers.js"

const RUNS = Math.max(20, Math.floor(Number(process.env.FUZZ_RUNS ?? 5000) / 10))
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)

const message = fc.oneof(
  fc.record({ flag: fc.integer({ min: 0, max: 255 }), body: fc.uint8Array({ maxLength: 64 }) }).map(({ flag, body }) => zf(flag, Buffer.from(body))),
  fc.constantFrom(zf(2, readyBody("DEALER", "")), zf(2, readyBody("PUB")), zf(0, "id"), zf(1, "more"), zf(2, "\x04PING\x00\x00"), zf(2, "\x05ERROR\x03bad"), Buffer.alloc(0)),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: 2000, max: 70_000 }).map((n) => zf(0, Buffer.alloc(n, 9))),
)
const offer = fc.constantFrom("ZWS2.0", "ZWS2.0/NULL", "ZWS2.0/NULL,ZWS2.0", "ZWS2.0, ZWS2.0/NULL")

describe("ws fuzz: DEALER subject with a good peer", () => {
  let subject: z.Dealer
  let good: z.Dealer
  const errors: unknown[] = []
  const onErr = (e: unknown) => errors.push(e)
  beforeAll(async () => {
    process.on("uncaughtException", onErr)
    process.on("unhandledRejection", onErr)
    subject = new z.Dealer({ maxMessageSize: 1000, linger: 0 })
    await subject.bind("ws://127.0.0.1:*/fuzz")
    good = new z.Dealer({ linger: 0 })
    good.connect(subject.lastEndpoint!)
    await until(() => subject.statistics.peers === 1)
  })
  afterAll(() => {
    process.off("uncaughtException", onErr)
    process.off("unhandledRejection", onErr)
    closeRawPeers()
    closeAll(subject, good)
  })

  /**
   * The good peer's message reaches the subject. A hostile case that completed a valid handshake may
   * have delivered messages of its own first (they are legitimate): those are skipped.
   */
  async function exchange(tag: string): Promise<void> {
    await good.send(tag)
    for (;;) {
      const m = await within(subject.receive(), 2000, `the good peer's ${tag}`)
      if (String(m[0]) === tag) return
    }
  }

  it("survives generated connections; the good peer is never disturbed", async () => {
    let n = 0
    const property = fc.asyncProperty(offer, fc.array(message, { maxLength: 12 }), async (protocols, msgs) => {
      let peer
      try {
        peer = await rawZws(subject.lastEndpoint!, protocols)
      } catch {
        return
      }
      for (const m of msgs) peer.ws.send(m, { binary: typeof m !== "string" })
      await sleep(5)
      peer.close()
      await within(peer.closed, 2000)
      await until(() => subject.statistics.queues.length === 1, 2000, "the hostile pipe gone")
      if (++n % 25 === 0) await exchange(`ping-${n}`)
    })
    await fc.assert(property, { numRuns: RUNS, seed: SEED, endOnFailure: false })
    await exchange("last")
    expect(subject.statistics.peers).toBe(1)
    expect(errors).toEqual([])
  }, 120_000)
})
