/**
 * Gathers the frames of many messages into few buffers for one corked write (writev): small frames
 * are copied into a pooled slab together with their headers; large bodies go out as their own
 * buffers, uncopied. The slab is only ever written forward, so a segment handed to the transport is
 * never overwritten.
 */
import { Buffer } from "node:buffer"
import { FLAG_MORE, headerSize, writeHeader } from "../codec/frame-encoder.js"
import type { PackedRun } from "../pipe/out-queue.js"

const SLAB_SIZE = 64 * 1024
/** Bodies up to this size are copied into the slab: cheaper than a separate writev entry. */
const COPY_LIMIT = 2048

export class BatchWriter {
  private slab = Buffer.allocUnsafe(SLAB_SIZE)
  private pos = 0
  private start = 0
  private segments: Buffer[] = []
  /** Octets gathered since the last {@link take}. */
  bytes = 0

  /** Adds every frame of a message. */
  addMessage(frames: readonly Buffer[]): void {
    const last = frames.length - 1
    for (let i = 0; i <= last; i++) {
      const body = frames[i]!
      const len = body.length
      const hs = headerSize(len)
      const flags = i < last ? FLAG_MORE : 0
      if (len <= COPY_LIMIT) {
        this.reserve(hs + len)
        this.pos = writeHeader(this.slab, this.pos, len, flags)
        if (len > 0) {
          // TypedArray#set: a little cheaper than Buffer#copy for the small bodies copied here.
          this.slab.set(body, this.pos)
          this.pos += len
        }
      } else {
        this.reserve(hs)
        this.pos = writeHeader(this.slab, this.pos, len, flags)
        this.cut()
        this.segments.push(body)
      }
      this.bytes += hs + len
    }
  }

  /** Adds a run of messages the pipe has already framed: copied with the batch when short, else one segment. */
  addPacked(run: PackedRun): void {
    const len = run.end - run.start
    if (len <= COPY_LIMIT) {
      this.reserve(len)
      this.pos += run.buf.copy(this.slab, this.pos, run.start, run.end)
      this.bytes += len
    } else {
      this.addRaw(run.bytes())
    }
  }

  /** Adds an already-encoded command frame. */
  addRaw(buf: Buffer): void {
    this.cut()
    this.segments.push(buf)
    this.bytes += buf.length
  }

  /** Returns the gathered segments and starts afresh. */
  take(): Buffer[] {
    this.cut()
    const s = this.segments
    this.segments = []
    this.bytes = 0
    return s
  }

  private cut(): void {
    if (this.pos > this.start) {
      this.segments.push(this.slab.subarray(this.start, this.pos))
      this.start = this.pos
    }
  }

  private reserve(n: number): void {
    if (this.slab.length - this.pos >= n) return
    this.cut()
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_SIZE, n))
    this.pos = 0
    this.start = 0
  }
}
