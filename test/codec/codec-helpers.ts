/**
 * Shared helpers for the pure codec tests: hex vectors, the three chunkings DESIGN.md house rule 2
 * asks for (one chunk, byte by byte, split where fast-check chooses), a recording decoder sink, a
 * small reference model of RFC 23 framing, and an allocation guard around Buffer's allocators.
 */
import fc from "fast-check"
import { FrameDecoder, type DecoderLimits } from "../../src/codec/frame-decoder.js"
import type { ProtocolError } from "../../src/errors.js"

/** Every property the issue asks for runs at least this many times. */
export const RUNS = 10_000

/** Hex string (spaces and newlines ignored) to Buffer. */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex")
}

/** A body of `size` octets with a cheap, seed-dependent pattern (fast to build even above 64 KiB). */
export function patterned(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) b[i] = (seed + i * 31 + (i >>> 8)) & 0xff
  return b
}

/** Splits `buf` at the given cut points (taken modulo length + 1; duplicates give empty chunks). */
export function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const points = cuts.map((c) => c % (buf.length + 1)).sort((a, b) => a - b)
  const out: Buffer[] = []
  let prev = 0
  for (const p of points) {
    out.push(buf.subarray(prev, p))
    prev = p
  }
  out.push(buf.subarray(prev))
  return out
}

/** Every octet as its own chunk. */
export function bytewise(buf: Buffer): Buffer[] {
  const out: Buffer[] = new Array(buf.length)
  for (let i = 0; i < buf.length; i++) out[i] = buf.subarray(i, i + 1)
  return out
}

/** Cut points for {@link splitAt}: fast-check chooses how many and where. */
export const cutsArb = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 8 })

/**
 * House rule 2: the named chunkings of one test vector. The third uses cuts fast-check chose; callers
 * that test a fixed vector run {@link forEachChunking}, which also draws many such cuts.
 */
export function threeWays(buf: Buffer, cuts: readonly number[]): Array<[string, Buffer[]]> {
  return [
    ["one chunk", [buf]],
    ["byte by byte", bytewise(buf)],
    [`split at ${cuts.join(",")}`, splitAt(buf, cuts)],
  ]
}

/**
 * Runs `check` on a fixed vector as one chunk, byte by byte, and split at fast-check's points. A fixed
 * vector of a few dozen octets has few distinct splittings, so 1 000 draws cover it; the 10 000-run
 * rule is for the properties whose inputs are themselves random.
 */
export function forEachChunking(buf: Buffer, check: (chunks: Buffer[], how: string) => void, numRuns = 1_000): void {
  check([buf], "one chunk")
  check(bytewise(buf), "byte by byte")
  fc.assert(
    fc.property(cutsArb, (cuts) => {
      check(splitAt(buf, cuts), `split at ${cuts.join(",")}`)
    }),
    { numRuns },
  )
}

/** What a decoder hands to its sink, in order. */
export type DecodedEvent = { kind: "message"; frames: Buffer[] } | { kind: "command"; body: Buffer }

/** Describes the first difference between two event lists, or returns null when they are equal. */
export function diffEvents(actual: readonly DecodedEvent[], expected: readonly DecodedEvent[]): string | null {
  if (actual.length !== expected.length) return `${actual.length} events, expected ${expected.length}`
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!
    const e = expected[i]!
    if (a.kind !== e.kind) return `event ${i} is a ${a.kind}, expected a ${e.kind}`
    if (a.kind === "command" && e.kind === "command") {
      if (!a.body.equals(e.body)) return `command ${i} body ${a.body.toString("hex")} != ${e.body.toString("hex")}`
    } else if (a.kind === "message" && e.kind === "message") {
      if (a.frames.length !== e.frames.length) return `message ${i} has ${a.frames.length} frames, expected ${e.frames.length}`
      for (let j = 0; j < a.frames.length; j++) {
        if (!a.frames[j]!.equals(e.frames[j]!)) return `message ${i} frame ${j} differs (${a.frames[j]!.length} vs ${e.frames[j]!.length} octets)`
      }
    }
  }
  return null
}

/** Outcome of feeding a whole chunk list to a fresh decoder. */
export interface DecodeRun {
  events: DecodedEvent[]
  /** Every error `feed` returned, with the index of the chunk that returned it. */
  errors: Array<{ error: ProtocolError; chunk: number }>
  /** An exception that escaped `feed`, if any (there must never be one). */
  thrown: unknown
  decoder: FrameDecoder
}

