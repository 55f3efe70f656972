/**
 * What PUB and XPUB share (RFC 29 "The PUB Socket Type", "The XPUB Socket Type"): one outgoing queue
 * per subscriber, each message sent to the subscribers whose subscriptions match the start of its
 * first frame (or, with invertMatching, to those whose do not), dropped for a subscriber whose queue
 * is full. Subscriptions arrive in the pipes in the form a ZMTP 3.0 peer sends them (0x01 or 0x00
 * then the topic; the engine turns 3.1 SUBSCRIBE and CANCEL commands into that form), and every frame
 * so marked counts, as in libzmq 4.3.5. Matching is src/routing/subscriptions.ts.
 */
import { Buffer } from "node:buffer"
import type { Pipe } from "../pipe/pipe.js"
import { PeerSubscriptions } from "../routing/subscriptions.js"
import { SocketApi } from "./socket-api.js"

/** A subscriber: its pipe, and a mark that counts it once per message however many of its prefixes match. */
export interface Peer {
  readonly pipe: Pipe
  mark: number
}

/** True for a frame that is a subscription (0x01 + topic) or a cancellation (0x00 + topic). */
export function isSubscriptionFrame(f: Buffer): boolean {
  return f.length > 0 && (f[0] === 0 || f[0] === 1)
}

export abstract class PublishingSocket extends SocketApi {
  /** Which peers want which prefixes: what {@link xsend} matches against. */
  protected readonly subscriptions = new PeerSubscriptions<Peer>()
  /** Every pipe messages may go to (libzmq's distributor), connected or still connecting. */
  protected readonly peers = new Map<Pipe, Peer>()
  protected override sendsNeverWait = true
  private generation = 0
  /** Reused per message: the matching peer lists, then the peers a message goes to. */
  private readonly lists: Peer[][] = []
  private readonly targets: Peer[] = []

  protected override pipeAdded(p: Pipe): void {
    this.peers.set(p, { pipe: p, mark: 0 })
  }

  protected override pipeRemoved(p: Pipe): void {
    const peer = this.peers.get(p)
    if (!peer) return
    this.peers.delete(p)
    // The reused arrays may still refer to the peer.
    this.targets.length = 0
    this.lists.length = 0
    this.peerLeft(peer)
    this.targetsChanged()
  }

  /**
   * Who a message goes to may have changed (a peer left, a subscription came or went): a noDrop send
   * waiting for a full subscriber may go now, as libzmq's blocking send retries after every pipe
   * event. Deferred, never from inside the send loop (DESIGN "No re-entrancy into a loop from below").
   */
  protected targetsChanged(): void {
    if (this.pendingSends > 0) queueMicrotask(() => this.serveSenders())
  }

  /** The peer's pipe left: its subscriptions go (XPUB tells the application). */
  protected peerLeft(peer: Peer): void {
    this.subscriptions.removePeer(peer)
  }

  /**
   * Applies a subscription or cancellation from `peer` and returns whether libzmq 4.3.5 would tell
   * an XPUB's application (xpub.cpp): a subscription that is the first for its prefix, a cancellation
   * that removed the last one or matched nothing; every one when verbose. A subscription beyond the
   * peer's limits (MAX_PEER_SUBSCRIPTIONS) is not applied and not told.
   */
  protected applySubscription(peer: Peer, frame: Buffer, verboseSubs: boolean, verboseUnsubs: boolean): boolean {
    const topic = frame.subarray(1)
    // With invertMatching a new subscription takes a peer out of a message's targets too.
    this.targetsChanged()
    if (frame[0] === 1) {
      const r = this.subscriptions.add(topic, peer)
      return r === "first" || (verboseSubs && r !== "refused")
    }
    return this.subscriptions.remove(topic, peer) !== "valuesRemain" || verboseUnsubs
  }

  /** PUB and XPUB never make a send wait, but for noDrop (libzmq's xhas_out is always true). */
  protected override canSendNow(): boolean {
    return true
  }

  /**
   * Sends to every matching subscriber with room (RFC 29 "SHALL silently drop the message if the
   * queue for a subscriber is full"; "SHALL NOT block on sending"). A whole message goes to a
   * subscriber or none of it. With noDrop, a matching subscriber without room makes the send wait
   * (false) instead, as libzmq's ZMQ_XPUB_NODROP returns EAGAIN. A message no subscriber wants is
   * dropped; like every send here it yields now and then ({@link sendsNeverWait}), or a tight loop on
   * a publisher nobody listens to would keep every subscriber from connecting.
   */
  protected xsend(frames: Buffer[]): boolean {
    const targets = this.targets
    const n = this.match(frames[0]!)
    if (this.opts.noDrop) {
      for (let i = 0; i < n; i++) if (!targets[i]!.pipe.makeRoom()) return false
    }
    for (let i = 0; i < n; i++) {
      const p = targets[i]!.pipe
      if (p.makeRoom()) p.write(frames)
      else this.droppedAtHwm = true
    }
    return true
  }

  /**
   * Puts the subscribers a message whose first frame is `data` goes to into {@link targets} (a
   * reused array, valid up to the count returned; entries beyond are stale).
   */
  private match(data: Buffer): number {
    const gen = ++this.generation
    const targets = this.targets
    const lists = this.lists
    const nl = this.subscriptions.matchLists(data, lists)
    const invert = this.opts.invertMatching as boolean
    let n = 0
    for (let l = 0; l < nl; l++) {
      const peers = lists[l]!
      for (let i = 0; i < peers.length; i++) {
        const peer = peers[i]!
        if (peer.mark !== gen) {
          peer.mark = gen
          if (!invert) targets[n++] = peer
        }
      }
    }
    if (invert) for (const peer of this.peers.values()) if (peer.mark !== gen) targets[n++] = peer
    return n
  }
}
