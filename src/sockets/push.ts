/**
 * PUSH (RFC 30 "The PUSH Socket Type"): round-robin over the PULL peers whose queue has room; when
 * none has, a send waits (up to `sendTimeout`, then EAGAIN) and nothing is dropped. It cannot receive.
 */
import { zerr } from "../errors.js"
import type { PushOptions } from "../options.js"
import type { Pipe } from "../pipe/pipe.js"
import { defineOptions } from "./socket-options.js"
import { RoundRobinSocket } from "./round-robin.js"

export class Push extends RoundRobinSocket {
  protected readonly typeName = "PUSH" as const
  /** ZMQ_CONFLATE. See {@link PushOptions.conflate}. */
  declare conflate: boolean

  constructor(options?: Partial<PushOptions>) {
    super()
    this.applyOptions(options)
  }

  protected override pipeAdded(p: Pipe): void {
    // Taken when the pipe is made, as libzmq reads ZMQ_CONFLATE when it attaches a pipe.
    p.conflateOut = this.opts.conflate as boolean
    super.pipeAdded(p)
  }

  /**
   * RFC 30: a PULL peer "SHALL only receive messages". Anything one sends anyway is read and dropped
   * at once, so it holds no memory and never pauses the connection (the queue to it is what counts).
   */
  override pipeReadable(p: Pipe): void {
    while (p.read()) {}
  }

  /** A PUSH cannot receive: ENOTSUP at once, as libzmq's zmq_recv answers (zeromq.js's Push has no receive in its types; its call never settles). */
  protected override checkReceive(): void {
    throw zerr("ENOTSUP", "a Push cannot receive")
  }

  protected override hasDeliverable(): boolean {
    return false
  }

  /** RFC 30: "SHALL consider a peer as available only when it has a outgoing queue that is not full." */
  protected override canSendNow(): boolean {
    return this.lb.hasRoom
  }

  /**
   * RFC 30: "SHALL route outgoing messages to available peers using a round-robin strategy"; with
   * none available the message waits in the send queue ("SHALL NOT discard messages that it cannot
   * queue").
   */
  protected xsend(frames: Buffer[]): boolean {
    const p = this.lb.pick()
    if (!p) return false
    p.write(frames)
    return true
  }

  protected xrecv(): Buffer[] | undefined {
    return undefined
  }
}

defineOptions(Push.prototype, ["conflate"])
