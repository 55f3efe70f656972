/**
 * RpcClient: `call` and `cast` over a pool of REQ sockets (RFC 28), usually connected to a broker's
 * ROUTER frontend over tcp.
 *
 * Why a pool of REQ sockets rather than one DEALER with call ids: REQ is the founding design, it
 * works against any REP server behind any broker (libzmq's zmq_proxy included), and it makes
 * recovery simple and local. A REQ is lock-step, so each socket carries one call at a time; the pool
 * grows on demand up to `poolSize` sockets (default 128), and calls beyond that wait for a free socket
 * (that wait counts against their timeout). Idle sockets are kept for the next call.
 *
 * Recovery is the "lazy pirate" pattern: a REQ whose reply did not come within `timeout` is in an
 * unknown state (its request or reply may be lost, e.g. because the broker restarted), so it is closed
 * and thrown away, never reused; the next attempt takes a fresh socket. With `retries` set, the call
 * is resent with the same call id, and the server answers a repeated id from its outcome cache, so
 * the handler runs once however many times the request arrives (per server; see server.ts).
 *
 * Several brokers: each REQ socket is connected to one endpoint, and the client picks the endpoint
 * of each attempt: round-robin over the endpoints (so concurrent calls spread over the brokers),
 * preferring those that are up (a REQ per endpoint that never sends watches its connection), and
 * never the broker the call's previous attempt timed out on while another will do. The watching
 * socket keeps reconnecting, so a broker that comes back is used again.
 * A broker's refusal (ERR_RPC_UNAVAILABLE marked {@link BROKER_REFUSAL}: it had no server to hand
 * the request to) proves the request never ran, so it is resent within the same attempt, without
 * using one of `retries`: at once to a broker that has not refused it, or, when every broker that is
 * up refused it, after a short pause (25 to 200 ms), until the attempt's timeout; then the next
 * attempt, and after the last the caller gets the refusal as a RemoteError. A server's own
 * ERR_RPC_UNAVAILABLE is not resent.
 *
 * Each REQ uses ZMQ_REQ_CORRELATE, and every reply must carry the call id it answers: a late reply
 * to an earlier request can never be mistaken for the answer to this one.
 */
import { Buffer } from "node:buffer"
import { randomBytes } from "node:crypto"
import type { RequestOptions } from "../options.js"
import { Request } from "../sockets/request.js"
import { RemoteError, RpcError, TimeoutError } from "./errors.js"
import {
  DEFAULT_TOPIC,
  KIND_CALL,
  KIND_CAST,
  STATUS_ACK,
  STATUS_ERROR,
  STATUS_OK,
  decodeReply,
  encodeRequest,
  isBrokerRefusal,
  wireErrorOf,
  type ReplyBody,
} from "./protocol.js"

export interface RpcClientOptions {
  /**
   * ms to wait for each attempt's reply (including the wait for a free socket, and resends after a
   * broker's refusal within the attempt). Default 5000.
   */
  timeout: number
  /** Extra attempts after a timeout, each with the same call id. Default 0. */
  retries: number
  /** Topic named by calls that do not name one. Default "default". */
  topic: string
  /** Most REQ sockets (so calls in flight) at once, over all endpoints (at least one per endpoint). Default 128. */
  poolSize: number
  /**
   * Options for each REQ socket (zeromq.js names), over the defaults {@link RPC_SOCKET_DEFAULTS}
   * (`linger: 0`, `immediate: true`, heartbeats every 1 s, 3 s timeout). `correlate` is always on.
   */
  socketOptions: Partial<RequestOptions>
}

/** Per-call overrides. */
export interface CallOptions {
  timeout?: number
  retries?: number
  topic?: string
}

/** Counters, readable at any time. */
export interface RpcClientStats {
  calls: number
  casts: number
  /** Calls and casts resolved. */
  ok: number
  /** Rejected with RemoteError. */
  remoteErrors: number
  /** Rejected with TimeoutError. */
  timeouts: number
  /** Attempts resent after a timeout (or after every broker refused the attempt). */
  retries: number
  /**
   * Refusals by a broker (ERR_RPC_UNAVAILABLE: it had no server to hand the request to, so the
   * request never ran); each is resent at once to another broker within the same attempt.
   */
  refusals: number
  /** REQ sockets opened, and thrown away after a timeout (lazy pirate). */
  socketsOpened: number
  socketsDiscarded: number
}

