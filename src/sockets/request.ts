/**
 * REQ (RFC 28 "The REQ Socket Type"): lock-step request and reply. Each request gets an empty
 * delimiter frame (and, with `correlate`, a request id before it); a reply is accepted only from the
 * peer that was asked, and only with that envelope.
 */
import { Buffer } from "node:buffer"
import { zerr } from "../errors.js"
import type { RequestOptions } from "../options.js"
import type { Pipe } from "../pipe/pipe.js"
import { RoundRobinSocket } from "./round-robin.js"
import { defineOptions } from "./socket-options.js"

const EMPTY = Buffer.alloc(0)

export class Request extends RoundRobinSocket {
  protected readonly typeName = "REQ" as const
  /** ZMQ_PROBE_ROUTER. See {@link RequestOptions.probeRouter}. */
  declare probeRouter: boolean
  /** ZMQ_REQ_CORRELATE. See {@link RequestOptions.correlate}. */
  declare correlate: boolean
  /** ZMQ_REQ_RELAXED. See {@link RequestOptions.relaxed}. */
  declare relaxed: boolean
  /** The peer the outstanding request went to; undefined when a request may be sent. */
  private replyPipe: Pipe | undefined
  private requestId = (Math.random() * 0x100000000) >>> 0
  private expectedId: Buffer | undefined

  constructor(options: Partial<RequestOptions> = {}) {
    super()
    this.applyOptions(options)
  }

  protected override canSendNow(): boolean {
    return (this.replyPipe === undefined || this.relaxed) && this.lb.hasRoom
  }

  protected override checkSend(): void {
    // RFC 28: a REQ socket SHALL NOT send a new request before the reply (unless relaxed).
    if (!this.relaxed && (this.replyPipe !== undefined || this.pendingSends > 0)) throw zerr("EFSM")
  }

  protected override checkReceive(): void {
    if (this.replyPipe === undefined && this.pendingSends === 0) throw zerr("EFSM")
  }

  protected xsend(frames: Buffer[]): boolean {
    const p = this.lb.pick()
    if (!p) return false
    // Whatever arrived before this request is stale (late replies, unsolicited messages): drop it so
    // that only an answer to this request can be taken as the reply, as libzmq's REQ does.
    this.discardInbound()
    // Relaxed: a new request abandons the old one; a late reply to it no longer matches and is dropped.
    let msg: Buffer[]
    if (this.correlate) {
      const id = Buffer.allocUnsafe(4)
      id.writeUInt32BE(this.requestId, 0)
      this.requestId = (this.requestId + 1) >>> 0
      this.expectedId = id
      msg = [id, EMPTY, ...frames]
    } else {
      msg = [EMPTY, ...frames]
    }
    p.write(msg)
    this.replyPipe = p
    return true
  }

  /** True if `m`, from pipe `p`, is the reply to the outstanding request. */
  private isReply(m: Buffer[], p: Pipe): boolean {
    // Only the peer we asked may answer; anything else is dropped (RFC 28).
    if (p !== this.replyPipe) return false
    let i = 0
    if (this.correlate) {
      if (m.length < 1 || !this.expectedId || !m[0]!.equals(this.expectedId)) return false
      i = 1
    }
    // The reply must carry the empty delimiter and at least one body frame.
    return m.length >= i + 2 && m[i]!.length === 0
  }

  protected override hasDeliverable(): boolean {
    const want = this.replyPipe
    return want !== undefined && this.someInbound((m, p) => this.isReply(m, p), (p) => p === want)
  }

  protected xrecv(): Buffer[] | undefined {
    const want = this.replyPipe
    if (!want) return undefined
    for (;;) {
      const m = this.readFair()
      if (!m) return undefined
      if (!this.isReply(m, this.readPipe!)) continue
      const i = this.correlate ? 1 : 0
      this.replyPipe = undefined
      this.expectedId = undefined
      return i === 0 ? (m.shift(), m) : m.slice(i + 1)
    }
  }
}

defineOptions(Request.prototype, ["probeRouter", "correlate", "relaxed"])
