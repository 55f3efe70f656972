/**
 * Property-based interop: fast-check generates batches of multipart messages (frame counts and
 * sizes around the short/long boundary of RFC 23, empty frames, the odd large frame); each batch goes
 * subject DEALER -> libzmq ROUTER echo -> subject DEALER and must come back equal and in order.
 * The ROUTER echoes with the envelope, so every message makes the round trip routed by the routing
 * id libzmq assigned to the subject's connection (RFC 28, ROUTER "SHALL prepend ... identity").
 */
import fc from "fast-check"
import { expect, test } from "vitest"
import { frameDiff } from "./frames.js"
import { type PeerSocket } from "./peers.js"
import {
  SUBJECT_LABEL,
  TRANSPORTS,
  type SubjectSocket,
  bindEndpoint,
  closeAll,
  describeEachPeer,
  subjectReceive,
  subjectSend,
  subjectSocket,
} from "./subject.js"

/** Runs per transport, per peer (the brief asks for at least 500). */
const RUNS = 500

const toBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

const frame = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  // Bodies of 255 and 256 octets straddle the 1-octet / 8-octet size field switch.
  { weight: 3, arbitrary: fc.integer({ min: 250, max: 260 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 70_000 }) },
).map(toBuffer)

const message = fc.array(frame, { minLength: 1, maxLength: 12 })
const batch = fc.array(message, { minLength: 1, maxLength: 4 })

describeEachPeer("property: round trip through a libzmq ROUTER echo", (peer) => {
  for (const transport of TRANSPORTS) {
    test(`${RUNS} generated batches over ${transport}`, async () => {
      let echo: PeerSocket | undefined
      let dealer: SubjectSocket | undefined
      try {
        echo = await peer().socket("ROUTER")
        const endpoint = await echo.bind(bindEndpoint(transport))
        await echo.echo()
        dealer = await subjectSocket("DEALER")
        dealer.connect(endpoint)
        const sock = dealer
        let checked = 0
        await fc.assert(
          fc.asyncProperty(batch, async (messages) => {
            // The whole batch is in flight at once: ordering per connection must hold (RFC 28
            // DEALER/ROUTER deliver a peer's messages in order).
            for (const m of messages) await subjectSend(sock, m, "DEALER send")
            for (const m of messages) {
              const back = await subjectReceive(sock, "DEALER receive echo")
              const diff = frameDiff(back, m)
              if (diff !== null) throw new Error(`${SUBJECT_LABEL} -> ${peer().name} echo over ${transport}: ${diff}`)
            }
            checked++
          }),
          { numRuns: RUNS },
        )
        expect(checked).toBeGreaterThanOrEqual(RUNS)
      } finally {
        closeAll(dealer)
        await echo?.close()
      }
    }, 60_000)
  }
})