/**
 * What the RPC layer sets on every socket it opens (client REQs, server REPs, the broker's ROUTER
 * and DEALERs), under whatever `socketOptions` the user gives. With several brokers:
 * - `immediate: true` (ZMQ_IMMEDIATE): a REQ queues a request only on a connection whose handshake
 *   is complete. Without it, a REQ connected to a broker that is down keeps a pipe for it, and its
 *   round-robin hands every other request to that pipe, where it waits until the broker is back
 *   (the call times out instead of going to a broker that is up).
 * - heartbeats (ZMTP 3.1 PING/PONG, RFC 37): a PING every `heartbeatInterval` 1000 ms, and the
 *   connection is dropped when nothing came for `heartbeatTimeout` 3000 ms. A broker that is
 *   unreachable but never closed its connections (a partition) is so noticed within about 3 s;
 *   until then requests sent to it are lost and retried. With `immediate` a dropped connection gets
 *   no requests until its reconnection's handshake is complete, i.e. until the broker is reachable.
 *   `heartbeatTimeToLive` tells the peer the same 3 s, so the far side drops its end too.
 * - `linger: 0`: a socket thrown away drops what it holds (the caller retries).
 */
export const RPC_SOCKET_DEFAULTS = {
  linger: 0,
  immediate: true,
  heartbeatInterval: 1000,
  heartbeatTimeout: 3000,
  heartbeatTimeToLive: 3000,
} as const

const LOST = Symbol("lost")

/** A REQ socket of the pool and the index of the one endpoint it is connected to. */
interface Slot {
  readonly req: Request
  readonly ep: number
}

interface Waiter {
  /** The endpoint this attempt is to go to. */
  readonly ep: number
  give: (s: Slot) => void
}

export class RpcClient {
  private readonly options: RpcClientOptions
  private readonly endpoints: string[]
  /** Idle sockets, per endpoint. */
  private readonly idle: Slot[][]
  /**
   * With several endpoints, one REQ per endpoint that never sends: `writable` is true exactly while
   * it has a connection whose handshake is complete (ZMQ_IMMEDIATE), so it tells whether the broker
   * is up now. It reconnects by itself (a broker that comes back is seen), and its heartbeats drop
   * a partitioned connection as every other socket's do.
   */
  private readonly sentinels: Request[] = []
  /** Where the next attempt's round-robin over the endpoints starts. */
  private next = 0
  private readonly poolSize: number
  private readonly waiters: Waiter[] = []
  private readonly inFlight = new Set<() => void>()
  private open = 0
  private closed = false
  private readonly tag = randomBytes(6).toString("base64url")
  private seq = 0
  private readonly counters: RpcClientStats = {
    calls: 0,
    casts: 0,
    ok: 0,
    remoteErrors: 0,
    timeouts: 0,
    retries: 0,
    refusals: 0,
    socketsOpened: 0,
    socketsDiscarded: 0,
  }

  /**
   * @param endpoint the broker frontend (or a REP server) to connect to, or several brokers' (see the
   *   class comment: each REQ socket connects to one of them, and each attempt picks its broker).
   * Throws at once (EINVAL, EPROTONOSUPPORT) for a malformed endpoint.
   */
  constructor(endpoint: string | string[], options: Partial<RpcClientOptions> = {}) {
    this.endpoints = Array.isArray(endpoint) ? [...endpoint] : [endpoint]
    if (this.endpoints.length === 0) throw new RpcError("EINVAL", "no endpoint to connect to")
    this.options = {
      timeout: options.timeout ?? 5000,
      retries: options.retries ?? 0,
      topic: options.topic ?? DEFAULT_TOPIC,
      poolSize: options.poolSize ?? 128,
      // Merged, so that setting one option keeps the others (a discarded REQ must not linger).
      socketOptions: { ...RPC_SOCKET_DEFAULTS, ...options.socketOptions },
    }
    checkCallOptions(this.options)
    if (!Number.isInteger(this.options.poolSize) || this.options.poolSize < 1) throw new RpcError("EINVAL", "poolSize must be a positive integer")
    // One idle socket per endpoint is opened at once, so the pool holds at least that many.
    this.poolSize = Math.max(this.options.poolSize, this.endpoints.length)
    this.idle = this.endpoints.map(() => [])
    // Opened now: it checks the endpoints at once, and connects before the first call.
    try {
      for (let ep = 0; ep < this.endpoints.length; ep++) this.idle[ep]!.push(this.openSocket(ep))
      if (this.endpoints.length > 1) for (let ep = 0; ep < this.endpoints.length; ep++) this.sentinels.push(this.connected(ep))
    } catch (e) {
      for (const list of this.idle) for (const s of list.splice(0)) s.req.close()
      for (const r of this.sentinels.splice(0)) r.close()
      this.open = 0
      throw e
    }
  }

