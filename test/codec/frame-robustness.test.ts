/**
 * Property (b) of the codec issue: any byte string fed to the frame decoder yields frames, or exactly
 * one typed ProtocolError (ERR_ZMTP_FRAME or ERR_ZMTP_MSGSIZE, or ERR_ZMTP_UNEXPECTED_COMMAND for a
 * message frame while they are refused), never an escaping exception and never
 * an allocation above the limits (DESIGN.md house rule 3, "validate before you allocate"; the
 * CVE-2019-6250 class, where a declared 64-bit size was trusted).
 *
 * The oracle is a small reference reading of RFC 23 framing (modelDecode in codec-helpers.ts): the
 * decoder must hand on the same frames and commands, fail with the same code, and fail on the very
 * chunk that holds the octet which makes the violation certain, i.e. before any body octet is waited
 * for.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { DecoderLimits } from "../../src/codec/frame-decoder.js"
import { encodeCommand } from "../../src/codec/command.js"
import { encodeMessage } from "../../src/codec/frame-encoder.js"
import { ProtocolError } from "../../src/errors.js"
import {
  RUNS,
  chunkHolding,
  cutsArb,
  decodeChunks,
  diffEvents,
  largestAllocation,
  modelDecode,
  threeWays,
  type DecodeRun,
} from "./codec-helpers.js"

const u8ToBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

/** Limits around the interesting points: none, tiny, the short/long boundary, 64 KiB, 2^31-1 and above. */
const limitArb = fc.oneof(
  fc.constantFrom(-1, 0, 1, 255, 256, 65_536, 2 ** 31 - 1, 2 ** 32),
  fc.integer({ min: 0, max: 600 }),
)
const limitsArb: fc.Arbitrary<DecoderLimits> = fc.record(
  { maxMessageSize: limitArb, maxCommandSize: limitArb, acceptMessages: fc.constantFrom(true, false, undefined) },
  { requiredKeys: ["maxMessageSize", "maxCommandSize"] },
)

/**
 * 64-bit sizes: anything up to 2^64-1, biased to the edges (the limits, 2^31, 2^32, 2^53, 2^63,
 * 2^64-1) where a decoder that does arithmetic in doubles or int32 goes wrong.
 */
const longSizeArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.constantFrom(0n, 1n, 255n, 256n, 600n, 601n, 65_536n, 65_537n),
  fc.constantFrom(2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 5n, 2n ** 53n - 1n, 2n ** 53n + 1n),
  fc.constantFrom(2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n),
)

/** Flag octets: mostly the legal ones, sometimes any octet (reserved bits, MORE on a command). */
const flagsArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x06) },
  { weight: 1, arbitrary: fc.nat(255) },
)

/**
 * Frame-shaped garbage: a flags octet, a short or long size that may or may not match, and a body of
 * unrelated length. Streams of these reach every state of the decoder.
 */
const frameishArb: fc.Arbitrary<Buffer> = fc
  .tuple(flagsArb, fc.boolean(), fc.nat(255), longSizeArb, fc.uint8Array({ maxLength: 40 }))
  .map(([flags, useLong, short, long, body]) => {
    let head: Buffer
    if (useLong) {
      head = Buffer.alloc(9)
      head[0] = flags | 0x02
      head.writeBigUInt64BE(long, 1)
    } else {
      head = Buffer.from([flags & ~0x02 & 0xff, short])
      // Keep the size honest half of the time so streams go on past this frame.
      if (short % 2 === 0) head[1] = body.length
    }
    return Buffer.concat([head, body])
  })

/** A valid prefix from the encoders. */
const validPrefixArb: fc.Arbitrary<Buffer> = fc
  .array(
    fc.oneof(
      fc.array(fc.uint8Array({ maxLength: 300 }).map(u8ToBuffer), { minLength: 1, maxLength: 3 }).map(encodeMessage),
      fc.tuple(fc.stringMatching(/^[A-Z]{1,8}$/), fc.uint8Array({ maxLength: 30 })).map(([n, d]) => encodeCommand(n, u8ToBuffer(d))),
    ),
    { maxLength: 3 },
  )
  .map((parts) => Buffer.concat(parts))

