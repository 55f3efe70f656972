/**
 * REP (RFC 28 "The REP Socket Type"): receives a request, saving its envelope (every frame up to and
 * including the empty delimiter) and the peer it came from; the reply goes back to that peer with that
 * envelope restored.
 */
import { zerr } from "../errors.js"
import type { SocketOptions } from "../options.js"
import type { Pipe } from "../pipe/pipe.js"
import { SocketApi } from "./socket-api.js"

/**
 * Index of a request's empty delimiter, or -1 when it has none or nothing after it (RFC 28: such a
 * request is dropped).
 */
function delimiterAt(m: Buffer[]): number {
  const d = m.findIndex((f) => f.length === 0)
  return d === m.length - 1 ? -1 : d
}

export class Reply extends SocketApi {
  protected readonly typeName = "REP" as const
  protected override readonly answersEachMessage = true
  /** The peer and envelope of the request being answered; undefined while waiting for a request. */
  private pending: { pipe: Pipe; envelope: Buffer[] } | undefined

  constructor(options: Partial<SocketOptions> = {}) {
    super()
    this.applyOptions(options)
  }

  protected override canSendNow(): boolean {
    return this.pending !== undefined
  }

  protected override checkSend(): void {
    // RFC 28: a REP socket SHALL NOT send a reply before it received a request.
    if (!this.pending) throw zerr("EFSM")
  }

  protected override checkReceive(): void {
    if (this.pending && this.pendingSends === 0) throw zerr("EFSM")
  }

  protected xsend(frames: Buffer[]): boolean {
    const { pipe, envelope } = this.pending!
    this.pending = undefined
    // A reply to a peer that is gone, or whose queue is full, is dropped (as ROUTER does in libzmq).
    if (!pipe.closed && pipe.makeRoom()) pipe.write(envelope.concat(frames))
    return true
  }

  protected override hasDeliverable(): boolean {
    return this.pending === undefined && this.someInbound((m) => delimiterAt(m) >= 0)
  }

  protected xrecv(): Buffer[] | undefined {
    if (this.pending) return undefined
    for (;;) {
      const m = this.readFair()
      if (!m) return undefined
      const pipe = this.readPipe!
      const d = delimiterAt(m)
      if (d < 0) continue
      this.pending = { pipe, envelope: m.slice(0, d + 1) }
      return m.slice(d + 1)
    }
  }
}
