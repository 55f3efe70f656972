/**
 * The raw engine: one per connection of a STREAM socket (libzmq's ZMQ_STREAM, its raw_engine).
 * The peer is a plain TCP program, not ZeroMQ: there is no greeting, no handshake and no framing.
 * Each chunk of bytes read becomes one message `[routing id, bytes]`; each message the socket
 * queues is written as its bytes. It serves one pipe as the ZMTP engine (engine.ts) does, with the
 * same budgets (DESIGN "Budgets, not hopes"): the inbound queue's high-water mark pauses reading,
 * and output waits for 'drain' past the write budget.
 */
import { Buffer } from "node:buffer"
import type { Socket as NetSocket } from "node:net"
import type { Metadata } from "../codec/command.js"
import { ZmtpError } from "../errors.js"
import type { Pipe, PipeEngine } from "../pipe/pipe.js"
import { PackedRun, SubscriptionItem } from "../pipe/out-queue.js"

/** Settings a raw engine takes from its socket. */
export interface RawEngineOptions {
  /** ZMQ_STREAM_NOTIFY: an empty message when the connection is made and when the peer leaves. */
  notify: boolean
}

/** What the raw engine reports to its socket: the same calls as the ZMTP engine's host makes. */
export interface RawEngineHost {
  /** The connection is up (at once: no handshake). Returns the pipe to attach, or an error that refuses it. */
  engineReady(engine: RawEngine, peer: Metadata): Pipe | ZmtpError
  /** The connection is gone. A raw connection never completes a handshake, as libzmq reports it. */
  engineClosed(engine: RawEngine, error: ZmtpError | undefined, handshaken: boolean): void
}

/** Bytes the transport may buffer before output waits for 'drain' (as engine.ts). */
const WRITE_BUDGET = 256 * 1024
/**
 * Largest message a read becomes. libzmq's raw decoder hands out at most its read buffer,
 * ZMQ_IN_BATCH_SIZE (8192 octets), per message; a larger chunk from Node is cut into views of it
 * (no copy), so the inbound queue's high-water mark bounds what a peer makes us hold.
 */
export const RAW_CHUNK = 8192
const EMPTY = Buffer.alloc(0)
/** ms a graceful end waits for the peer to close its side after ours. */
const END_GRACE = 1000
const NO_METADATA: Metadata = new Map()

export class RawEngine implements PipeEngine {
  private pipe: Pipe | undefined
  private closedFlag = false
  /** True once it is attached to a pipe (the raw equivalent of a completed handshake). */
  private attached = false
  /** Set by {@link finish}: what is queued is written out, then our side ends; nothing more is read. */
  private finishing = false
  private ended = false
  private flushScheduled = false
  private waitingDrain = false
  private resumeScheduled = false
  /** The part of the last chunk not delivered yet (the inbound queue reached its high-water mark). */
  private held: Buffer | undefined
  private readingHeld = false
  private timer: NodeJS.Timeout | undefined
  private flushWaiters: (() => void)[] = []
  /** Octets received and sent on this connection. */
  bytesIn = 0
  bytesOut = 0