const streamArb: fc.Arbitrary<Buffer> = fc.oneof(
  // Plain random octets.
  fc.uint8Array({ maxLength: 64 }).map(u8ToBuffer),
  // A valid prefix followed by garbage.
  fc.tuple(validPrefixArb, fc.uint8Array({ maxLength: 32 })).map(([p, g]) => Buffer.concat([p, g])),
  // A valid prefix followed by frame-shaped garbage with random 64-bit sizes.
  fc.tuple(validPrefixArb, fc.array(frameishArb, { maxLength: 4 })).map(([p, fs]) => Buffer.concat([p, ...fs])),
  // Frame-shaped garbage alone.
  fc.array(frameishArb, { minLength: 1, maxLength: 5 }).map((fs) => Buffer.concat(fs)),
)

/**
 * Checks one decode run against the model; returns a description of the first problem, or null.
 * Plain code rather than expect(): it runs three times per case for 10 000 cases.
 */
function problem(run: DecodeRun, chunks: readonly Buffer[], stream: Buffer, limits: DecoderLimits, largest: number): string | null {
  const model = modelDecode(stream, limits)
  if (run.thrown !== undefined) return `an exception escaped feed(): ${String(run.thrown)}`
  const d = diffEvents(run.events, model.events)
  if (d) return `decoded events differ from the model: ${d}`
  if (!model.error) {
    if (run.errors.length !== 0) return `unexpected ${run.errors[0]!.error.code}: ${run.errors[0]!.error.message}`
  } else {
    if (run.errors.length !== 1) return `${run.errors.length} errors returned, expected exactly one ${model.error.code}`
    const { error, chunk } = run.errors[0]!
    if (!(error instanceof ProtocolError)) return "the error is not a ProtocolError"
    if (error.code !== model.error.code) return `${error.code}, expected ${model.error.code}`
    if (run.decoder.error !== error) return "decoder.error is not the error feed() returned"
    const due = chunkHolding(chunks, model.error.at)
    if (chunk !== due) return `error returned by chunk ${chunk}, due on chunk ${due} (octet ${model.error.at})`
  }
  // Delivered frames and commands stay within their limits.
  for (const ev of run.events) {
    if (ev.kind === "command" && limits.maxCommandSize >= 0 && ev.body.length > limits.maxCommandSize) return "command above limit"
    if (ev.kind === "message") {
      for (const f of ev.frames) if (limits.maxMessageSize >= 0 && f.length > limits.maxMessageSize) return "frame above limit"
    }
  }
  // Validate before allocate: nothing larger than a permitted frame, and nothing larger than what the
  // peer really sent, whatever size it declared.
  const permitted = Math.max(limits.maxMessageSize < 0 ? Infinity : limits.maxMessageSize, limits.maxCommandSize < 0 ? Infinity : limits.maxCommandSize)
  // (8 octets are always allowed: the decoder's scratch buffer for a long size field.)
  if (largest > Math.max(8, Math.min(permitted, stream.length))) return `allocated ${largest} octets (limit ${permitted}, input ${stream.length})`
  return null
}

