/** Message shapes and an exact, readable comparison of multipart messages. */
import { expect } from "vitest"

/** A named multipart message. */
export interface Shape {
  name: string
  frames: Buffer[]
}

function pattern(length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    // xorshift32: cheap bytes that differ at every offset, so a shifted or truncated body shows.
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    b[i] = x & 0xff
  }
  return b
}

/**
 * The shapes every pair exchanges. 255 and 256 sit on either side of the short/long frame boundary
 * (RFC 23, "A frame consists of a flags field (1 octet), followed by a size field (one octet or eight
 * octets)": bodies up to 255 octets use the 1-octet size, longer ones set LONG and the 8-octet size).
 */
export const SHAPES: readonly Shape[] = [
  { name: "one empty frame", frames: [Buffer.alloc(0)] },
  { name: "255-byte frame (largest short frame)", frames: [pattern(255, 255)] },
  { name: "256-byte frame (smallest long frame)", frames: [pattern(256, 256)] },
  { name: "1 MiB frame", frames: [pattern(1 << 20, 1 << 20)] },
  {
    name: "100 frames",
    // Sizes cycle through 0, the short/long boundary and odd lengths, so MORE flags are exercised on
    // empty, short and long frames alike.
    frames: Array.from({ length: 100 }, (_, i) => pattern([0, 1, 255, 256, 257, 7, 1000][i % 7]! + (i >> 3), i + 1)),
  },
  { name: "all 256 byte values", frames: [Buffer.from(Array.from({ length: 256 }, (_, i) => i))] },
]

/** The reply to a shape: the same frames with every byte complemented, so a reply never equals its request. */
export function replyTo(frames: Buffer[]): Buffer[] {
  return frames.map((f) => {
    const r = Buffer.allocUnsafe(f.length)
    for (let i = 0; i < f.length; i++) r[i] = ~f[i]! & 0xff
    return r
  })
}

/** null when equal, else where the first difference is (no megabyte dumps in a failure message). */
export function frameDiff(actual: readonly Buffer[], expected: readonly Buffer[]): string | null {
  if (actual.length !== expected.length) {
    return `frame count ${actual.length}, expected ${expected.length} (sizes ${actual
      .slice(0, 8)
      .map((f) => f.length)
      .join(",")}${actual.length > 8 ? ",..." : ""} vs ${expected
      .slice(0, 8)
      .map((f) => f.length)
      .join(",")}${expected.length > 8 ? ",..." : ""})`
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!
    const e = expected[i]!
    if (a.length !== e.length) return `frame ${i}: ${a.length} bytes, expected ${e.length}`
    const cmp = Buffer.compare(a, e)
    if (cmp !== 0) {
      let at = 0
      while (a[at] === e[at]) at++
      return `frame ${i}: first difference at byte ${at}: ${a
        .subarray(at, at + 8)
        .toString("hex")} vs ${e.subarray(at, at + 8).toString("hex")}`
    }
  }
  return null
}

/** Asserts `actual` equals `expected` frame by frame, failing with a labelled, compact description. */
export function assertFrames(actual: readonly Buffer[], expected: readonly Buffer[], what: string): void {
  expect(frameDiff(actual, expected), what).toBeNull()
}
