/**
 * The server's memory of call ids it has seen, so that a retried call (same call id, see
 * protocol.ts) is answered from the first execution instead of running again.
 *
 * An entry is created when a request is first seen, before its handler runs, so a retry that arrives
 * while the first attempt is still running waits for that attempt's outcome rather than starting a
 * second one. Entries still running are never evicted (their waiters need them); there are at most
 * as many as the server has REP sockets, since each socket handles one request at a time.
 *
 * Finished outcomes are kept within three bounds, oldest first out:
 * - `capacity` outcomes;
 * - `maxBytes` of encoded replies, counted with {@link ENTRY_OVERHEAD} each. An outcome larger than
 *   `maxBytes / 16` is not kept at all, so one huge result cannot flush the rest: a retry that comes
 *   after it finished runs the handler again (one that comes while it runs still waits for it);
 * - `ttl` ms after it finished; a timer lets expired outcomes go even when no request comes.
 *
 * A kept reply is copied into a buffer of its own: msgpackr's output is a slice of a shared buffer
 * (a few MiB after a large message), and a slice kept for a minute would keep all of it alive.
 */

/** One remembered call: the encoded reply, once known. */
export interface CacheEntry {
  /** The encoded reply body; undefined while the handler runs. */
  reply: Buffer | undefined
  /** Resolves with the reply body when the handler finishes. */
  readonly done: Promise<Buffer>
}

/** The bounds of an {@link OutcomeCache}. */
export interface OutcomeCacheLimits {
  /** How many finished outcomes to remember. 0 turns deduplication off (not even running calls). */
  capacity: number
  /** Bytes of finished outcomes to remember. */
  maxBytes: number
  /** ms to remember a finished outcome. */
  ttl: number
}

/** What an entry costs besides its reply (id, map slot, objects): an estimate, so that tiny replies count too. */
export const ENTRY_OVERHEAD = 256

interface Running extends CacheEntry {
  settle: (b: Buffer) => void
}

interface Finished extends CacheEntry {
  readonly reply: Buffer
  readonly bytes: number
  readonly expires: number
}

export class OutcomeCache {
  private readonly running = new Map<string, Running>()
  /** Finished outcomes in the order they finished: the oldest first, for eviction and expiry. */
  private readonly finished = new Map<string, Finished>()
  private heldBytes = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    readonly limits: OutcomeCacheLimits,
    /** The clock (tests replace it). */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The largest reply that is kept once finished. */
  get maxEntryBytes(): number {
    return Math.floor(this.limits.maxBytes / 16)
  }

  /** The entry for `id`, if remembered. */
  get(id: string): CacheEntry | undefined {
    const r = this.running.get(id)
    if (r) return r
    this.expire()
    return this.finished.get(id)
  }

  /**
   * Remembers `id` as running and returns a function that records its reply. Call only after
   * {@link get} returned undefined.
   */
  begin(id: string): (reply: Buffer) => void {
    let settle!: (b: Buffer) => void
    const done = new Promise<Buffer>((r) => (settle = r))
    const entry: Running = { reply: undefined, done, settle }
    if (this.limits.capacity > 0) this.running.set(id, entry)
    return (reply: Buffer) => {
      entry.reply = reply
      entry.settle(reply)
      if (this.running.get(id) !== entry) return
      this.running.delete(id)
      this.keep(id, reply, done)
    }
  }

  /** Finished outcomes remembered now. */
  get size(): number {
    this.expire()
    return this.finished.size
  }

  /** Bytes the finished outcomes count against `maxBytes` now. */
  get bytes(): number {
    this.expire()
    return this.heldBytes
  }

