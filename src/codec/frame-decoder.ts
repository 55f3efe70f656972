/**
 * Frame decoder (RFC 23 "Framing"): a state machine over incoming chunks. Pure: no I/O, no timers.
 *
 * - Bodies that lie inside one chunk are handed out as views (see view.ts), never copied; a body that
 *   spans chunks is gathered part by part and joined once (one copy), so memory grows only as fast as
 *   the peer really sends, whatever size it declared.
 * - Every declared size is checked against the limit before anything is buffered (validate before
 *   allocate; the CVE-2019-6250 class), and reserved flag bits must be zero.
 * - While message frames are refused (before the handshake completes), one fails the decoder on its
 *   flags octet, before its size or body is read.
 * - A protocol violation makes `feed` return exactly one {@link ProtocolError}; the decoder then
 *   ignores all further input. It never throws.
 */
import { Buffer } from "node:buffer"
import { ProtocolError } from "../errors.js"
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE } from "./frame-encoder.js"
import { FastView, view } from "./view.js"

/** Receives what the decoder finds. */
export interface DecoderSink {
  /**
   * A whole multipart message. Return `false` to make the decoder stop after this message and keep
   * the rest of the chunk until {@link FrameDecoder.resume} (back-pressure: the receive queue is full).
   */
  message(frames: Buffer[]): boolean | void
  /** A command frame's body (name-size, name, data). */
  command(body: Buffer): void
}

/** Limits the decoder enforces. */
export interface DecoderLimits {
  /** Largest message frame body in octets, or -1 for no limit beyond what a Buffer can hold. */
  maxMessageSize: number
  /** Largest command body in octets. */
  maxCommandSize: number
  /**
   * False refuses message frames: the first one fails the decoder with ERR_ZMTP_UNEXPECTED_COMMAND on
   * its flags octet, so nothing of it is buffered. RFC 23 has only commands before the handshake
   * completes; the engine sets this until then and lifts it (on the same object) once it has.
   * Undefined accepts them.
   */
  acceptMessages?: boolean
}

const enum State {
  Flags,
  ShortSize,
  LongSize,
  Body,
  Failed,
}

const MAX_BUFFER = 2 ** 31 - 1 // keep below buffer.constants.MAX_LENGTH on every Node version

/** Default limit for a command body: 1 MiB is far above any handshake or heartbeat command. */
export const DEFAULT_MAX_COMMAND_SIZE = 1 << 20

/**
 * Limit for a command before the handshake completes, when the peer is not yet authenticated:
 * 64 KiB is far above any greeting-phase command (READY and INITIATE carry a few metadata
 * properties), and 200 peers each holding one such frame cost us 12.5 MiB, not 200 MiB.
 */
export const HANDSHAKE_MAX_COMMAND_SIZE = 64 * 1024

/**
 * Most frames one message may have. Each frame costs an object whatever its size, so without a
 * bound a peer streaming empty MORE frames makes us hold ~50 times what it sends, and never
 * finishes the message (libzmq has no such limit; zmtp refuses such a message with ERR_ZMTP_MSGSIZE).
 */
export const MAX_MESSAGE_FRAMES = 4096

/** Parts of a spanning body smaller than this are copied together instead of kept as views. */
const SMALL_PART = 4096
/** Size of the buffer small parts are gathered in. */
const STAGE_SIZE = 16 * 1024

export class FrameDecoder {
  private state = State.Flags
  private flags = 0
  private size = 0
  private sizeBytes = Buffer.alloc(8)
  private sizeHave = 0
  /** Parts of a body that spans chunks. */
  private parts: Buffer[] = []
  private partsLen = 0
  /**
   * Gathers small parts of a spanning body (a peer trickling a frame in tiny chunks would otherwise
   * cost us a view and its chunk per few octets: hundreds of times what it sent).
   */
  private stage: Buffer | undefined
  private stageLen = 0
  /** Frames of the multipart message being received. */
  private frames: Buffer[] = []
  private pending: Buffer | undefined
  /** Chunks fed while paused, behind `pending`. */
  private held: Buffer[] = []
  /**
   * A frame put in front of every message (a ROUTER's routing id for this peer), so that the message
   * array is built once in its final shape.
   */
  prefix: Buffer | undefined
  /** The error that stopped the decoder, if any. */
  error: ProtocolError | undefined

  constructor(
    private readonly sink: DecoderSink,
    private readonly limits: DecoderLimits,
  ) {}

  /** True while the decoder holds input it stopped on because the sink asked it to. */
  get paused(): boolean {
    return this.pending !== undefined
  }

