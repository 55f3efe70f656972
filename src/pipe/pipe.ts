/**
 * A pipe: the two whole-message queues between the socket and one peer, each bounded by its
 * high-water mark counted in messages (DESIGN "Back-pressure is explicit").
 *
 * The outbound queue is filled by the socket's routing and drained by the engine as the transport
 * takes bytes; the inbound queue is filled by the engine and drained by the socket's fair-queuing.
 * A pipe may outlive one engine: a connecting socket's pipe keeps what was queued while its peer was
 * away and hands it to the next engine, as libzmq does when ZMQ_IMMEDIATE is off.
 */
import { Buffer } from "node:buffer"
import { OutQueue, SubscriptionItem, type OutItem } from "./out-queue.js"
import { Queue } from "./queue.js"
import type { Metadata } from "../codec/command.js"

/** What a pipe needs from the engine currently attached to it. */
export interface PipeEngine {
  /** New outbound messages wait in the pipe. */
  kick(): void
  /** Hand queued messages to the transport now (the queue is full). */
  flushNow(): void
  /** The inbound queue has room again. */
  resumeRead(): void
}

/** What a pipe tells its owning socket. */
export interface PipeOwner {
  pipeReadable(pipe: Pipe): void
  pipeWritable(pipe: Pipe): void
}

let nextPipeId = 1

export class Pipe {
  /** Unique per process, for debugging and statistics. */
  readonly id = nextPipeId++
  /** Outbound messages; it copies small frames as they are queued (see OutQueue). */
  readonly out = new OutQueue()
  readonly in = new Queue<Buffer[]>()
  engine: PipeEngine | undefined
  /** Routing id (ROUTER) or the peer's announced identity. */
  routingId: Buffer | undefined
  /** Key of `routingId` in the socket's routing table. */
  routingKey: string | undefined
  /** The peer's READY metadata from the last handshake. */
  peer: Metadata | undefined
  /** Frame the engine puts in front of each inbound message (a ROUTER's routing id for the peer). */
  inboundPrefix: Buffer | undefined
  /** ZMQ_CONNECT_ROUTING_ID given for this pipe's connect (ROUTER), or null. */
  presetRoutingId: string | null = null
  /** True once an engine has completed a handshake on this pipe. */
  handshaken = false
  /** Set when the socket no longer uses this pipe. */
  closed = false
  /**
   * ZMQ_CONFLATE (PUB outbound, SUB inbound): the queue keeps only the newest message, whatever the
   * high-water mark; a whole message, where libzmq keeps only one frame of a multipart one.
   */
  conflateOut = false
  conflateIn = false
  /** True while the owning socket has this pipe in its fair-queuing list (owner's bookkeeping). */
  listedReadable = false
  private readBlocked = false

  constructor(
    private readonly owner: PipeOwner,
    /** The endpoint this pipe was made for. */
    readonly endpoint: string,
    /** True for the connecting side (the pipe survives reconnects). */
    readonly outbound: boolean,
    private readonly sendHwm: number,
    private readonly recvHwm: number,
  ) {}

  /** True if the outbound queue is below its high-water mark. */
  get writable(): boolean {
    return this.sendHwm <= 0 || this.conflateOut || this.out.length < this.sendHwm
  }

  /**
   * Queues a message for the peer, taking ownership: frames of up to 128 octets are copied now, so
   * the caller may reuse them at once; larger ones are referenced until written. The caller checked
   * {@link writable}.
   */
  write(msg: Buffer[]): void {
    if (this.conflateOut) this.out.clear()
    this.out.push(msg)
    if (this.out.length === 1) this.engine?.kick()
  }

  /**
   * Queues a subscription (`subscribe`) or its cancellation for the peer (RFC 29); the topic is
   * copied. The caller checked {@link writable}.
   */
  writeSubscription(subscribe: boolean, topic: Buffer): void {
    this.out.pushSubscription(new SubscriptionItem(subscribe, Buffer.from(topic)))
    if (this.out.length === 1) this.engine?.kick()
  }

  /**
   * True if the outbound queue has room, after first handing what it holds to the transport when it
   * is full. libzmq's I/O thread drains pipes while the application sends; in one thread a tight
   * send loop would otherwise find a full pipe although the connection is idle.
   */
  makeRoom(): boolean {
    if (this.writable) return true
    this.engine?.flushNow()
    return this.writable
  }

  /** Takes the next outbound message, or run of small messages already framed, for the engine. */
  takeOut(): OutItem | undefined {
    return this.out.shift()
  }

  /** The engine took messages out of a full queue: senders waiting for room may go on. */
  drained(): void {
    if (!this.closed) this.owner.pipeWritable(this)
  }

  /**
   * Delivers an inbound message from the engine. Returns false when the inbound queue is now at its
   * high-water mark: the engine stops reading until {@link read} makes room.
   */
  deliver(msg: Buffer[]): boolean {
    if (this.closed) return true
    if (this.conflateIn) {
      // The newest replaces what waits; reading never pauses.
      this.in.clear()
      this.in.push(msg)
      this.owner.pipeReadable(this)
      return true
    }
    this.in.push(msg)
    if (this.in.length === 1) this.owner.pipeReadable(this)
    if (this.recvHwm > 0 && this.in.length >= this.recvHwm) {
      this.readBlocked = true
      return false
    }
    return true
  }

  /** Takes the next inbound message. */
  read(): Buffer[] | undefined {
    const m = this.in.shift()
    // Reading resumes at the low-water mark, half the high-water mark as libzmq computes it, so that
    // a full queue does not wake the decoder for every single message taken.
    if (m && this.readBlocked && this.in.length <= (this.recvHwm + 1) >> 1) {
      this.readBlocked = false
      this.engine?.resumeRead()
    }
    return m
  }
}