  /** Forgets everything and stops the expiry timer. Running entries still settle their waiters. */
  clear(): void {
    this.running.clear()
    this.finished.clear()
    this.heldBytes = 0
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private keep(id: string, reply: Buffer, done: Promise<Buffer>): void {
    if (reply.length > this.maxEntryBytes) return
    const own = Buffer.allocUnsafeSlow(reply.length)
    reply.copy(own)
    const bytes = own.length + ENTRY_OVERHEAD
    this.finished.set(id, { reply: own, done, bytes, expires: this.now() + this.limits.ttl })
    this.heldBytes += bytes
    for (const [oldId, e] of this.finished) {
      if (this.finished.size <= this.limits.capacity && this.heldBytes <= this.limits.maxBytes) break
      this.drop(oldId, e)
    }
    this.arm()
  }

  private drop(id: string, e: Finished): void {
    this.finished.delete(id)
    this.heldBytes -= e.bytes
  }

  private expire(): void {
    const now = this.now()
    for (const [id, e] of this.finished) {
      if (e.expires > now) break
      this.drop(id, e)
    }
  }

  /** One timer for the oldest outcome's expiry, unref'd so it never keeps the process alive. */
  private arm(): void {
    if (this.timer !== undefined) return
    const oldest = this.finished.values().next().value as Finished | undefined
    if (!oldest) return
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        this.expire()
        this.arm()
      },
      Math.max(1, oldest.expires - this.now()),
    )
    this.timer.unref?.()
  }
}

/**
 * What an {@link OutcomeStore} says about a call id when a request carrying it arrives:
 * - `new`: nobody has it; this server runs the handler and then calls `finish(id, reply)`;
 * - `running`: an earlier attempt is running (on this server, or on another sharing the store);
 *   `done` resolves with its encoded reply, which is sent instead of running the handler again;
 * - `done`: the encoded reply of the attempt that ran.
 */
export type Claim = { state: "new" } | { state: "running"; done: Promise<Buffer> } | { state: "done"; reply: Buffer }

/**
 * Where an {@link RpcServer} remembers the call ids it has seen, so that a retried call is answered
 * from the first attempt instead of running again (at-most-once). The default is a
 * {@link MemoryOutcomeStore} per server: a call runs at most once on that server. Give several
 * servers one store that they all reach (one MemoryOutcomeStore for servers in one process, or a
 * store of your own over Redis, a database ...) and a call runs at most once across all of them.
 *
 * `claim` must be atomic: of concurrent claims of one id, exactly one gets `new`. A store shared
 * between processes must also let a `running` claim go when its owner dies (a lease with a TTL),
 * or retries of that call wait on it until their client times out.
 */
export interface OutcomeStore {
  claim(id: string): Claim | Promise<Claim>
  /** Records the reply of a call this server claimed as `new` (an RPC error reply included). */
  finish(id: string, reply: Buffer): void | Promise<void>
}

/**
 * The in-memory {@link OutcomeStore}: an {@link OutcomeCache} within the given limits. One per server
 * by default; pass one instance to several servers of one process to share it.
 */
export class MemoryOutcomeStore implements OutcomeStore {
  private readonly cache: OutcomeCache
  private readonly recorders = new Map<string, (reply: Buffer) => void>()

  constructor(limits: Partial<OutcomeCacheLimits> = {}) {
    this.cache = new OutcomeCache({ capacity: limits.capacity ?? 10_000, maxBytes: limits.maxBytes ?? 64 * 1024 * 1024, ttl: limits.ttl ?? 60_000 })
  }

  claim(id: string): Claim {
    const e = this.cache.get(id)
    if (e) return e.reply ? { state: "done", reply: e.reply } : { state: "running", done: e.done }
    this.recorders.set(id, this.cache.begin(id))
    return { state: "new" }
  }

  finish(id: string, reply: Buffer): void {
    const record = this.recorders.get(id)
    if (!record) return
    this.recorders.delete(id)
    record(reply)
  }

  /** Finished outcomes remembered now. */
  get size(): number {
    return this.cache.size
  }

  /** Bytes they count against `maxBytes` now. */
  get bytes(): number {
    return this.cache.bytes
  }

  /** Forgets everything. */
  clear(): void {
    this.recorders.clear()
    this.cache.clear()
  }
}