  /** Number of complete frames of a message still being received (a partial message is never delivered). */
  get partialFrames(): number {
    return this.frames.length - (this.frames.length > 0 && this.frames[0] === this.prefix ? 1 : 0)
  }

  /** Feeds a chunk. Returns the protocol error that stopped decoding, once; otherwise undefined. */
  feed(chunk: Buffer): ProtocolError | undefined {
    if (this.state === State.Failed) return undefined
    if (this.pending) {
      // Still paused: keep order by queueing behind what is held (joined once, on resume).
      this.held.push(chunk)
      return undefined
    }
    return this.run(chunk)
  }

  /** Continues with input held since the sink asked to stop. */
  resume(): ProtocolError | undefined {
    let p = this.pending
    if (!p || this.state === State.Failed) return undefined
    if (this.held.length > 0) {
      p = Buffer.concat([p, ...this.held])
      this.held = []
    }
    this.pending = undefined
    return this.run(p)
  }

  private fail(code: "ERR_ZMTP_FRAME" | "ERR_ZMTP_MSGSIZE" | "ERR_ZMTP_UNEXPECTED_COMMAND", message: string): ProtocolError {
    this.state = State.Failed
    this.parts = []
    this.stage = undefined
    this.frames = []
    this.pending = undefined
    this.held = []
    this.error = new ProtocolError(code, message)
    return this.error
  }

  private run(chunk: Buffer): ProtocolError | undefined {
    const n = chunk.length
    // Read once per chunk, not once per frame: the fast path builds each view from these.
    const ab = chunk.buffer
    const base = chunk.byteOffset
    let i = 0
    while (i < n) {
      switch (this.state) {
        case State.Flags: {
          // Fast path: a whole message frame, short or long, with its header inside this chunk (the
          // common case). Anything else, and every error, takes the state machine below.
          const f0 = chunk[i]!
          if ((f0 & ~(FLAG_MORE | FLAG_LONG)) === 0 && this.limits.acceptMessages !== false) {
            let size = -1
            let start = 0
            if ((f0 & FLAG_LONG) === 0) {
              if (i + 1 < n) {
                size = chunk[i + 1]!
                start = i + 2
              }
            } else if (i + 9 <= n && (chunk[i + 1]! | chunk[i + 2]! | chunk[i + 3]! | chunk[i + 4]!) === 0 && chunk[i + 5]! < 0x80) {
              // Below 2^31: the high word is zero and the low word's top bit clear.
              size = ((chunk[i + 5]! << 24) | (chunk[i + 6]! << 16) | (chunk[i + 7]! << 8) | chunk[i + 8]!) >>> 0
              start = i + 9
            }
            const end = start + size
            if (size >= 0 && end <= n && (this.limits.maxMessageSize < 0 || size <= this.limits.maxMessageSize)) {
              const body = FastView ? new FastView(ab, base + start, size) : chunk.subarray(start, end)
              i = end
              const last = (f0 & FLAG_MORE) === 0
              if (last && this.frames.length === 0) {
                // A single-frame message: an exactly sized array, not a growable one.
                const msg = this.prefix ? [this.prefix, body] : [body]
                if (this.sink.message(msg) === false) return this.stopAt(chunk, i)
                break
              }
              if (this.frames.length >= MAX_MESSAGE_FRAMES) return this.tooManyFrames()
              if (this.frames.length === 0 && this.prefix) this.frames.push(this.prefix)
              this.frames.push(body)
              if (last) {
                const msg = this.frames
                this.frames = []
                if (this.sink.message(msg) === false) return this.stopAt(chunk, i)
              }
              break
            }
          }
          const f = chunk[i++]!
          if (f & 0xf8) return this.fail("ERR_ZMTP_FRAME", `reserved flag bits set (0x${f.toString(16)})`)
          if (f & FLAG_COMMAND && f & FLAG_MORE) return this.fail("ERR_ZMTP_FRAME", "MORE flag set on a command frame")
          if (!(f & FLAG_COMMAND) && this.limits.acceptMessages === false) {
            return this.fail("ERR_ZMTP_UNEXPECTED_COMMAND", "message frame before the handshake completed")
          }
          this.flags = f
          this.sizeHave = 0
          this.state = f & FLAG_LONG ? State.LongSize : State.ShortSize
          break
        }
        case State.ShortSize: {
          const err = this.startBody(chunk[i++]!)
          if (err) return err
          if (this.size === 0 && this.emit(Buffer.alloc(0))) return this.stopAt(chunk, i)
          break
        }
        case State.LongSize: {
          const take = Math.min(8 - this.sizeHave, n - i)
          chunk.copy(this.sizeBytes, this.sizeHave, i, i + take)
          this.sizeHave += take
          i += take
          if (this.sizeHave < 8) break
          const hi = this.sizeBytes.readUInt32BE(0)
          const lo = this.sizeBytes.readUInt32BE(4)
          // Anything at or above 2^31 is refused before any arithmetic could lose precision.
          if (hi !== 0 || lo > MAX_BUFFER) {
            return this.fail("ERR_ZMTP_MSGSIZE", `frame declares ${hi * 2 ** 32 + lo} octets, above any limit`)
          }
          const err = this.startBody(lo)
          if (err) return err
          if (this.size === 0 && this.emit(Buffer.alloc(0))) return this.stopAt(chunk, i)
          break
        }
        case State.Body: {
          const want = this.size - this.partsLen
          const avail = n - i
          if (this.partsLen === 0 && avail >= want) {
            // Whole body inside this chunk: a view, no copy.
            const body = view(chunk, i, i + want)
            i += want
            if (this.emit(body)) return this.stopAt(chunk, i)
          } else if (avail >= want) {
            this.addPart(chunk, i, i + want)
            i += want
            const body = this.takeBody()
            if (this.emit(body)) return this.stopAt(chunk, i)
          } else {
            this.addPart(chunk, i, n)
            this.partsLen += avail
            i = n
          }
          break
        }
        default:
          return undefined
      }
    }
    return undefined
  }

