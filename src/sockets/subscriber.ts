/**
 * SUB (RFC 29 "The SUB Socket Type"): subscribes with subscribe() / unsubscribe(), receives from its
 * publishers fair-queued, and filters locally too (libzmq's sub_t: a message is delivered only if it
 * matches a subscription held when it is read, so nothing arrives after an unsubscribe even while
 * the publisher has not heard of it yet). It cannot send.
 */
import { Buffer } from "node:buffer"
import { zerr } from "../errors.js"
import type { SubscriberOptions } from "../options.js"
import { defineOptions } from "./socket-options.js"
import type { Pipe } from "../pipe/pipe.js"
import { SubscribingSocket } from "./subscribing.js"

export class Subscriber extends SubscribingSocket {
  protected readonly typeName = "SUB" as const
  /** ZMQ_CONFLATE. See {@link SubscriberOptions.conflate}. */
  declare conflate: boolean
  /** ZMQ_INVERT_MATCHING. See {@link SubscriberOptions.invertMatching}. */
  declare invertMatching: boolean

  constructor(options?: Partial<SubscriberOptions>) {
    super()
    this.applyOptions(options)
  }

  /**
   * ZMQ_SUBSCRIBE: receive messages whose first frame starts with one of `prefixes` (a string is
   * UTF-8); no argument subscribes to everything. Counted: each call needs its unsubscribe().
   */
  subscribe(...prefixes: Array<Buffer | string>): void {
    // As zeromq.js's: ZMQ_SUBSCRIBE per prefix (its checks: TypeError for a value that is not a
    // string or octets, ENOTSOCK once closed).
    if (prefixes.length === 0) this.setStringOption(6, null)
    else for (const p of prefixes) this.setStringOption(6, p)
  }

  /** ZMQ_UNSUBSCRIBE: drops one reference to each prefix; no argument drops one to the "everything" subscription. */
  unsubscribe(...prefixes: Array<Buffer | string>): void {
    if (prefixes.length === 0) this.setStringOption(7, null)
    else for (const p of prefixes) this.setStringOption(7, p)
  }

  /** ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE, from subscribe(), unsubscribe() or the generic accessors. */
  protected override subscriptionOption(subscribe: boolean, topic: Buffer): void {
    if (subscribe) this.addSubscription(topic)
    else this.removeSubscription(topic)
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
