/**
 * PUB (RFC 29 "The PUB Socket Type"): sends each message to the subscribers whose subscriptions
 * match it, never waits (unless noDrop) and receives nothing. Subscriptions are applied as they
 * arrive; anything else a subscriber sends is discarded.
 */
import { zerr } from "../errors.js"
import { defineOptions, type PublisherOptions } from "../options.js"
import type { Pipe } from "../pipe/pipe.js"
import { isSubscriptionFrame, PublishingSocket } from "./publishing.js"

export class Publisher extends PublishingSocket {
  protected readonly typeName = "PUB" as const
  /** ZMQ_XPUB_NODROP. See {@link PublisherOptions.noDrop}. */
  declare noDrop: boolean
  /** ZMQ_CONFLATE. See {@link PublisherOptions.conflate}. */
  declare conflate: boolean
  /** ZMQ_INVERT_MATCHING. See {@link PublisherOptions.invertMatching}. */
  declare invertMatching: boolean

  constructor(options: Partial<PublisherOptions> = {}) {
    super()
    this.applyOptions(options)
  }

  protected override pipeAdded(p: Pipe): void {
    p.conflateOut = this.opts.conflate as boolean
    super.pipeAdded(p)
  }

  /**
   * Subscriptions are applied at once, whether or not the application does anything: RFC 29 "SHALL
   * receive subscribe and unsubscribe requests", "SHALL NOT deliver these commands to its calling
   * application", "SHALL silently discard any messages that subscribers send it". Reading makes room,
   * so the engine never pauses a subscriber here.
   */
  override pipeReadable(p: Pipe): void {
    const peer = this.peers.get(p)
    for (let m = p.read(); m; m = p.read()) {
      if (!peer) continue
      for (const f of m) if (isSubscriptionFrame(f)) this.applySubscription(peer, f, false, false)
    }
  }

  /** A PUB cannot receive: libzmq's zmq_recv fails with ENOTSUP (zeromq.js's Publisher has no receive in its types). */
  protected override checkReceive(): void {
    throw zerr("ENOTSUP", "a Publisher cannot receive")
  }

  protected override hasDeliverable(): boolean {
    return false
  }

  protected xrecv(): Buffer[] | undefined {
    return undefined
  }
}

defineOptions(Publisher.prototype, ["noDrop", "conflate", "invertMatching"])
