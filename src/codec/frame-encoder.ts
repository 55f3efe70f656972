/**
 * Frame encoding (RFC 23 "Framing"): flags octet, then a 1-octet size for bodies up to 255 octets or an
 * 8-octet network-order size above. Pure.
 */
import { Buffer } from "node:buffer"

/** Flag bit 0: more frames follow. */
export const FLAG_MORE = 0x01
/** Flag bit 1: 8-octet size. */
export const FLAG_LONG = 0x02
/** Flag bit 2: the frame is a command. */
export const FLAG_COMMAND = 0x04

/** Size of the header for a body of `size` octets. */
export function headerSize(size: number): number {
  return size > 255 ? 9 : 2
}

/**
 * Writes a frame header into `out` at `offset` and returns the new offset. The caller reserves
 * {@link headerSize} octets.
 */
export function writeHeader(out: Buffer, offset: number, size: number, flags: number): number {
  if (size > 255) {
    out[offset] = flags | FLAG_LONG
    // Two 32-bit halves: sizes stay below 2^53, as any Buffer does.
    out.writeUInt32BE(Math.floor(size / 0x100000000), offset + 1)
    out.writeUInt32BE(size >>> 0, offset + 5)
    return offset + 9
  }
  out[offset] = flags
  out[offset + 1] = size
  return offset + 2
}

/** Returns `[header, body]` for one frame; the body is not copied. */
export function encodeFrame(body: Buffer, more: boolean, command = false): [Buffer, Buffer] {
  const h = Buffer.allocUnsafe(headerSize(body.length))
  writeHeader(h, 0, body.length, (more ? FLAG_MORE : 0) | (command ? FLAG_COMMAND : 0))
  return [h, body]
}

/** Encodes a whole multipart message into one contiguous buffer (tests and small messages). */
export function encodeMessage(frames: readonly Buffer[]): Buffer {
  let total = 0
  for (const f of frames) total += headerSize(f.length) + f.length
  const out = Buffer.allocUnsafe(total)
  let o = 0
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!
    o = writeHeader(out, o, f.length, i < frames.length - 1 ? FLAG_MORE : 0)
    o += f.copy(out, o)
  }
  return out
}
