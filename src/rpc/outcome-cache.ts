/**
 * The server's memory of call ids it has seen, so that a retried call (same call id, see
 * protocol.ts) is answered from the first execution instead of running again.
 *
 * An entry is created when a request is first seen, before its handler runs, so a retry that arrives
 * while the first attempt is still running waits for that attempt's outcome rather than starting a
 * second one. Entries are evicted oldest first once there are more than `capacity`; an entry still
 * running is never evicted (its waiters need it), so the bound is `capacity` plus the calls in flight.
 */

/** One remembered call: the encoded reply, once known. */
export interface CacheEntry {
  /** The encoded reply body; undefined while the handler runs. */
  reply: Buffer | undefined
  /** Resolves with the reply body when the handler finishes. */
  readonly done: Promise<Buffer>
}

export class OutcomeCache {
  private readonly entries = new Map<string, CacheEntry & { settle: (b: Buffer) => void }>()

  constructor(
    /** How many finished outcomes to remember. 0 turns deduplication off. */
    readonly capacity: number,
  ) {}

  /** The entry for `id`, if remembered. */
  get(id: string): CacheEntry | undefined {
    return this.entries.get(id)
  }

  /**
   * Remembers `id` as running and returns a function that records its reply. Call only after
   * {@link get} returned undefined.
   */
  begin(id: string): (reply: Buffer) => void {
    let settle!: (b: Buffer) => void
    const done = new Promise<Buffer>((r) => (settle = r))
    const entry = { reply: undefined as Buffer | undefined, done, settle }
    if (this.capacity > 0) {
      this.entries.set(id, entry)
      this.evict()
    }
    return (reply: Buffer) => {
      entry.reply = reply
      entry.settle(reply)
    }
  }

  /** Number of remembered ids (running and finished). */
  get size(): number {
    return this.entries.size
  }

  private evict(): void {
    if (this.entries.size <= this.capacity) return
    // Map iteration is insertion order: the oldest first. Skip (keep) entries still running.
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.capacity) return
      if (e.reply !== undefined) this.entries.delete(id)
    }
  }
}
