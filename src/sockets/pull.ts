/**
 * PULL (RFC 30 "The PULL Socket Type"): fair-queues the messages of its PUSH peers and passes them
 * on unchanged. It cannot send.
 */
import { zerr } from "../errors.js"
import type { PullOptions } from "../options.js"
import type { Pipe } from "../pipe/pipe.js"
import { defineOptions } from "./socket-options.js"
import { SocketApi } from "./socket-api.js"

export class Pull extends SocketApi {
  protected readonly typeName = "PULL" as const
  /** ZMQ_CONFLATE. See {@link PullOptions.conflate}. */
  declare conflate: boolean

  constructor(options?: Partial<PullOptions>) {
    super()
    this.applyOptions(options)
  }

  protected override pipeAdded(p: Pipe): void {
    p.conflateIn = this.opts.conflate as boolean
    super.pipeAdded(p)
  }

  /** A PULL cannot send: ENOTSUP at once, as libzmq's zmq_send answers (zeromq.js's Pull has no send in its types; its call never settles). */
  protected override checkSend(): void {
    throw zerr("ENOTSUP", "a Pull cannot send")
  }

  protected xsend(): boolean {
    throw zerr("ENOTSUP", "a Pull cannot send")
  }

  /** RFC 30: "SHALL receive incoming messages from its peers using a fair-queuing strategy." */
  protected xrecv(): Buffer[] | undefined {
    return this.readFair()
  }
}

defineOptions(Pull.prototype, ["conflate"])
