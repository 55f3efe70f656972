/**
 * Socket events, with zeromq.js v6's names and payloads (`sock.events`): an observer that is both an
 * event emitter (`on`, `off`) and an async iterable / `receive()` source.
 */
import { zerr, type ZmtpError } from "./errors.js"
import { hold, release } from "./lifetime.js"

/** Event names as zeromq.js reports them. */
export type EventType =
  | "accept"
  | "accept:error"
  | "bind"
  | "bind:error"
  | "connect"
  | "connect:delay"
  | "connect:retry"
  | "close"
  | "close:error"
  | "disconnect"
  | "end"
  | "handshake"
  | "handshake:error:protocol"
  | "handshake:error:auth"
  | "handshake:error:other"
  | "unknown"

/**
 * One event, shaped as zeromq.js's: `address` as libzmq's monitor names the endpoint (absent for
 * `end`, and for the `close` of a tcp bind that failed), `interval` with connect:retry, `error` (with
 * `code`, and `errno` for a libzmq errno) with the error events.
 */
export interface SocketEvent {
  type: EventType
  address?: string
  interval?: number
  error?: ZmtpError | Error
}

/** Events kept for `receive()` when nobody is reading: oldest dropped beyond this, so memory stays bounded. */
const BUFFER_LIMIT = 1000

export class Observer implements AsyncIterable<SocketEvent> {
  private listeners = new Map<EventType, Set<(e: SocketEvent) => void>>()
  private buffered: SocketEvent[] = []
  private waiters: { resolve: (e: SocketEvent) => void; reject: (e: Error) => void }[] = []
  private ended = false
  /** True while a receive() waits or a listener is registered: the process stays alive meanwhile, as zeromq.js's does. */
  private holding = false

  /** True once the socket closed and every event has been handed out. */
  get closed(): boolean {
    return this.ended && this.buffered.length === 0
  }

  /** Calls `listener` for each event of `type`. */
  on(type: EventType, listener: (e: SocketEvent) => void): this {
    let set = this.listeners.get(type)
    if (!set) this.listeners.set(type, (set = new Set()))
    set.add(listener)
    this.updateHold()
    return this
  }

  off(type: EventType, listener: (e: SocketEvent) => void): this {
    this.listeners.get(type)?.delete(listener)
    this.updateHold()
    return this
  }

  /**
   * zeromq.js reads events with a pending receive: one that waits, or the loop behind on(), keeps
   * the process alive until the socket closes (lifetime.ts).
   */
  private updateHold(): void {
    let busy = !this.ended && this.waiters.length > 0
    if (!busy && !this.ended) for (const set of this.listeners.values()) if (set.size > 0) busy = true
    if (busy === this.holding) return
    this.holding = busy
    if (busy) hold()
    else release()
  }

  /** Resolves to the next event; rejects with EBADF-like error once the socket has closed and all events are read. */
  receive(): Promise<SocketEvent> {
    const e = this.buffered.shift()
    if (e) return Promise.resolve(e)
    if (this.ended) return Promise.reject(zerr("EBADF"))
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      this.updateHold()
    })
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SocketEvent> {
    while (!this.closed) {
      try {
        yield await this.receive()
      } catch {
        return
      }
    }
  }

  /**
   * Stops observing (the socket's events are no longer kept). As zeromq.js's, the observer reads as
   * `closed` at once and a later `receive()` rejects with EBADF: events not yet read are dropped.
   * Listeners and a `receive()` already waiting still get the final `end`.
   */
  close(): void {
    this.emit({ type: "end" }) // a no-op if the socket already ended it
    this.buffered.length = 0
  }

  /** @internal Called by the socket. */
  emit(e: SocketEvent): void {
    if (this.ended) return
    const set = this.listeners.get(e.type)
    if (set) for (const l of set) l(e)
    const w = this.waiters.shift()
    if (w) w.resolve(e)
    else {
      this.buffered.push(e)
      if (this.buffered.length > BUFFER_LIMIT) this.buffered.shift()
    }
    if (e.type === "end") {
      this.ended = true
      for (const w of this.waiters.splice(0)) w.reject(zerr("EBADF"))
    }
    this.updateHold()
  }
}
