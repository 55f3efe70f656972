/**
 * What SUB and XSUB share (RFC 29 "The SUB Socket Type", "The XSUB Socket Type"): counted
 * subscriptions sent to every publisher, messages fair-queued in from them.
 *
 * As libzmq 4.3.5 does (xsub.cpp, session_base.cpp): every subscription is sent on (two
 * `subscribe("x")` send two), an unsubscription only when the last reference goes; a new pipe gets all
 * current subscriptions; a connecting pipe that reconnects drops what it still queued and gets all
 * current subscriptions again (libzmq's "hiccup"), so the publisher on the other side, which forgot
 * the old connection, hears them all. A subscription that finds its pipe full is dropped, as libzmq
 * drops it; the pipe then gets the whole set again on its next handshake.
 */
import { Buffer } from "node:buffer"
import type { Metadata } from "../codec/command.js"
import type { ZmtpError } from "../errors.js"
import type { Pipe } from "../pipe/pipe.js"
import { CountedSubscriptions } from "../routing/subscriptions.js"
import { SocketApi } from "./socket-api.js"

export abstract class SubscribingSocket extends SocketApi {
  /** This socket's own subscriptions, counted. */
  protected readonly subscriptions = new CountedSubscriptions()
  /** Pipes that missed a subscription (their queue was full): they get the whole set on their next handshake. */
  private readonly missed = new WeakSet<Pipe>()

  /** libzmq gives SUB and XSUB linger 0 ("we don't want to wait till pending subscription commands are sent"). */
  protected override applyOptions(options: unknown): void {
    super.applyOptions(options)
    if ((options as { linger?: unknown } | undefined)?.linger === undefined) this.opts.linger = 0
  }

  protected override pipeAdded(p: Pipe): void {
    for (const t of this.subscriptions.prefixes()) this.sendSubscription(p, true, t)
  }

  protected override pipeHandshaken(p: Pipe, _peer: Metadata): ZmtpError | undefined {
    // p.handshaken: this pipe was connected before (a connecting pipe survives reconnects).
    if (p.handshaken || this.missed.has(p)) {
      this.missed.delete(p)
      p.out.clear()
      for (const t of this.subscriptions.prefixes()) this.sendSubscription(p, true, t)
    }
    return undefined
  }

  /** Queues a subscription or cancellation to one publisher, or drops it if the pipe is full. */
  private sendSubscription(p: Pipe, subscribe: boolean, topic: Buffer): void {
    if (p.makeRoom()) p.writeSubscription(subscribe, topic)
    else this.missed.add(p)
  }

  /** Adds a reference to `topic` and sends the subscription to every publisher. */
  protected addSubscription(topic: Buffer): void {
    this.subscriptions.add(topic)
    for (const p of this.pipes) this.sendSubscription(p, true, topic)
  }

  /** Drops a reference to `topic`; the last one sends the cancellation to every publisher. */
  protected removeSubscription(topic: Buffer): void {
    if (!this.subscriptions.remove(topic)) return
    for (const p of this.pipes) this.sendSubscription(p, false, topic)
  }

  /** Sends a message to every publisher with room; dropped for the others (RFC 29 XSUB "SHALL NOT block on sending"). */
  protected sendToAll(frames: Buffer[]): void {
    for (const p of this.pipes) {
      if (p.makeRoom()) p.write(frames)
      else this.droppedAtHwm = true
    }
  }
}
