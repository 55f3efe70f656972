/**
 * What `send()` accepts, and its conversion into frames.
 *
 * Ownership (as zeromq.js, whose outgoing message copies a frame of up to 128 octets and references a
 * larger one): a frame of at most {@link COPY_THRESHOLD} octets is copied before `send()` returns,
 * so the caller may reuse its buffer at once (`buf.writeUInt32BE(i); sock.send(buf)` in a loop
 * delivers each value). A larger frame is not copied: zmtp keeps a reference to the caller's memory
 * until the frame has been written to the transport, which may be long after `send()` resolved.
 *
 * The copy is made by the pipe's outbound queue as the message is queued (src/pipe/out-queue.ts),
 * where small messages are framed straight into a slab, or by {@link ownFrames} for a send that
 * must wait for room. {@link toFrames} itself only converts.
 */
import { Buffer } from "node:buffer"
import { zerr } from "../errors.js"
export { COPY_THRESHOLD, ownFrames } from "../pipe/out-queue.js"

/**
 * One frame as a user may give it. As in zeromq.js, any typed array or DataView is its bytes, null
 * is an empty frame, and a number (or anything else) is sent as its string form.
 */
export type MessageLike = string | Buffer | ArrayBufferView | ArrayBuffer | SharedArrayBuffer | number | null
/** A message: one frame or several. */
export type Message = MessageLike | readonly MessageLike[]

function toFrame(f: MessageLike): Buffer {
  if (typeof f === "string") return Buffer.from(f) // UTF-8, and a fresh buffer already
  if (Buffer.isBuffer(f)) return f
  if (ArrayBuffer.isView(f)) return Buffer.from(f.buffer, f.byteOffset, f.byteLength)
  // An ArrayBuffer: a view of all of it.
  if (f instanceof ArrayBuffer || f instanceof SharedArrayBuffer) return Buffer.from(f)
  if (f === null) return Buffer.alloc(0)
  // zeromq.js sends anything else as its string; a Symbol has none (the template throws the
  // TypeError zeromq.js throws, where String() would convert it).
  return Buffer.from(`${f as unknown as string}`)
}

/**
 * Converts what the user gave into frames; throws EINVAL for a missing message or an empty array. The frames may share the
 * caller's memory: whoever keeps them past the call takes ownership (a pipe's queue, or ownFrames).
 */
export function toFrames(msg: Message): Buffer[] {
  if (Array.isArray(msg)) {
    if (msg.length === 0) throw zerr("EINVAL", "a message needs at least one frame")
    const out = new Array<Buffer>(msg.length)
    for (let i = 0; i < msg.length; i++) out[i] = toFrame(msg[i] as MessageLike)
    return out
  }
  // A missing message is an error (zeromq.js: "Message must be present"); a missing part of a
  // multipart message is sent as "undefined", as zeromq.js does.
  if (msg === undefined) throw zerr("EINVAL", "a message must be present")
  return [toFrame(msg as MessageLike)]
}
