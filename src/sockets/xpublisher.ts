/**
 * XPUB (RFC 29 "The XPUB Socket Type"): a PUB that hands subscriptions to its application as
 * messages (0x01 or 0x00 and the topic) and receives what XSUB peers send upstream, fair-queued.
 *
 * Subscriptions are applied as they arrive, whether or not the application reads; what the
 * application is told waits in a queue. That queue is bounded per peer: a peer with
 * `receiveHighWaterMark` frames waiting in it is not read further (its subscriptions then wait in its
 * pipe, and its connection pauses) until the application takes some. libzmq's is unbounded.
 *
 * As in libzmq 4.3.5 (xpub.cpp), every frame that starts with 0x00 or 0x01 is a cancellation or a
 * subscription, also inside a multipart message; other frames are passed on as they came.
 */
import { Buffer } from "node:buffer"
import { zerr } from "../errors.js"
import type { XPublisherOptions } from "../options.js"
import { defineOptions } from "./socket-options.js"
import type { Pipe } from "../pipe/pipe.js"
import { Queue } from "../pipe/queue.js"
import { PeerSubscriptions } from "../routing/subscriptions.js"
import { isSubscriptionFrame, PublishingSocket, type Peer } from "./publishing.js"

/** A frame waiting for the application, with the peer it came from (null: made here, on a disconnect). */
interface Pending {
  frame: Buffer
  more: boolean
  subscription: boolean
  peer: Peer | null
}

export class XPublisher extends PublishingSocket {
  protected readonly typeName = "XPUB" as const
  /** ZMQ_XPUB_NODROP. See {@link XPublisherOptions.noDrop}. */
  declare noDrop: boolean
  /** ZMQ_XPUB_MANUAL. See {@link XPublisherOptions.manual}. */
  declare manual: boolean
  /** ZMQ_INVERT_MATCHING. See {@link XPublisherOptions.invertMatching}. */
  declare invertMatching: boolean

  private readonly pending = new Queue<Pending>()
  /** Frames each peer has waiting in {@link pending}. */
  private readonly held = new Map<Peer, number>()
  /** Manual mode: what each peer asked for (libzmq's `_manual_subscriptions`), to cancel when it leaves. */
  private readonly requested = new PeerSubscriptions<Peer>()
  /** Manual mode: the peer of the last subscription message received, which subscribe() acts on. */
  private lastPeer: Peer | null = null

  constructor(options?: Partial<XPublisherOptions>) {
    super()
    this.applyOptions(options)
  }

  /** ZMQ_XPUB_WELCOME_MSG, read back as UTF-8 (null: none). See {@link XPublisherOptions.welcomeMessage}. */
  declare welcomeMessage: string | null

  /**
   * ZMQ_XPUB_VERBOSE / ZMQ_XPUB_VERBOSER, as zeromq.js sets them (null: VERBOSE off, which also
   * turns VERBOSER off; "allSubs": VERBOSE on; "allSubsUnsubs": VERBOSER on). Any other value is
   * EINVAL (zeromq.js ignores it). See {@link XPublisherOptions.verbosity}.
   */
  get verbosity(): null | "allSubs" | "allSubsUnsubs" {
    return this.verbosityValue
  }
  set verbosity(v: null | "allSubs" | "allSubsUnsubs") {
    if (v === null) this.setBoolOption(40, false)
    else if (v === "allSubs") this.setBoolOption(40, true)
    else if (v === "allSubsUnsubs") this.setBoolOption(78, true)
    else {
      if (this.closed) throw zerr("ENOTSOCK")
      throw zerr("EINVAL", 'verbosity must be null, "allSubs" or "allSubsUnsubs"')
    }
  }

  private get verbosityValue(): null | "allSubs" | "allSubsUnsubs" {
    return this.opts.xpubVerboser ? "allSubsUnsubs" : this.opts.xpubVerbose ? "allSubs" : null
  }

  /**
   * Manual mode (ZMQ_XPUB_MANUAL, ZMQ_SUBSCRIBE on an XPUB): subscribes the peer of the last
   * subscription message received to each prefix (no argument: everything). Nothing happens when
   * that peer has left. EINVAL unless `manual` is set, as in libzmq. A zmtp extension: zeromq.js's
   * XPublisher has no such method.
   */
  subscribe(...prefixes: Array<Buffer | string>): void {
    if (prefixes.length === 0) this.setStringOption(6, null)
    else for (const p of prefixes) this.setStringOption(6, p)
  }

  /** Manual mode: unsubscribes the peer of the last subscription message received. See {@link subscribe}. */
  unsubscribe(...prefixes: Array<Buffer | string>): void {
    if (prefixes.length === 0) this.setStringOption(7, null)
    else for (const p of prefixes) this.setStringOption(7, p)
  }

