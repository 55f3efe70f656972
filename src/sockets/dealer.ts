/**
 * DEALER (RFC 28 "The DEALER Socket Type"): round-robin out over peers with room, fair-queued in,
 * messages passed through unchanged.
 */
import type { SocketOptions } from "../options.js"
import { RoundRobinSocket } from "./round-robin.js"

export class Dealer extends RoundRobinSocket {
  protected readonly typeName = "DEALER" as const

  constructor(options: Partial<SocketOptions> = {}) {
    super()
    this.applyOptions(options)
  }

  protected override canSendNow(): boolean {
    return this.lb.hasRoom
  }

  protected xsend(frames: Buffer[]): boolean {
    const p = this.lb.pick()
    if (!p) return false
    p.write(frames)
    return true
  }

  protected xrecv(): Buffer[] | undefined {
    return this.readFair()
  }
}
