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
  wireErrorOf,
  type ReplyBody,
} from "./protocol.js"

export interface RpcClientOptions {
  /** ms to wait for each attempt's reply (including the wait for a free socket). Default 5000. */
  timeout: number
  /** Extra attempts after a timeout, each with the same call id. Default 0. */
  retries: number
  /** Topic named by calls that do not name one. Default "default". */
  topic: string
  /** Most REQ sockets (so calls in flight) at once. Default 128. */
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
  /** Attempts resent after a timeout. */
  retries: number
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

interface Waiter {
  give: (req: Request) => void
}

export class RpcClient {
  private readonly options: RpcClientOptions
  private readonly endpoints: string[]
  private readonly idle: Request[] = []
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
    socketsOpened: 0,
    socketsDiscarded: 0,
  }

  /**
   * @param endpoint the broker frontend (or a REP server) to connect to; several endpoints make each
   *   socket connect to all of them, and REQ round-robins over them.
   * Throws at once (EINVAL, EPROTONOSUPPORT) for a malformed endpoint.
   */
  constructor(endpoint: string | string[], options: Partial<RpcClientOptions> = {}) {
    this.endpoints = Array.isArray(endpoint) ? endpoint : [endpoint]
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
    // One socket at once: it checks the endpoints now, and is connected by the first call.
    this.idle.push(this.openSocket())
  }

  /**
   * Calls `method` and resolves with its result. Rejects with {@link RemoteError} if the handler threw
   * (or the server refused the call: unknown method, topic or version), with {@link TimeoutError} if no
   * reply came within `timeout` ms on the last of `1 + retries` attempts, with RpcError ERR_RPC_CLOSED
   * if the client is closed meanwhile.
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

  /** REQ sockets open now (idle and busy). */
  get sockets(): number {
    return this.open
  }

  /** Closes every socket; calls still waiting reject with RpcError ERR_RPC_CLOSED. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const abort of [...this.inFlight]) abort()
    for (const s of this.idle.splice(0)) s.close()
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
    for (let attempt = 1; ; attempt++) {
      const reply = await this.attempt(frames, timeout, id)
      if (reply === LOST) {
        if (attempt <= retries) {
          this.counters.retries++
          continue
        }
        this.counters.timeouts++
        throw new TimeoutError(method, id, timeout, attempt)
      }
      return this.outcome(reply, kind, method, id)
    }
  }

  private outcome(reply: ReplyBody, kind: number, method: string, id: string): unknown {
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
   * One attempt: take a socket, send, wait for the reply. Resolves LOST on timeout (the socket is then
   * discarded) or when a reply for another call id shows up (never expected with correlate; treated
   * as lost so that a retry can repair it).
   */
  private attempt(frames: Buffer[], timeout: number, id: string): Promise<ReplyBody | typeof LOST> {
    return new Promise((resolve, reject) => {
      let req: Request | undefined
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
        if (req) this.discard(req)
        reject(new RpcError("ERR_RPC_CLOSED", "client was closed while the call waited"))
      }
      const timer = setTimeout(() => {
        if (done) return
        finish()
        this.dropWaiter(waiter)
        // Lazy pirate: the socket is in an unknown state (request or reply lost); never reuse it.
        if (req) this.discard(req)
        resolve(LOST)
      }, timeout)
      const waiter: Waiter = {
        give: (r) => {
          if (done) return this.release(r)
          req = r
          void exchange(r)
        },
      }
      const exchange = async (r: Request) => {
        let body: Buffer | undefined
        try {
          await r.send(frames)
          ;[body] = await r.receive()
        } catch (e) {
          if (done) return
          finish()
          this.discard(r)
          return reject(e)
        }
        if (done) return
        finish()
        let reply: ReplyBody
        try {
          reply = decodeReply(body!)
        } catch (e) {
          this.discard(r)
          return reject(e)
        }
        if (reply.id !== id) {
          this.discard(r)
          return resolve(LOST)
        }
        this.release(r)
        resolve(reply)
      }
      this.inFlight.add(abort)
      this.acquire(waiter)
    })
  }

  // ---- the pool ------------------------------------------------------------------------------

  private openSocket(): Request {
    const req = new Request({ ...this.options.socketOptions, correlate: true })
    try {
      for (const ep of this.endpoints) req.connect(ep)
    } catch (e) {
      req.close()
      throw e
    }
    this.open++
    this.counters.socketsOpened++
    return req
  }

  private acquire(w: Waiter): void {
    const idle = this.idle.pop()
    if (idle) return w.give(idle)
    if (this.open < this.options.poolSize) return w.give(this.openSocket())
    this.waiters.push(w)
  }

  private release(req: Request): void {
    if (this.closed) {
      this.discard(req)
      return
    }
    const w = this.waiters.shift()
    if (w) w.give(req)
    else this.idle.push(req)
  }

  private discard(req: Request): void {
    if (!req.closed) req.close()
    this.open--
    this.counters.socketsDiscarded++
    // A waiter may now open a socket of its own.
    if (!this.closed && this.waiters.length > 0 && this.open < this.options.poolSize) this.waiters.shift()!.give(this.openSocket())
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