/** Feeds `chunks` to a fresh decoder with a sink that records everything and never pushes back. */
export function decodeChunks(chunks: readonly Buffer[], limits: DecoderLimits): DecodeRun {
  const events: DecodedEvent[] = []
  const decoder = new FrameDecoder(
    {
      message: (frames) => {
        events.push({ kind: "message", frames })
      },
      command: (body) => {
        events.push({ kind: "command", body })
      },
    },
    limits,
  )
  const errors: DecodeRun["errors"] = []
  let thrown: unknown
  try {
    for (let c = 0; c < chunks.length; c++) {
      const err = decoder.feed(chunks[c]!)
      if (err !== undefined) errors.push({ error: err, chunk: c })
    }
  } catch (e) {
    thrown = e
  }
  return { events, errors, thrown, decoder }
}

/** No limit beyond what a Buffer can hold, as the decoder documents for -1. */
export const NO_LIMITS: DecoderLimits = { maxMessageSize: -1, maxCommandSize: -1 }

const MAX_BUFFER = 2 ** 31 - 1

/** What the reference model expects from a byte stream. */
export interface ModelResult {
  events: DecodedEvent[]
  /** The protocol error and the index of the octet whose arrival makes it certain. */
  error?: { code: "ERR_ZMTP_FRAME" | "ERR_ZMTP_MSGSIZE" | "ERR_ZMTP_UNEXPECTED_COMMAND"; at: number }
}

/**
 * A deliberately simple reference reading of RFC 23 "Framing" over the whole stream at once, with
 * sizes as BigInt so nothing is lost up to 2^64-1. Commands are handed on as they arrive (also between
 * the frames of a message, as the decoder does); a message only when its last frame is complete.
 */
export function modelDecode(bytes: Buffer, limits: DecoderLimits): ModelResult {
  const events: DecodedEvent[] = []
  let frames: Buffer[] = []
  let i = 0
  const n = bytes.length
  while (i < n) {
    const f = bytes[i]!
    // RFC 23: "Bits 7-3 are reserved for future use and MUST be zero."
    if (f & 0xf8) return { events, error: { code: "ERR_ZMTP_FRAME", at: i } }
    // RFC 23: MORE "SHALL be zero on command frames."
    if (f & 0x04 && f & 0x01) return { events, error: { code: "ERR_ZMTP_FRAME", at: i } }
    // Before the handshake completes only commands are allowed: a message frame is refused on its flags.
    if (!(f & 0x04) && limits.acceptMessages === false) return { events, error: { code: "ERR_ZMTP_UNEXPECTED_COMMAND", at: i } }
    i++
    let size: bigint
    if (f & 0x02) {
      if (i + 8 > n) break
      size = bytes.readBigUInt64BE(i)
      i += 8
    } else {
      if (i >= n) break
      size = BigInt(bytes[i]!)
      i += 1
    }
    const limit = f & 0x04 ? limits.maxCommandSize : limits.maxMessageSize
    if (size > BigInt(MAX_BUFFER) || (limit >= 0 && size > BigInt(limit))) {
      // Validate before allocate: the error is due on the last octet of the size field.
      return { events, error: { code: "ERR_ZMTP_MSGSIZE", at: i - 1 } }
    }
    const s = Number(size)
    if (i + s > n) break
    const body = bytes.subarray(i, i + s)
    i += s
    if (f & 0x04) events.push({ kind: "command", body })
    else {
      frames.push(body)
      if (!(f & 0x01)) {
        events.push({ kind: "message", frames })
        frames = []
      }
    }
  }
  return { events }
}

/** Index of the chunk that holds octet `at` of the concatenated stream. */
export function chunkHolding(chunks: readonly Buffer[], at: number): number {
  let end = 0
  for (let c = 0; c < chunks.length; c++) {
    end += chunks[c]!.length
    if (at < end) return c
  }
  return -1
}

type Allocator = "alloc" | "allocUnsafe" | "allocUnsafeSlow"

/**
 * Runs `fn` with Buffer.alloc, allocUnsafe, allocUnsafeSlow and concat wrapped so that the largest
 * size any of them was asked for is recorded. Restores the originals before returning.
 */
export function largestAllocation(fn: () => void): number {
  let largest = 0
  const B = Buffer as unknown as Record<Allocator | "concat", (...args: unknown[]) => unknown>
  const saved = { alloc: B.alloc, allocUnsafe: B.allocUnsafe, allocUnsafeSlow: B.allocUnsafeSlow, concat: B.concat }
  for (const name of ["alloc", "allocUnsafe", "allocUnsafeSlow"] as const) {
    const orig = saved[name]!
    B[name] = function (this: unknown, ...args: unknown[]) {
      const size = args[0]
      if (typeof size === "number" && size > largest) largest = size
      return orig.apply(this, args)
    }
  }
  B.concat = function (this: unknown, ...args: unknown[]) {
    const list = args[0] as readonly Uint8Array[]
    const total = typeof args[1] === "number" ? args[1] : list.reduce((s, b) => s + b.length, 0)
    if (total > largest) largest = total
    return saved.concat!.apply(this, args)
  }
  try {
    fn()
  } finally {
    Object.assign(B, saved)
  }
  return largest
}