describe("property (b): any input yields frames or exactly one typed ProtocolError", () => {
  it("random streams, valid prefixes plus garbage, and random 64-bit sizes, under the three chunkings", () => {
    fc.assert(
      fc.property(streamArb, limitsArb, cutsArb, (stream, limits, cuts) => {
        for (const [how, chunks] of threeWays(stream, cuts)) {
          let run: DecodeRun | undefined
          const largest = largestAllocation(() => {
            run = decodeChunks(chunks, limits)
          })
          const p = problem(run!, chunks, stream, limits, largest)
          if (p) throw new Error(`${how}: ${p}`)
          // Once failed, the decoder ignores everything after: no second error, no more frames.
          const after = run!.decoder.feed(Buffer.from([0, 0, 0, 1, 0x41]))
          if (run!.errors.length > 0 && (after !== undefined || run!.decoder.resume() !== undefined)) {
            throw new Error(`${how}: a failed decoder reported again`)
          }
        }
      }),
      { numRuns: RUNS },
    )
  })

  it("a long frame declaring any size from 2^31 up to 2^64-1 fails with ERR_ZMTP_MSGSIZE on its last size octet", () => {
    // RFC 23: "A long frame has a body of 0 to 2^63-1 octets." Even with no configured limit, a size
    // no Buffer can hold is refused before any body octet arrives.
    fc.assert(
      fc.property(fc.bigInt({ min: 2n ** 31n, max: 2n ** 64n - 1n }), fc.constantFrom(0x02, 0x03, 0x06), cutsArb, (size, flags, cuts) => {
        const frame = Buffer.alloc(9 + 4)
        frame[0] = flags
        frame.writeBigUInt64BE(size, 1)
        for (const [how, chunks] of threeWays(frame, cuts)) {
          let run: DecodeRun | undefined
          const largest = largestAllocation(() => {
            run = decodeChunks(chunks, { maxMessageSize: -1, maxCommandSize: -1 })
          })
          if (run!.thrown !== undefined) throw new Error(`${how}: exception escaped`)
          if (run!.errors.length !== 1 || run!.errors[0]!.error.code !== "ERR_ZMTP_MSGSIZE") throw new Error(`${how}: no MSGSIZE`)
          if (run!.errors[0]!.chunk !== chunkHolding(chunks, 8)) throw new Error(`${how}: error not on the last size octet`)
          if (largest > frame.length) throw new Error(`${how}: allocated ${largest}`)
          if (run!.events.length !== 0) throw new Error(`${how}: delivered something`)
        }
      }),
      { numRuns: RUNS },
    )
  })
})

describe("limit examples", () => {
  it("a frame one octet above maxMessageSize fails before its body arrives; one at the limit passes", () => {
    const limits = { maxMessageSize: 300, maxCommandSize: 16 }
    // Flags %x02 (LONG), size 301.
    const over = decodeChunks([Buffer.from("02000000000000012d", "hex")], limits)
    expect(over.errors.map((e) => e.error.code)).toEqual(["ERR_ZMTP_MSGSIZE"])
    const at = decodeChunks([Buffer.concat([Buffer.from("02000000000000012c", "hex"), Buffer.alloc(300, 1)])], limits)
    expect(at.errors).toEqual([])
    expect(at.events).toHaveLength(1)
  })

  it("maxCommandSize applies to command frames, maxMessageSize to message frames", () => {
    const limits = { maxMessageSize: 3, maxCommandSize: 6 }
    // %x04 size 6 "\x05READY" is exactly at the command limit; a 4-octet message frame is over its limit.
    const cmd = decodeChunks([Buffer.from("04060552454144590000", "hex")], limits)
    expect(cmd.errors).toEqual([])
    expect(cmd.events.map((e) => e.kind)).toEqual(["command", "message"])
    const msg = decodeChunks([Buffer.from("0004", "hex")], limits)
    expect(msg.errors.map((e) => e.error.code)).toEqual(["ERR_ZMTP_MSGSIZE"])
    const bigCmd = decodeChunks([Buffer.from("0407", "hex")], limits)
    expect(bigCmd.errors.map((e) => e.error.code)).toEqual(["ERR_ZMTP_MSGSIZE"])
  })

  it("2^64-1 declared, no limit configured: one ERR_ZMTP_MSGSIZE and nothing allocated beyond the input", () => {
    const input = Buffer.from("02ffffffffffffffff414243", "hex")
    let run: DecodeRun | undefined
    const largest = largestAllocation(() => {
      run = decodeChunks([input], { maxMessageSize: -1, maxCommandSize: -1 })
    })
    expect(run!.thrown).toBeUndefined()
    expect(run!.errors.map((e) => e.error.code)).toEqual(["ERR_ZMTP_MSGSIZE"])
    expect(run!.errors[0]!.error).toBeInstanceOf(ProtocolError)
    expect(largest).toBeLessThanOrEqual(input.length)
  })
})
