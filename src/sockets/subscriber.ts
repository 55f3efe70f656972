/**
 * SUB (RFC 29 "The SUB Socket Type"): subscribes with subscribe() / unsubscribe(), receives from its
 * publishers fair-queued, and filters locally too (libzmq's sub_t: a message is delivered only if it
 * matches a subscription held when it is read, so nothing arrives after an unsubscribe even while
 * the publisher has not heard of it yet). It cannot send.
 */
import { Buffer } from "node:buffer"
import { zerr } from "../errors.js"
import { defineOptions, type SubscriberOptions } from "../options.js"
import type { Pipe } from "../pipe/pipe.js"
import { SubscribingSocket } from "./subscribing.js"
import { toTopic } from "./xpublisher.js"

export class Subscriber extends SubscribingSocket {
  protected readonly typeName = "SUB" as const
  /** ZMQ_CONFLATE. See {@link SubscriberOptions.conflate}. */
  declare conflate: boolean
  /** ZMQ_INVERT_MATCHING. See {@link SubscriberOptions.invertMatching}. */
  declare invertMatching: boolean

  constructor(options: Partial<SubscriberOptions> = {}) {
    super()
    this.applyOptions(options)
  }

  /**
   * ZMQ_SUBSCRIBE: receive messages whose first frame starts with one of `prefixes` (a string is
   * UTF-8); no argument subscribes to everything. Counted: each call needs its unsubscribe().
   */
  subscribe(...prefixes: Array<Buffer | string>): void {
    const topics = this.topics(prefixes)
    for (const t of topics) this.addSubscription(t)
  }

  /** ZMQ_UNSUBSCRIBE: drops one reference to each prefix; no argument drops one to the "everything" subscription. */
  unsubscribe(...prefixes: Array<Buffer | string>): void {
    const topics = this.topics(prefixes)
    for (const t of topics) this.removeSubscription(t)
  }

  private topics(prefixes: Array<Buffer | string>): Buffer[] {
    // As zeromq.js: an option set on a closed socket fails with ENOTSOCK.
    if (this.isClosed) throw zerr("ENOTSOCK")
    return prefixes.length === 0 ? [Buffer.alloc(0)] : prefixes.map(toTopic)
  }

  protected override pipeAdded(p: Pipe): void {
    p.conflateIn = this.opts.conflate as boolean
    super.pipeAdded(p)
  }

  /** A SUB cannot send: libzmq's sub_t fails zmq_send with ENOTSUP (zeromq.js's Subscriber has no send in its types). */
  protected override checkSend(): void {
    throw zerr("ENOTSUP", "a Subscriber cannot send")
  }

  protected xsend(): boolean {
    throw zerr("ENOTSUP", "a Subscriber cannot send")
  }

  private wanted(m: Buffer[]): boolean {
    return this.subscriptions.matches(m[0]!) !== (this.opts.invertMatching as boolean)
  }

  protected override hasDeliverable(): boolean {
    return this.someInbound((m) => this.wanted(m))
  }

  protected xrecv(): Buffer[] | undefined {
    for (;;) {
      const m = this.readFair()
      if (!m || this.wanted(m)) return m
    }
  }
}

defineOptions(Subscriber.prototype, ["conflate", "invertMatching"])
