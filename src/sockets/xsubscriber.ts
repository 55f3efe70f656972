/**
 * XSUB (RFC 29 "The XSUB Socket Type"): subscribes by sending 0x01 + topic (0x00 + topic to cancel),
 * sends every message to all its publishers (dropped for one whose queue is full), and receives
 * from them fair-queued, without filtering (libzmq's xsub_t filters nothing: the publishers do).
 */
import { Buffer } from "node:buffer"
import type { SocketOptions } from "../options.js"
import { SubscribingSocket } from "./subscribing.js"

export class XSubscriber extends SubscribingSocket {
  protected readonly typeName = "XSUB" as const
  /** Its sends never wait: they yield now and then instead (see SocketBase.sendsNeverWait). */
  protected override sendsNeverWait = true

  constructor(options?: Partial<SocketOptions>) {
    super()
    this.applyOptions(options)
  }

  protected override canSendNow(): boolean {
    return true
  }

  /**
   * As libzmq 4.3.5's xsub_t::xsend, frame by frame: one that starts with 0x01 adds a reference to
   * its topic and is sent on; one that starts with 0x00 drops one and is sent on only if that was the
   * last; any other frame is sent on unchanged. What is sent on goes to every publisher as one message
   * (in the form it was given: libzmq writes these as messages, not SUBSCRIBE commands, even to a 3.1
   * peer). Never waits (RFC 29 "SHALL NOT block on sending").
   */
  protected xsend(frames: Buffer[]): boolean {
    let out = frames
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!
      if (f.length === 0 || f[0]! > 1) continue
      if (f[0] === 1) this.subscriptions.add(f.subarray(1))
      else if (!this.subscriptions.remove(f.subarray(1))) {
        // A cancellation that leaves a reference (or had none) goes no further.
        if (out === frames) out = frames.slice(0, i)
        continue
      }
      if (out !== frames) out.push(f)
    }
    if (out.length > 0) this.sendToAll(out)
    return true
  }

  protected xrecv(): Buffer[] | undefined {
    return this.readFair()
  }
}
