/**
 * PAIR (RFC 31 "The PAIR Socket Type"): one peer, messages both ways, unchanged; a send waits while
 * the peer's queue is full (or there is no peer), up to `sendTimeout`, and nothing is dropped.
 *
 * "MAY be connected to at most one PAIR peers": the peer is the first pipe the socket gets (for a
 * connect without `immediate`, the pipe is made at connect() time, before any connection). libzmq
 * 4.3.5's pair_t terminates every later pipe; probed through zeromq.js, a second PAIR that connects
 * completes its handshake and stays connected, but nothing it sends is delivered and nothing is sent
 * to it, and it does not take over when the first peer leaves (a later new connection does). zmtp
 * does the same: a later pipe is ignored for good. It is not read, so once its queue reaches the
 * receive high-water mark the connection stops being read and the extra peer's sends wait, as they
 * do against libzmq.
 */
import type { PairOptions } from "../options.js"
import type { Pipe } from "../pipe/pipe.js"
import { SocketApi } from "./socket-api.js"

export class Pair extends SocketApi {
  protected readonly typeName = "PAIR" as const
  /** The one peer's pipe, while there is one. */
  private peer: Pipe | undefined

  constructor(options?: Partial<PairOptions>) {
    super()
    this.applyOptions(options)
  }

  protected override pipeAdded(p: Pipe): void {
    // A later pipe is not the peer, even once the peer leaves (libzmq's pair_t terminates it).
    if (!this.peer) this.peer = p
  }

  protected override pipeRemoved(p: Pipe): void {
    if (this.peer === p) this.peer = undefined
  }

  /** Only the peer's messages are fair-queued: an extra pipe is never listed, so never read. */
  override pipeReadable(p: Pipe): void {
    if (p === this.peer) super.pipeReadable(p)
  }

  /** RFC 31: "SHALL consider its peer as available only when it has a outgoing queue that is not full." */
  protected override canSendNow(): boolean {
    return this.peer !== undefined && this.peer.writable
  }

  /** RFC 31: "SHALL block on sending, or return a suitable error, when it has no available peer" (false: the send waits). */
  protected xsend(frames: Buffer[]): boolean {
    const p = this.peer
    if (!p || !p.makeRoom()) return false
    p.write(frames)
    return true
  }

  /** RFC 31: "SHALL receive incoming messages from its single peer if it has one." */
  protected xrecv(): Buffer[] | undefined {
    return this.readFair()
  }
}
