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
 * One frame as a user may give it, as zeromq.js's `MessageLike`: bytes (a Buffer, any typed array or
 * DataView, an ArrayBuffer or SharedArrayBuffer), a string (sent as UTF-8), a number (sent as its
 * string form, "42"), or `null` (an empty frame). Any other value is sent as its string form, as
 * zeromq.js does.
 */
export type MessageLike = string | number | null | ArrayBufferView | ArrayBuffer | SharedArrayBuffer
/** A message: one frame or several. */
export type Message = MessageLike | readonly MessageLike[]

function toFrame(f: MessageLike): Buffer {
  if (typeof f === "string") return Buffer.from(f) // UTF-8, and a fresh buffer already
  if (Buffer.isBuffer(f)) return f
  // Any typed array or DataView: its bytes, as a view (no copy here; see the ownership note above).
  if (ArrayBuffer.isView(f)) return Buffer.from(f.buffer, f.byteOffset, f.byteLength)
  // An ArrayBuffer: a view of all of it. A SharedArrayBuffer too: zeromq.js's typings accept it, and
  // its bytes are what the caller means (zeromq.js 6.8 sends the string "[object SharedArrayBuffer]").
  if (f instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && f instanceof SharedArrayBuffer)) {
    return Buffer.from(f)
  }
  if (f === null) return Buffer.alloc(0)
  // zeromq.js sends every other value (numbers, booleans, objects) as its string form.
  return Buffer.from(String(f))
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
