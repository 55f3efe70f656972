/**
 * DEALER (RFC 28 "The DEALER Socket Type"): round-robin out over peers with room, fair-queued in,
 * messages passed through unchanged.
 */
import type { Pipe } from "../pipe/pipe.js"
import type { SocketOptions } from "../options.js"
import { LoadBalancer } from "../routing/load-balancer.js"
import { SocketBase } from "./socket-base.js"

export class Dealer extends SocketBase {
  protected readonly typeName = "DEALER" as const
  private readonly lb = new LoadBalancer()

  constructor(options: Partial<SocketOptions> = {}) {
    super()
    this.applyOptions(options)
  }

  protected override pipeAdded(p: Pipe): void {
    this.lb.add(p)
  }

  protected override pipeRemoved(p: Pipe): void {
    this.lb.remove(p)
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
    return this.readFair()?.[0]
  }
}