  /**
   * Calls `method` and resolves with its result. Rejects with {@link RemoteError} if the handler threw
   * (or the call was refused: unknown method, topic or version, or ERR_RPC_UNAVAILABLE from every
   * broker on the last attempt), with {@link TimeoutError} if no reply came within `timeout` ms on the
   * last of `1 + retries` attempts, with RpcError ERR_RPC_CLOSED if the client is closed meanwhile.
   */
  async call<T = unknown>(method: string, params?: unknown, options: CallOptions = {}): Promise<T> {
    this.counters.calls++
    return (await this.request(KIND_CALL, method, params, options)) as T
  }

  /**
   * Sends `method` to be run without waiting for its outcome: resolves as soon as the server has
   * acknowledged receipt, which it does once it has read the request and knows the method, before the
   * handler runs (the handler's result is dropped, its failure goes to the server's `onError`).
   * Rejects as {@link call} does; a timeout means the server may or may not have received it.
   */
  async cast(method: string, params?: unknown, options: CallOptions = {}): Promise<void> {
    this.counters.casts++
    await this.request(KIND_CAST, method, params, options)
  }

  /** Counters since start. */
  get stats(): RpcClientStats {
    return { ...this.counters }
  }

  /** REQ sockets open now (idle and busy, and with several endpoints one per endpoint that watches it); 0 once closed. */
  get sockets(): number {
    return this.open + this.sentinels.length
  }

  /** Closes every socket; calls still waiting reject with RpcError ERR_RPC_CLOSED. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const abort of [...this.inFlight]) abort()
    for (const list of this.idle) for (const s of list.splice(0)) this.discard(s)
    for (const r of this.sentinels.splice(0)) r.close()
    this.waiters.length = 0
  }

  private async request(kind: number, method: string, params: unknown, options: CallOptions): Promise<unknown> {
    if (this.closed) throw new RpcError("ERR_RPC_CLOSED", "client is closed")
    if (typeof method !== "string" || method.length === 0) throw new RpcError("EINVAL", "method must be a non-empty string")
    checkCallOptions(options)
    const timeout = options.timeout ?? this.options.timeout
    const retries = options.retries ?? this.options.retries
    const topic = options.topic ?? this.options.topic
    const id = `${this.tag}.${(this.seq++).toString(36)}`
    let frames: Buffer[]
    try {
      frames = [Buffer.from(topic), encodeRequest(kind, id, method, params)]
    } catch (e) {
      throw new RpcError("ERR_RPC_ENCODE", `params of ${method} cannot be encoded: ${(e as Error).message}`)
    }
    // The endpoint whose attempt timed out: the next attempt goes elsewhere when it can.
    let timedOut = -1
    for (let attempt = 1; ; attempt++) {
      const until = Date.now() + timeout
      // Brokers that refused this attempt: it is resent at once to one that has not, within the
      // attempt's time (a refusal proves the request never reached a server, so resending is safe).
      const refusedBy = new Set<number>()
      let refusal: ReplyBody | undefined
      let rounds = 0
      for (;;) {
        const left = until - Date.now()
        if (left <= 0 && refusal) break
        const ep = await this.choose(timedOut, refusedBy, until)
        const reply = await this.attempt(frames, Math.max(until - Date.now(), 1), id, ep)
        if (reply === LOST) {
          timedOut = ep
          refusal = undefined
          break
        }
        if (reply.status === STATUS_ERROR && isBrokerRefusal(wireErrorOf(reply.payload))) {
          this.counters.refusals++
          refusal = reply
          refusedBy.add(ep)
          // Resent at once to a broker that has not refused it and is up. When every one that is up
          // refused (no server anywhere now: servers starting, or reconnecting after a broker's
          // restart), resent after a short pause, until the attempt's time is out: the caller waits
          // for a server as long as it would wait for a reply.
          if (this.endpoints.some((_, e) => !refusedBy.has(e) && this.isUp(e))) continue
          const pause = Math.min(until - Date.now(), 25 * 2 ** Math.min(rounds++, 3))
          if (pause <= 0) break
          await this.pause(pause)
          refusedBy.clear()
          continue
        }
        return this.outcome(reply, kind, method, id)
      }
      if (attempt <= retries) {
        this.counters.retries++
        continue
      }
      if (refusal) return this.outcome(refusal, kind, method, id)
      this.counters.timeouts++
      throw new TimeoutError(method, id, timeout, attempt)
    }
  }

  /**
   * The endpoint of the next attempt: round-robin over the endpoints, so that concurrent calls spread
   * over the brokers, preferring one that is up ({@link isUp}), and never `timedOut` (the broker the call's last attempt timed out on) or
   * one in `refused` while another will do.
   */
  private pick(timedOut: number, refused: Set<number>): number {
    const n = this.endpoints.length
    if (n === 1) return 0
    // Ranks: 0 up and not to avoid, 1 up but to avoid, 2 not known up, 3 not known up and to avoid.
    let best = -1
    let bestRank = 4
    for (let k = 0; k < n && bestRank > 0; k++) {
      const ep = (this.next + k) % n
      const avoid = ep === timedOut || refused.has(ep)
      const rank = (this.isUp(ep) ? 0 : 2) + (avoid ? 1 : 0)
      if (rank < bestRank) {
        best = ep
        bestRank = rank
      }
    }
    // A broker that refused this attempt is never asked again within it (the caller stops at n refusals).
    if (refused.has(best)) for (let ep = 0; ep < n; ep++) if (!refused.has(ep)) best = ep
    this.next = (best + 1) % n
    return best
  }