  /** ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE on an XPUB: manual mode only (EINVAL otherwise, as libzmq). */
  protected override subscriptionOption(subscribe: boolean, topic: Buffer): void {
    if (!this.opts.manual) throw zerr("EINVAL", "subscribe() and unsubscribe() on an XPublisher need manual mode")
    const peer = this.lastPeer
    if (!peer) return
    if (subscribe) this.subscriptions.add(topic, peer)
    else this.subscriptions.remove(topic, peer)
    this.targetsChanged()
  }

  protected override pipeAdded(p: Pipe): void {
    super.pipeAdded(p)
    // libzmq writes the welcome message into each new pipe, past its high-water mark.
    const w = this.opts.welcomeMessage as Buffer | null
    if (w && w.length > 0) p.write([w])
  }

  protected override peerLeft(peer: Peer): void {
    // RFC 29: "SHALL, if the subscriber peer disconnects prematurely, generate a suitable
    // unsubscribe request for the calling application". libzmq: in manual mode one per prefix the
    // peer asked for; otherwise one per prefix nobody holds any more (every one with allSubsUnsubs).
    const before = this.pending.length
    if (this.opts.manual) {
      this.requested.removePeer(peer, (prefix) => this.told(prefix))
      this.subscriptions.removePeer(peer)
    } else {
      const verbose = this.verbosityValue === "allSubsUnsubs"
      this.subscriptions.removePeer(peer, (prefix, last) => {
        if (last || verbose) this.told(prefix)
      })
    }
    if (this.lastPeer === peer) this.lastPeer = null
    this.held.delete(peer)
    if (this.pending.length > before) this.announce()
  }

  /** An unsubscription made here: 0x00 and the prefix, from no peer. */
  private told(prefix: Buffer): void {
    const f = Buffer.allocUnsafe(1 + prefix.length)
    f[0] = 0
    prefix.copy(f, 1)
    this.pending.push({ frame: f, more: false, subscription: true, peer: null })
  }

  /** Takes what a peer sent at once: its subscriptions apply whether or not the application reads. */
  override pipeReadable(p: Pipe): void {
    if (this.fill(p)) this.announce()
  }

  private announce(): void {
    this.serveReceivers()
    this.wake()
  }

  /** Moves a pipe's messages into {@link pending} while its peer has room there; true if any moved. */
  private fill(p: Pipe): boolean {
    const peer = this.peers.get(p)
    if (!peer) return false
    const limit = this.receiveHighWaterMark
    const before = this.pending.length
    while (limit <= 0 || (this.held.get(peer) ?? 0) < limit) {
      const m = p.read()
      if (!m) break
      this.take(peer, m)
    }
    return this.pending.length > before
  }

  private take(peer: Peer, m: Buffer[]): void {
    const manual = this.opts.manual as boolean
    const v = this.verbosityValue
    let last: Pending | undefined
    let n = 0
    for (let i = 0; i < m.length; i++) {
      const f = m[i]!
      if (isSubscriptionFrame(f)) {
        let tell = true
        if (manual) {
          if (f[0] === 1) this.requested.add(f.subarray(1), peer)
          else this.requested.remove(f.subarray(1), peer)
        } else tell = this.applySubscription(peer, f, v !== null, v === "allSubsUnsubs")
        if (!tell) continue
        last = { frame: f, more: false, subscription: true, peer }
      } else last = { frame: f, more: i < m.length - 1, subscription: false, peer }
      this.pending.push(last)
      n++
    }
    // A user frame followed only by subscriptions that were not told ends the message here: it must
    // not run into the next one (libzmq's flags would).
    if (last) last.more = false
    if (n > 0) this.held.set(peer, (this.held.get(peer) ?? 0) + n)
  }

  protected override hasDeliverable(): boolean {
    return this.pending.length > 0
  }

  protected xrecv(): Buffer[] | undefined {
    if (this.pending.length === 0) return undefined
    const frames: Buffer[] = []
    const from = new Set<Peer>()
    let e: Pending
    do {
      e = this.pending.shift()!
      frames.push(e.frame)
      if (e.peer) {
        const n = (this.held.get(e.peer) ?? 1) - 1
        if (this.held.has(e.peer)) this.held.set(e.peer, n)
        from.add(e.peer)
      }
      if (e.subscription && this.opts.manual) {
        // libzmq's _last_pipe: the peer of the subscription just read, if it is still there.
        this.lastPeer = e.peer && this.peers.get(e.peer.pipe) === e.peer ? e.peer : null
      }
    } while (e.more && this.pending.length > 0)
    // Room again for what those peers still hold in their pipes.
    for (const peer of from) if (this.peers.get(peer.pipe) === peer && peer.pipe.in.length > 0) this.fill(peer.pipe)
    return frames
  }
}

defineOptions(XPublisher.prototype, ["noDrop", "manual", "invertMatching", "welcomeMessage"])