  private startBody(size: number): ProtocolError | undefined {
    const command = (this.flags & FLAG_COMMAND) !== 0
    const limit = command ? this.limits.maxCommandSize : this.limits.maxMessageSize
    if (limit >= 0 && size > limit) {
      return this.fail("ERR_ZMTP_MSGSIZE", `${command ? "command" : "frame"} of ${size} octets exceeds the limit of ${limit}`)
    }
    this.size = size
    this.partsLen = 0
    this.state = State.Body
    return undefined
  }

  /** Hands a finished frame on. Returns true when the sink asked to stop. */
  private emit(body: Buffer): boolean {
    this.state = State.Flags
    const flags = this.flags
    if (flags & FLAG_COMMAND) {
      this.sink.command(body)
      return false
    }
    if (this.frames.length >= MAX_MESSAGE_FRAMES) {
      this.tooManyFrames()
      return true
    }
    if (this.frames.length === 0 && this.prefix) this.frames.push(this.prefix)
    this.frames.push(body)
    if (flags & FLAG_MORE) return false
    const msg = this.frames
    this.frames = []
    return this.sink.message(msg) === false
  }

  private tooManyFrames(): ProtocolError {
    return this.fail("ERR_ZMTP_MSGSIZE", `message has more than ${MAX_MESSAGE_FRAMES} frames`)
  }

  /**
   * Keeps octets [from, to) of `chunk` as part of a spanning body: a large part as a view (Node hands
   * each 'data' chunk over for good, so nothing reuses it), a small one copied into the stage.
   */
  private addPart(chunk: Buffer, from: number, to: number): void {
    const len = to - from
    if (len >= SMALL_PART) {
      this.flushStage()
      this.parts.push(view(chunk, from, to))
      return
    }
    if (!this.stage || this.stageLen + len > this.stage.length) {
      this.flushStage()
      // Never more than has arrived of this body (validate before allocate: the peer may never send
      // what it declared), nor than it still lacks: stages grow with what arrives, up to STAGE_SIZE.
      // Its own memory, not a slice of Node's pool: a stage is kept until the body completes, and a
      // pool slice keeps the whole pool (Buffer.poolSize is 64 KiB on Node 24.22: seventeen pools,
      // 1.1 MB, for a 256 KiB body).
      this.stage = Buffer.allocUnsafeSlow(Math.max(len, Math.min(STAGE_SIZE, this.size - this.partsLen, this.partsLen + len)))
    }
    chunk.copy(this.stage, this.stageLen, from, to)
    this.stageLen += len
  }

  private flushStage(): void {
    if (this.stage && this.stageLen > 0) this.parts.push(this.stage.subarray(0, this.stageLen))
    this.stage = undefined
    this.stageLen = 0
  }

  /** The spanning body, joined once. */
  private takeBody(): Buffer {
    this.flushStage()
    const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size)
    this.parts = []
    this.partsLen = 0
    return body
  }

  private stopAt(chunk: Buffer, i: number): ProtocolError | undefined {
    // The sink's message, or a limit, may have stopped the decoder for good.
    if (this.state === State.Failed) return this.error
    if (i < chunk.length) this.pending = chunk.subarray(i)
    else this.pending = Buffer.alloc(0)
    return undefined
  }
}
