/** A FIFO over a growable ring buffer: O(1) push and shift, no per-item allocation. */
export class Queue<T> {
  private buf: (T | undefined)[] = new Array(16)
  private head = 0
  private size = 0

  get length(): number {
    return this.size
  }

  push(v: T): void {
    if (this.size === this.buf.length) this.grow()
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = v
    this.size++
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.buf[this.head]
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined
    const v = this.buf[this.head]
    this.buf[this.head] = undefined
    this.head = (this.head + 1) & (this.buf.length - 1)
    this.size--
    return v
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const out = new Array<T>(this.size)
    for (let i = 0; i < out.length; i++) out[i] = this.shift() as T
    return out
  }

  /** The items, oldest first, without removing them. */
  *items(): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.buf[(this.head + i) & (this.buf.length - 1)] as T
  }

  clear(): void {
    this.buf = new Array(16)
    this.head = 0
    this.size = 0
  }

  private grow(): void {
    // Capacity stays a power of two so that the index wraps with a mask.
    const old = this.buf
    const next = new Array<T | undefined>(old.length * 2)
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & (old.length - 1)]
    this.buf = next
    this.head = 0
  }
}
