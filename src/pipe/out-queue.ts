/**
 * A pipe's outbound queue. It takes ownership of what it is given, as zeromq.js's outgoing message
 * does: a frame of up to {@link COPY_THRESHOLD} octets is copied, a larger one is referenced until
 * the engine has written it (zero-copy).
 *
 * The copy is made where it costs least. A message whose frames are all small is framed at once
 * (RFC 23 flags and size, then the body) into a slab the queue owns, and consecutive such messages
 * share one {@link PackedRun}: no Buffer object per frame or per message, and the engine hands a run
 * to the transport as one piece, so the copy that takes ownership is also the batching copy the
 * engine would have made. Other messages are queued as frame arrays, their small frames copied.
 *
 * Counts are in messages (high-water marks count messages, DESIGN "Back-pressure is explicit").
 */
import { Buffer } from "node:buffer"
import { FLAG_MORE } from "../codec/frame-encoder.js"
import { view } from "../codec/view.js"
import { Queue } from "./queue.js"

/**
 * Frames up to this many octets are copied when a message is sent; larger ones are referenced.
 * zeromq.js 6 uses the same figure (`zero_copy_threshold = 1U << 7U` in its outgoing_msg.cc).
 */
export const COPY_THRESHOLD = 128

/** A message packs only if its encoded size is at most this; a larger one keeps its frames. */
const PACK_LIMIT = 4096
/** First slab of a queue; each further slab is twice the last, up to {@link SLAB_MAX}. */
const SLAB_MIN = 256
const SLAB_MAX = 64 * 1024
/** Once drained, a queue gives up a slab larger than this, so an idle peer pins little memory. */
const SLAB_KEEP = 4096

/** Consecutive all-small messages, already framed: `buf[start, end)` holds `count` messages. */
export class PackedRun {
  constructor(
    readonly buf: Buffer,
    readonly start: number,
    public end: number,
    public count: number,
  ) {}

  /** The framed octets (a view, no copy). */
  bytes(): Buffer {
    return view(this.buf, this.start, this.end)
  }

  /** The messages, each frame a view into the run (for a writer that needs frames, such as CURVE's). */
  messages(): Buffer[][] {
    const out: Buffer[][] = []
    const b = this.buf
    let o = this.start
    let frames: Buffer[] = []
    while (o < this.end) {
      // Packed frames are at most COPY_THRESHOLD octets: always the short (1-octet size) form.
      const flags = b[o]!
      const size = b[o + 1]!
      frames.push(view(b, o + 2, o + 2 + size))
      o += 2 + size
      if ((flags & FLAG_MORE) === 0) {
        out.push(frames)
        frames = []
      }
    }
    return out
  }
}

/**
 * A subscription or its cancellation (RFC 29), queued in order with the messages around it. The
 * engine writes it in the form its peer takes: a SUBSCRIBE or CANCEL command to a ZMTP 3.1 peer, a
 * message of 0x01 or 0x00 and the topic to a 3.0 peer (as libzmq's encoders do).
 */
export class SubscriptionItem {
  constructor(
    readonly subscribe: boolean,
    /** The topic's octets, owned by the item. */
    readonly topic: Buffer,
  ) {}
}

/** An item of the queue: a message's frames, a run of packed messages, or a subscription. */
export type OutItem = Buffer[] | PackedRun | SubscriptionItem

/** A private copy of a small frame (`Buffer.allocUnsafe` takes sizes this small from Node's pool). */
function copySmall(f: Buffer): Buffer {
  const b = Buffer.allocUnsafe(f.length)
  b.set(f)
  return b
}

/**
 * Makes a message's small frames private (copied), in place, and returns it. For messages that must
 * wait before they reach a pipe (a send queued for room), so the caller may reuse its buffers at once.
 */
export function ownFrames(frames: Buffer[]): Buffer[] {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!
    if (f.length > 0 && f.length <= COPY_THRESHOLD) frames[i] = copySmall(f)
  }
  return frames
}

/**
 * A pipe's outbound queue (see the file header): {@link push} takes ownership of a message, the
 * engine takes items back with {@link shift}; {@link length} counts messages, a run each of its own.
 */
export class OutQueue {
  private readonly items = new Queue<OutItem>()
  /** Messages queued (a run counts each of its messages). */
  private count = 0
  /** The last item, when it is a run that may still grow (it ends where the slab's free space starts). */
  private tail: PackedRun | undefined
  private slab: Buffer | undefined
  private pos = 0
  private nextSlab = SLAB_MIN

  /** Messages queued. */
  get length(): number {
    return this.count
  }

  /** Queues a message, taking ownership as described above. */
  push(frames: Buffer[]): void {
    const n = frames.length
    let size = 0
    for (let i = 0; i < n; i++) {
      const len = frames[i]!.length
      if (len > COPY_THRESHOLD) {
        size = -1
        break
      }
      size += 2 + len
    }
    if (size < 0 || size > PACK_LIMIT) {
      this.items.push(ownFrames(frames))
      this.tail = undefined
    } else {
      this.pack(frames, size)
    }
    this.count++
  }

  /** Queues a subscription; it counts as one message. */
  pushSubscription(item: SubscriptionItem): void {
    this.items.push(item)
    this.tail = undefined
    this.count++
  }

  private pack(frames: Buffer[], size: number): void {
    let slab = this.slab
    if (slab === undefined || slab.length - this.pos < size) {
      slab = this.newSlab(size)
    }
    let o = this.pos
    const last = frames.length - 1
    for (let i = 0; i <= last; i++) {
      const f = frames[i]!
      const len = f.length
      slab[o] = i < last ? FLAG_MORE : 0
      slab[o + 1] = len
      o += 2
      if (len > 0) {
        slab.set(f, o)
        o += len
      }
    }
    const tail = this.tail
    if (tail !== undefined && tail.buf === slab && tail.end === this.pos) {
      tail.end = o
      tail.count++
    } else {
      const run = new PackedRun(slab, this.pos, o, 1)
      this.items.push(run)
      this.tail = run
    }
    this.pos = o
  }

  private newSlab(need: number): Buffer {
    // A slab only ever fills forward: octets handed to the engine are never overwritten.
    const size = Math.max(this.nextSlab, need)
    this.nextSlab = Math.min(SLAB_MAX, size * 2)
    const slab = Buffer.allocUnsafe(size)
    this.slab = slab
    this.pos = 0
    this.tail = undefined
    return slab
  }

  /** The oldest item, or undefined. */
  shift(): OutItem | undefined {
    const item = this.items.shift()
    if (item === undefined) return undefined
    if (item instanceof PackedRun) {
      this.count -= item.count
      if (item === this.tail) this.tail = undefined
    } else {
      this.count--
    }
    if (this.count === 0 && this.slab !== undefined && this.slab.length > SLAB_KEEP) {
      // The next burst starts at half this slab's size: a steady stream keeps large slabs, and a
      // peer sent one message at a time (request-reply) soon comes back to small ones.
      this.nextSlab = Math.max(SLAB_MIN, this.slab.length >> 1)
      this.slab = undefined
    }
    return item
  }

  /** Drops everything queued. */
  clear(): void {
    this.items.clear()
    this.count = 0
    this.tail = undefined
    this.slab = undefined
    this.nextSlab = SLAB_MIN
  }
}