  /**
   * {@link pick}, but while no endpoint at all is known up (a client just started, whose connections
   * are still in their handshakes, or every broker down) it waits, polling every 10 ms until `until`,
   * for one to come up, as one REQ connected to every broker with ZMQ_IMMEDIATE would wait for its
   * first connection; it does not commit the attempt to a broker that may be dead.
   */
  private async choose(timedOut: number, refused: Set<number>, until: number): Promise<number> {
    for (;;) {
      const ep = this.pick(timedOut, refused)
      if (this.endpoints.length === 1 || this.closed || this.isUp(ep) || Date.now() >= until) return ep
      await this.pause(Math.min(10, until - Date.now()))
    }
  }

  /** Up: its sentinel has a connection whose handshake is complete (always true with one endpoint). */
  private isUp(ep: number): boolean {
    const sentinel = this.sentinels[ep]
    return sentinel === undefined || sentinel.writable
  }

  /** Resolves after `ms`, or at once when the client is closed. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.inFlight.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.inFlight.add(done)
    })
  }

  private outcome(reply: ReplyBody, kind: number, method: string, id: string): unknown {
    if (this.closed) throw new RpcError("ERR_RPC_CLOSED", "client was closed while the call waited")
    if (reply.status === STATUS_ERROR) {
      this.counters.remoteErrors++
      throw new RemoteError(wireErrorOf(reply.payload), method, id)
    }
    if ((kind === KIND_CALL && reply.status === STATUS_OK) || (kind === KIND_CAST && reply.status === STATUS_ACK)) {
      this.counters.ok++
      return reply.payload
    }
    throw new RpcError("ERR_RPC_PROTOCOL", `${method}: unexpected reply status ${reply.status}`)
  }

  /**
   * One attempt on endpoint `ep`: take a socket of it, send, wait for the reply. Resolves LOST on
   * timeout (the socket is then discarded) or when a reply for another call id shows up (never
   * expected with correlate; treated as lost so that a retry can repair it).
   */
  private attempt(frames: Buffer[], timeout: number, id: string, ep: number): Promise<ReplyBody | typeof LOST> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new RpcError("ERR_RPC_CLOSED", "client was closed while the call waited"))
      let slot: Slot | undefined
      let done = false
      const finish = () => {
        done = true
        clearTimeout(timer)
        this.inFlight.delete(abort)
      }
      const abort = () => {
        if (done) return
        finish()
        this.dropWaiter(waiter)
        if (slot) this.discard(slot)
        reject(new RpcError("ERR_RPC_CLOSED", "client was closed while the call waited"))
      }
      const timer = setTimeout(() => {
        if (done) return
        finish()
        this.dropWaiter(waiter)
        // Lazy pirate: the socket is in an unknown state (request or reply lost); never reuse it.
        if (slot) this.discard(slot)
        resolve(LOST)
      }, timeout)
      const waiter: Waiter = {
        ep,
        give: (s) => {
          if (done) return this.release(s)
          slot = s
          void exchange(s)
        },
      }
      const exchange = async (s: Slot) => {
        let body: Buffer | undefined
        try {
          await s.req.send(frames)
          ;[body] = await s.req.receive()
        } catch (e) {
          if (done) return
          finish()
          this.discard(s)
          return reject(e)
        }
        if (done) return
        finish()
        let reply: ReplyBody
        try {
          reply = decodeReply(body!)
        } catch (e) {
          this.discard(s)
          return reject(e)
        }
        if (reply.id !== id) {
          this.discard(s)
          return resolve(LOST)
        }
        this.release(s)
        resolve(reply)
      }
      this.inFlight.add(abort)
      this.acquire(waiter)
    })
  }

  // ---- the pool ------------------------------------------------------------------------------
  // Each REQ connects to one endpoint, so the client, not REQ's round-robin, decides where each
  // attempt goes: a fresh REQ connected to every broker sends its first request over whichever
  // connection's handshake finished first, the same broker for every fresh socket, so retries could
  // not escape a bad broker and concurrent calls did not spread.

  private openSocket(ep: number): Slot {
    const req = this.connected(ep)
    this.open++
    this.counters.socketsOpened++
    return { req, ep }
  }

  private connected(ep: number): Request {
    const req = new Request({ ...this.options.socketOptions, correlate: true })
    try {
      req.connect(this.endpoints[ep]!)
    } catch (e) {
      req.close()
      throw e
    }
    return req
  }

  private acquire(w: Waiter): void {
    const s = this.idle[w.ep]!.pop()
    if (s) return w.give(s)
    if (this.open < this.poolSize) return w.give(this.openSocket(w.ep))
    // The pool is full: trade an idle socket of another endpoint for one here.
    for (let ep = 0; ep < this.idle.length; ep++) {
      if (ep === w.ep || this.idle[ep]!.length === 0) continue
      this.discard(this.idle[ep]!.shift()!, false)
      return w.give(this.openSocket(w.ep))
    }
    this.waiters.push(w)
  }

  private release(s: Slot): void {
    if (this.closed) {
      this.discard(s)
      return
    }
    const i = this.waiters.findIndex((w) => w.ep === s.ep)
    if (i >= 0) return this.waiters.splice(i, 1)[0]!.give(s)
    if (this.waiters.length > 0) {
      // Every waiter wants another endpoint: this socket's place in the pool goes to the first.
      this.discard(s, false)
      const w = this.waiters.shift()!
      return w.give(this.openSocket(w.ep))
    }
    this.idle[s.ep]!.push(s)
  }

  /** Closes a socket; `counted` false for a socket traded in the pool (not thrown away after a failure). */
  private discard(s: Slot, counted = true): void {
    if (!s.req.closed) s.req.close()
    this.open--
    if (counted) this.counters.socketsDiscarded++
    if (this.closed || !counted) return
    // A waiter may now open a socket of its own.
    if (this.waiters.length > 0 && this.open < this.poolSize) {
      const w = this.waiters.shift()!
      w.give(this.openSocket(w.ep))
    }
  }

  private dropWaiter(w: Waiter): void {
    const i = this.waiters.indexOf(w)
    if (i >= 0) this.waiters.splice(i, 1)
  }
}

function checkCallOptions(o: { timeout?: number; retries?: number; topic?: string }): void {
  if (o.timeout !== undefined && (!Number.isFinite(o.timeout) || o.timeout <= 0)) throw new RpcError("EINVAL", "timeout must be a positive number of ms")
  if (o.retries !== undefined && (!Number.isInteger(o.retries) || o.retries < 0)) throw new RpcError("EINVAL", "retries must be an integer >= 0")
  if (o.topic !== undefined && (typeof o.topic !== "string" || o.topic.length === 0)) throw new RpcError("EINVAL", "topic must be a non-empty string")
}
