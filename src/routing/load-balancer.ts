/**
 * Round-robin over pipes that have room (RFC 28: DEALER and REQ "SHALL route outgoing messages to
 * available peers using a round-robin strategy").
 */
import type { Pipe } from "../pipe/pipe.js"

export class LoadBalancer {
  private readonly pipes: Pipe[] = []
  private next = 0

  add(p: Pipe): void {
    this.pipes.push(p)
  }

  remove(p: Pipe): void {
    const i = this.pipes.indexOf(p)
    if (i < 0) return
    this.pipes.splice(i, 1)
    if (this.next > i) this.next--
    if (this.next >= this.pipes.length) this.next = 0
  }

  /** The next pipe in turn with room, advancing the turn past it; undefined if none has room. */
  pick(): Pipe | undefined {
    const n = this.pipes.length
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n
      const p = this.pipes[i]!
      if (p.makeRoom()) {
        this.next = (i + 1) % n
        return p
      }
    }
    return undefined
  }

  /** True if some pipe has room. */
  get hasRoom(): boolean {
    for (const p of this.pipes) if (p.writable) return true
    return false
  }

  get size(): number {
    return this.pipes.length
  }
}
