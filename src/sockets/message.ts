/** What `send()` accepts, and its conversion into frames. */
import { Buffer } from "node:buffer"
import { zerr } from "../errors.js"

/** One frame as a user may give it. */
export type MessageLike = string | Buffer | Uint8Array | ArrayBuffer
/** A message: one frame or several. */
export type Message = MessageLike | readonly MessageLike[]

function toFrame(f: MessageLike): Buffer {
  if (Buffer.isBuffer(f)) return f
  if (typeof f === "string") return Buffer.from(f)
  if (f instanceof Uint8Array) return Buffer.from(f.buffer, f.byteOffset, f.byteLength)
  if (f instanceof ArrayBuffer) return Buffer.from(f)
  throw zerr("EINVAL", "a frame must be a string, Buffer, Uint8Array or ArrayBuffer")
}

/** Converts what the user gave into frames; throws EINVAL for anything else. */
export function toFrames(msg: Message): Buffer[] {
  if (Array.isArray(msg)) {
    if (msg.length === 0) throw zerr("EINVAL", "a message needs at least one frame")
    const out = new Array<Buffer>(msg.length)
    for (let i = 0; i < msg.length; i++) out[i] = toFrame(msg[i] as MessageLike)
    return out
  }
  return [toFrame(msg as MessageLike)]
}
