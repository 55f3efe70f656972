/**
 * DEALER (RFC 28 "The DEALER Socket Type"): round-robin out over peers with room, fair-queued in,
 * messages passed through unchanged.
 */
import type { DealerOptions } from "../options.js"
import { defineOptions } from "./socket-options.js"
import { RoundRobinSocket } from "./round-robin.js"

export class Dealer extends RoundRobinSocket {
  protected readonly typeName = "DEALER" as const
  /** ZMQ_PROBE_ROUTER. See {@link DealerOptions.probeRouter}. */
  declare probeRouter: boolean
  /** ZMQ_CONFLATE. See {@link DealerOptions.conflate} (true is refused). */
  declare conflate: boolean

  constructor(options: Partial<DealerOptions> = {}) {
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

defineOptions(Dealer.prototype, ["probeRouter", "conflate"])