  constructor(
    private readonly socket: NetSocket,
    private readonly opts: RawEngineOptions,
    private readonly host: RawEngineHost,
    /** The endpoint this connection belongs to, for events. */
    readonly address: string,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk))
    // The peer's FIN or a reset: the connection is over (libzmq's raw engine treats both as an error).
    socket.on("end", () => this.peerLeft())
    socket.on("error", () => this.peerLeft())
    socket.on("close", () => this.peerLeft())
    socket.on("drain", () => {
      this.waitingDrain = false
      this.flush()
    })
  }

  /**
   * Attaches the connection to its pipe. Called by the socket once it has registered this engine,
   * never from the constructor, so that the host knows the engine before it hears from it.
   */
  start(): void {
    if (this.closedFlag) return
    const res = this.host.engineReady(this, NO_METADATA)
    if (res instanceof ZmtpError) {
      this.close(res)
      return
    }
    // A listener of the socket's events may have closed it meanwhile.
    if (this.closedFlag) return
    this.pipe = res
    this.attached = true
    res.engine = this
    // libzmq's raw engine announces a new connection with an empty message (ZMQ_STREAM_NOTIFY).
    if (this.opts.notify) this.deliver(EMPTY)
    if (res.out.length > 0) this.kick()
  }

  /** True once attached and until the connection closes. */
  get ready(): boolean {
    return this.attached && !this.closedFlag
  }

  /** The pipe this engine serves, once attached. */
  get attachedPipe(): Pipe | undefined {
    return this.pipe
  }

  // ---- input ---------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length
    if (this.closedFlag || this.finishing || !this.pipe) return
    this.feed(chunk)
  }

  /** Hands `chunk` to the pipe in messages of at most RAW_CHUNK octets, until the queue is full. */
  private feed(chunk: Buffer): void {
    let at = 0
    while (at < chunk.length) {
      const end = Math.min(chunk.length, at + RAW_CHUNK)
      const room = this.deliver(chunk.subarray(at, end))
      at = end
      if (!room) break
    }
    this.held = at < chunk.length ? chunk.subarray(at) : undefined
    this.updateReading(this.held !== undefined || this.full)
  }

  /** True while the inbound queue is at its high-water mark (the last delivery said so). */
  private full = false

  private deliver(bytes: Buffer): boolean {
    const pipe = this.pipe!
    // Each message gets its own copy of the id (a few octets, from Node's pool): what receive()
    // hands out is the application's, and changing it must not rename later messages.
    const id = pipe.inboundPrefix
    const ok = pipe.deliver([id ? Buffer.from(id) : EMPTY, bytes])
    this.full = !ok
    return ok
  }

  /** Pauses the transport while the inbound queue is full; only a change is passed on. */
  private updateReading(hold: boolean): void {
    if (hold === this.readingHeld || this.closedFlag) return
    this.readingHeld = hold
    if (hold) this.socket.pause()
    else this.socket.resume()
  }

  /**
   * PipeEngine: the inbound queue has room again. Delivery resumes on the next tick, never inside
   * the read that made room (DESIGN "No re-entrancy into a loop from below").
   */
  resumeRead(): void {
    if (this.resumeScheduled || this.closedFlag || this.finishing) return
    this.resumeScheduled = true
    process.nextTick(() => {
      this.resumeScheduled = false
      if (this.closedFlag || this.finishing || !this.pipe) return
      this.full = false
      const held = this.held
      if (held) this.feed(held)
      else this.updateReading(false)
    })
  }

  /**
   * The peer closed or the connection broke. What was read and held (the queue was full) is
   * delivered first, past the high-water mark ("Received means delivered"); then, with notify, the
   * empty message that tells the application the peer is gone, as libzmq's raw engine sends it.
   */
  private peerLeft(): void {
    if (this.closedFlag) return
    if (this.pipe && !this.finishing) {
      if (this.held) this.deliver(this.held)
      this.held = undefined
      if (this.opts.notify) this.deliver(EMPTY)
    }
    this.close(undefined)
  }

  // ---- output --------------------------------------------------------------------------------

  /** PipeEngine: messages wait in the pipe; writes are gathered until the current tick ends. */
  kick(): void {
    if (this.flushScheduled || this.waitingDrain || this.ended || !this.ready) return
    this.flushScheduled = true
    process.nextTick(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  /** PipeEngine: the pipe is full; write what it holds now. */
  flushNow(): void {
    if (!this.waitingDrain) this.flush()
  }

  private flushing = false

  private flush(): void {
    const pipe = this.pipe
    if (!this.ready || !pipe || this.flushing || this.ended) return
    this.flushing = true
    const wasFull = !pipe.writable
    let room = WRITE_BUDGET - this.socket.writableLength
    let corked = false
    for (;;) {
      if (room <= 0) {
        this.waitingDrain = true
        break
      }
      const item = pipe.takeOut()
      if (item === undefined) break
      // A STREAM socket queues plain messages only, each as [bytes]; small ones the queue packed
      // with ZMTP framing (out-queue.ts) are unpacked to their bytes, for no framing goes out here.
      if (item instanceof SubscriptionItem) continue
      if (!corked) {
        this.socket.cork()
        corked = true
      }
      if (item instanceof PackedRun) for (const m of item.messages()) room -= this.writeFrames(m)
      else room -= this.writeFrames(item)
    }
    if (corked) this.socket.uncork()
    this.flushing = false
    if (wasFull && pipe.writable) pipe.drained()
    if (pipe.out.length > 0) {
      if (!this.waitingDrain) this.kick()
    } else if (this.flushWaiters.length > 0) {
      // An empty write's callback runs once everything before it has gone to the kernel.
      const waiters = this.flushWaiters
      this.flushWaiters = []
      this.socket.write(EMPTY, () => {
        for (const f of waiters) f()
      })
    }
  }

  /** Writes a message's bytes; returns how many. */
  private writeFrames(frames: Buffer[]): number {
    let n = 0
    for (const f of frames) {
      if (f.length === 0) continue
      n += f.length
      this.socket.write(f)
    }
    this.bytesOut += n
    return n
  }

  /** Resolves once everything queued in the pipe has been written out. */
  flushed(): Promise<void> {
    if (!this.ready) return Promise.resolve()
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve)
      this.kick()
    })
  }

  // ---- teardown ------------------------------------------------------------------------------

  /**
   * Graceful end: nothing more is delivered, what the pipe holds is written, then our side of the
   * connection ends (FIN). For a lingering close (`lingerMs` > 0 bounds it; -1 waits for the
   * writes) and for the application's close of one connection (an empty message to its id).
   */
  finish(lingerMs: number): void {
    if (!this.ready) return this.close(undefined)
    if (this.finishing) {
      // Ended by the application already; a lingering close now bounds the wait.
      if (lingerMs > 0 && !this.ended && this.timer === undefined) this.timer = setTimeout(() => this.close(undefined), lingerMs).unref()
      return
    }
    this.finishing = true
    this.held = undefined
    // Keep reading (and discarding) so unread input cannot turn our close into a reset.
    this.socket.resume()
    if (lingerMs > 0) this.timer = setTimeout(() => this.close(undefined), lingerMs).unref()
    void this.flushed().then(() => {
      if (this.closedFlag) return
      this.ended = true
      this.socket.end()
      clearTimeout(this.timer)
      this.timer = setTimeout(() => this.close(undefined), END_GRACE).unref()
    })
  }

  /** Closes the connection at once. Idempotent; the host hears of it once. */
  close(error: ZmtpError | undefined): void {
    if (this.closedFlag) return
    this.closedFlag = true
    clearTimeout(this.timer)
    this.socket.destroy()
    if (this.pipe && this.pipe.engine === this) this.pipe.engine = undefined
    const w = this.flushWaiters
    this.flushWaiters = []
    for (const f of w) f()
    // libzmq's raw engine has no mechanism, so its monitor reports every end of a raw connection
    // as a failed handshake (stream_engine_base::error): handshaken is always false here.
    this.host.engineClosed(this, error, false)
  }
}
