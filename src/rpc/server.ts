/**
 * RpcServer: runs handlers by method name behind REP sockets (RFC 28), usually connected to a
 * broker's DEALER backend over ipc (the founding design: clients -> ROUTER | broker | DEALER -> REP).
 *
 * Concurrency: a REP socket answers one request at a time (RFC 28: it "SHALL NOT" take the next
 * request before it has replied), so the server opens `concurrency` REP sockets to each endpoint
 * and runs one receive -> handle -> reply loop per socket. The broker's DEALER round-robins requests
 * over all of them, so up to `concurrency` async handlers run at once per server. We keep REP rather
 * than a DEALER-based server so the server speaks plain REQ/REP and works behind any broker,
 * including libzmq's zmq_proxy, and behind nothing at all (a REQ connecting straight to it).
 *
 * Calls and casts:
 * - a call's reply is sent when its handler has finished (its result, or its error);
 * - a cast is acknowledged as soon as the request is read and a handler for it exists; the handler
 *   then runs in the background and its outcome is reported only to `onError` (if it fails).
 *
 * Retries never run a handler twice where the store reaches: the outcome of each call id is kept in
 * an {@link OutcomeStore} (by default a bounded in-memory one of this server's own), and a request
 * whose id is there gets the remembered reply (or waits for the running one). With the default store
 * the guarantee holds per server process: two servers (behind one broker or several) do not share
 * their memory, so a retry that a broker routes to the other server runs there too. Servers given one
 * shared store run each call id at most once between them. Either way it holds only while the
 * outcome is remembered: for the default store within `cacheTtl`, `cacheSize` and `cacheBytes`, and
 * for results of at most `cacheBytes / 16` (a larger result is not kept, so its retry runs again).
 *
 * A handler that never settles would hold its REP socket (and the caller) for ever: `handlerTimeout`
 * answers such a call with ERR_RPC_HANDLER_TIMEOUT and frees the socket. JavaScript cannot stop the
 * handler itself; `ctx.signal` is aborted so that a handler that listens can stop its work.
 *
 * Nothing a handler or a store does can stop a serve loop: each request gets a reply (a REP socket
 * that has read a request can take no other until it has replied, RFC 28), so whatever a handler
 * throws becomes a wire error, a store that fails or answers nonsense refuses the call with
 * ERR_RPC_UNAVAILABLE, and a store that does not answer within `storeTimeout` does the same.
 */
import { Reply } from "../sockets/reply.js"
import type { SocketOptions } from "../options.js"
import { RpcError, toWireError, type WireError } from "./errors.js"
import { MemoryOutcomeStore, type Claim, type OutcomeStore } from "./outcome-cache.js"
import { RPC_SOCKET_DEFAULTS } from "./client.js"
import {
  DEFAULT_TOPIC,
  KIND_CAST,
  STATUS_ACK,
  STATUS_ERROR,
  STATUS_OK,
  decodeRequest,
  encodeError,
  encodeReply,
  type RequestBody,
} from "./protocol.js"

/** What a handler learns about the call besides its params. */
export interface CallContext {
  /** The call id (unchanged across retries). */
  readonly id: string
  readonly method: string
  /** The topic the client named. */
  readonly topic: string
  /** True for a cast (the caller has its acknowledgement already). */
  readonly cast: boolean
  /**
   * Aborted when nobody will use the handler's outcome any more: its `handlerTimeout` ran out
   * (reason: RpcError ERR_RPC_HANDLER_TIMEOUT) or the server was closed (ERR_RPC_CLOSED). Pass it to
   * fetch() and the like, or check it, to stop work that no longer matters.
   */
  readonly signal: AbortSignal
}

/** A call's context; its AbortController is made only if the handler asks for the signal. */
class Context implements CallContext {
  private controller: AbortController | undefined
  private reason: unknown
  constructor(
    readonly id: string,
    readonly method: string,
    readonly topic: string,
    readonly cast: boolean,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.reason !== undefined) this.controller.abort(this.reason)
    }
    return this.controller.signal
  }

  abort(reason: RpcError): void {
    if (this.reason !== undefined) return
    this.reason = reason
    this.controller?.abort(reason)
  }
}

/** A method implementation. May be async; what it throws goes back to the caller as a RemoteError. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (params: any, ctx: CallContext) => unknown

export interface RpcServerOptions {
  /** REP sockets per connected endpoint, i.e. calls handled at once per endpoint. Default 16. */
  concurrency: number
  /** The topic served; requests naming another topic are refused with ERR_RPC_TOPIC. "*" serves any. Default "default". */
  topic: string
  /**
   * Where call ids and their outcomes are remembered, so that a retry never runs a call again (see
   * {@link OutcomeStore}). Default: a {@link MemoryOutcomeStore} of this server's own, within
   * `cacheSize`, `cacheBytes` and `cacheTtl` (which apply to the default only): a call runs at most
   * once on this server. One store shared by several servers: at most once across them.
   */
  store: OutcomeStore
  /** Finished call outcomes remembered for retries (0: no deduplication). Default 10000. */
  cacheSize: number
  /**
   * Bytes of encoded results remembered for retries, oldest forgotten first. A result larger than
   * `cacheBytes / 16` is not remembered, so a retry that comes after it finished runs it again.
   * Default 64 MiB.
   */
  cacheBytes: number
  /**
   * ms a finished outcome is remembered. Make it longer than your clients' `timeout x (1 + retries)`,
   * or a late retry runs again. Default 60000.
   */
  cacheTtl: number
  /**
   * ms a handler may run before its call is answered with ERR_RPC_HANDLER_TIMEOUT (a cast's handler
   * is reported to `onError` with it) and its `ctx.signal` aborted; whatever the handler returns
   * later is dropped. -1: no limit (the default). Only asynchronous handlers are timed: a
   * synchronous one holds the event loop until it returns, and nothing can interrupt it.
   */
  handlerTimeout: number
  /**
   * ms the outcome store may take to answer `claim` or `finish` (a store over the network that hangs,
   * a Redis failover). A claim not answered in time refuses the call with ERR_RPC_UNAVAILABLE (the
   * handler does not run) and frees the REP socket; its late answer is ignored, so a store must let a
   * `new` claim that is never finished go, as for a server that died (a lease). A finish not done in
   * time is reported to `onError` and the reply is sent anyway. Waiting on a `running` claim's
   * `done` is not bounded by it: that waits on a handler. -1: no limit. Default 3000 (below
   * RpcClient's default `timeout`, so that the caller hears the refusal).
   */
  storeTimeout: number
  /**
   * Options for each REP socket (zeromq.js names), over the defaults {@link RPC_SOCKET_DEFAULTS}
   * (`linger: 0`, `immediate: true`, heartbeats every 1 s, 3 s timeout).
   */
  socketOptions: Partial<SocketOptions>
  /**
   * Told about failures no caller hears of: a cast handler that threw, a store's `finish` that failed
   * or timed out. What it throws is ignored (the serve loop must go on).
   */
  onError: (err: unknown, ctx: CallContext) => void
}

/** Counters, readable at any time. */
export interface RpcServerStats {
  /** Requests read (calls and casts, including duplicates and bad ones). */
  requests: number
  /** Handler invocations. */
  executions: number
  /** Requests answered from the outcome cache (retries). */
  duplicates: number
  /** Handlers that threw. */
  failures: number
  /** Requests that could not be read (bad msgpack, wrong version, ...). */
  protocolErrors: number
  /** Handlers that ran past `handlerTimeout` (counted in neither `failures` nor as results). */
  handlerTimeouts: number
  /**
   * Store operations that failed: a `claim` or `finish` that threw, was malformed or ran past
   * `storeTimeout`, a `running` claim whose `done` rejected.
   */
  storeFailures: number
  /** Finished outcomes remembered for retries now. */
  cachedOutcomes: number
  /** Bytes they count against `cacheBytes` now. */
  cachedBytes: number
}

export class RpcServer {
  private readonly handlers = new Map<string, Handler>()
  private readonly options: RpcServerOptions
  /** The default store, this server's own (a store given in the options is the user's to clear). */
  private own: MemoryOutcomeStore | undefined
  private readonly sockets: Reply[] = []
  private closing = false
  /** Calls whose handler runs now, to abort their signal on close(). */
  private readonly active = new Set<Context>()
  private readonly counters = { requests: 0, executions: 0, duplicates: 0, failures: 0, protocolErrors: 0, handlerTimeouts: 0, storeFailures: 0 }

  constructor(handlers: Record<string, Handler> = {}, options: Partial<RpcServerOptions> = {}) {
    this.options = {
      concurrency: options.concurrency ?? 16,
      topic: options.topic ?? DEFAULT_TOPIC,
      cacheSize: options.cacheSize ?? 10_000,
      cacheBytes: options.cacheBytes ?? 64 * 1024 * 1024,
      cacheTtl: options.cacheTtl ?? 60_000,
      handlerTimeout: options.handlerTimeout ?? -1,
      storeTimeout: options.storeTimeout ?? 3000,
      // Merged, so that setting one option keeps the others (a closed server drops what it holds).
      socketOptions: { ...RPC_SOCKET_DEFAULTS, ...options.socketOptions },
      onError: options.onError ?? (() => {}),
      store: options.store as OutcomeStore,
    }
    const o = this.options
    if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new RpcError("EINVAL", "concurrency must be a positive integer")
    if (!Number.isInteger(o.cacheSize) || o.cacheSize < 0) throw new RpcError("EINVAL", "cacheSize must be an integer >= 0")
    if (!Number.isInteger(o.cacheBytes) || o.cacheBytes < 0) throw new RpcError("EINVAL", "cacheBytes must be an integer >= 0")
    if (!Number.isFinite(o.cacheTtl) || o.cacheTtl <= 0) throw new RpcError("EINVAL", "cacheTtl must be a positive number of ms")
    if (o.handlerTimeout !== -1 && !(Number.isFinite(o.handlerTimeout) && o.handlerTimeout > 0)) {
      throw new RpcError("EINVAL", "handlerTimeout must be a positive number of ms, or -1")
    }
    if (o.storeTimeout !== -1 && !(Number.isFinite(o.storeTimeout) && o.storeTimeout > 0)) {
      throw new RpcError("EINVAL", "storeTimeout must be a positive number of ms, or -1")
    }
    if (o.store === undefined) {
      this.own = new MemoryOutcomeStore({ capacity: o.cacheSize, maxBytes: o.cacheBytes, ttl: o.cacheTtl })
      o.store = this.own
    } else if (typeof o.store?.claim !== "function" || typeof o.store.finish !== "function") {
      throw new RpcError("EINVAL", "store must have claim(id) and finish(id, reply)")
    }
    for (const [name, fn] of Object.entries(handlers)) this.handle(name, fn)
  }

  /** Adds (or replaces) the handler of a method. */
  handle(method: string, fn: Handler): this {
    if (typeof fn !== "function") throw new RpcError("EINVAL", `handler of ${method} is not a function`)
    this.handlers.set(method, fn)
    return this
  }

  /** The topic this server serves. */
  get topic(): string {
    return this.options.topic
  }

  /**
   * Connects `concurrency` REP sockets to an endpoint (a broker backend, ipc or tcp), or to each of a
   * list of them: a server takes work from every broker it is connected to, and the sockets of one
   * broker never wait on another's (each REP serves one endpoint, so a broker that is down holds only
   * its own sockets idle). Returns at once; the sockets connect and reconnect in the background.
   * Throws EINVAL/EPROTONOSUPPORT for a bad endpoint, before connecting to any of the list.
   */
  connect(endpoint: string | string[]): void {
    if (this.closing) throw new RpcError("ERR_RPC_CLOSED", "server is closed")
    const list = Array.isArray(endpoint) ? endpoint : [endpoint]
    const opened: Reply[] = []
    try {
      for (const ep of list) {
        for (let i = 0; i < this.options.concurrency; i++) {
          const rep = new Reply(this.options.socketOptions)
          opened.push(rep)
          rep.connect(ep)
        }
      }
    } catch (e) {
      for (const rep of opened) rep.close()
      throw e
    }
    for (const rep of opened) {
      this.sockets.push(rep)
      void this.serve(rep)
    }
  }

  /** Counters since start, and the outcome cache's size now. */
  get stats(): RpcServerStats {
    const store = this.options.store
    const mem = store instanceof MemoryOutcomeStore ? store : undefined
    return { ...this.counters, cachedOutcomes: mem?.size ?? 0, cachedBytes: mem?.bytes ?? 0 }
  }

  /**
   * Stops serving: closes every socket at once (replies not yet sent are dropped; their callers time
   * out and may retry elsewhere) and forgets the outcome cache. Handlers still running finish
   * unobserved, with their `ctx.signal` aborted (ERR_RPC_CLOSED); this does not wait for them.
   */
  async close(): Promise<void> {
    this.closing = true
    for (const s of this.sockets) if (!s.closed) s.close()
    const closed = new RpcError("ERR_RPC_CLOSED", "server is closed")
    for (const ctx of this.active) ctx.abort(closed)
    this.active.clear()
    this.own?.clear()
  }

  private async serve(rep: Reply): Promise<void> {
    while (!rep.closed) {
      let msg: Buffer[]
      try {
        msg = await rep.receive()
      } catch {
        // Only a closed socket makes receive fail here (no receiveTimeout is set).
        return
      }
      const reply = await this.dispatch(msg)
      try {
        await rep.send(reply)
      } catch {
        return
      }
    }
  }

  /**
   * Reads one request and produces its encoded reply. Never throws: every step that runs code of the
   * user's (the store, the handler, onError) is caught where it is called, since a rejection here
   * would end the serve loop with its REP socket owing a reply.
   */
  private async dispatch(msg: Buffer[]): Promise<Buffer> {
    this.counters.requests++
    // [topic, body]; a one-frame message (a plain REQ, not our client) has no topic.
    const topic = msg.length >= 2 ? msg[0]!.toString() : ""
    let req: RequestBody
    try {
      req = decodeRequest(msg[msg.length - 1]!)
    } catch (e) {
      this.counters.protocolErrors++
      const err = e as RpcError & { callId?: string }
      return encodeError(err.callId ?? "", { name: "RpcError", message: err.message, code: err.code })
    }
    const asked = await this.askStore(() => this.options.store.claim(req.id))
    const claim = asked.ok ? checkClaim(asked.value) : asked
    if (!claim.ok) {
      // A store that cannot answer: refuse rather than risk a second run; the client may retry.
      return this.refuse(req.id, claim.error)
    }
    if (claim.value.state === "done") {
      this.counters.duplicates++
      return claim.value.reply
    }
    if (claim.value.state === "running") {
      // A retry: answer with the first attempt's outcome once it is known.
      this.counters.duplicates++
      const outcome = await settled(claim.value.done)
      const reply = outcome.ok ? asReply(outcome.value) : undefined
      if (reply) return reply
      return this.refuse(req.id, outcome.ok ? "the running attempt's outcome is not an encoded reply" : outcome.error)
    }
    const reply = await this.execute(req, topic)
    const finished = await this.askStore(() => this.options.store.finish(req.id, reply))
    if (!finished.ok) {
      this.counters.storeFailures++
      this.report(finished.error, new Context(req.id, req.method, topic, req.kind === KIND_CAST))
    }
    return reply
  }

  /**
   * Calls the store, within `storeTimeout` when its answer is a promise (the default store answers
   * at once and needs no timer). A late answer is dropped.
   */
  private askStore<T>(ask: () => T | PromiseLike<T>): Result<T> | Promise<Result<T>> {
    let answer: T | PromiseLike<T>
    let then: unknown
    try {
      answer = ask()
      then = thenOf(answer)
    } catch (error) {
      return { ok: false, error }
    }
    if (typeof then !== "function") return { ok: true, value: answer as T }
    const limit = this.options.storeTimeout
    return new Promise<Result<T>>((resolve) => {
      const timer =
        limit > 0
          ? setTimeout(() => resolve({ ok: false, error: new RpcError("ERR_RPC_UNAVAILABLE", `no answer within storeTimeout (${limit} ms)`) }), limit)
          : undefined
      void settled(answer).then((r) => {
        clearTimeout(timer)
        resolve(r)
      })
    })
  }

  /** The reply refusing a call because the outcome store failed (ERR_RPC_UNAVAILABLE: it did not run). */
  private refuse(id: string, error: unknown): Buffer {
    this.counters.storeFailures++
    const why = typeof error === "string" ? error : toWireError(error).message
    return encodeError(id, { name: "RpcError", code: "ERR_RPC_UNAVAILABLE", message: `outcome store: ${why}` })
  }

  /** Tells onError; what it throws goes nowhere, since nothing above it may fail. */
  private report(err: unknown, ctx: CallContext): void {
    try {
      this.options.onError(err, ctx)
    } catch {
      // onError's own failure has nobody left to tell.
    }
  }

  private async execute(req: RequestBody, topic: string): Promise<Buffer> {
    if (this.options.topic !== "*" && topic !== this.options.topic) {
      return encodeError(req.id, {
        name: "RpcError",
        code: "ERR_RPC_TOPIC",
        message: `this server serves topic ${JSON.stringify(this.options.topic)}, not ${JSON.stringify(topic)}`,
      })
    }
    const handler = this.handlers.get(req.method)
    if (!handler) {
      return encodeError(req.id, { name: "RpcError", code: "ERR_RPC_NO_METHOD", message: `no method ${JSON.stringify(req.method)}` })
    }
    const ctx = new Context(req.id, req.method, topic, req.kind === KIND_CAST)
    if (ctx.cast) {
      // Acknowledge first: setImmediate lets the serve loop queue the ack before the handler starts.
      setImmediate(() => {
        void Promise.resolve(this.invoke(handler, req.params, ctx)).then((r) => {
          if (!r.ok) this.report(r.error, ctx)
        })
      })
      return encodeReply(STATUS_ACK, req.id, null)
    }
    const r = await this.invoke(handler, req.params, ctx)
    if (!r.ok) return this.encodeFailure(req.id, r.error)
    try {
      return encodeReply(STATUS_OK, req.id, r.value)
    } catch (e) {
      return encodeError(req.id, { name: "RpcError", code: "ERR_RPC_ENCODE", message: `the result of ${req.method} cannot be encoded: ${(e as Error).message}` })
    }
  }

  /**
   * Runs a handler, within `handlerTimeout` if one is set. A synchronous result needs no timer; an
   * asynchronous one races the timer, and whatever comes second is dropped.
   */
  private invoke(handler: Handler, params: unknown, ctx: Context): Promise<Outcome> | Outcome {
    this.counters.executions++
    let value: unknown
    let then: unknown
    try {
      value = handler(params, ctx)
      // Read `then` once, as await does: a getter that throws fails the call with its error.
      then = thenOf(value)
    } catch (error) {
      this.counters.failures++
      return { ok: false, error }
    }
    if (typeof then !== "function") return { ok: true, value }
    this.active.add(ctx)
    const limit = this.options.handlerTimeout
    return new Promise<Outcome>((resolve) => {
      let settled = false
      const timer =
        limit > 0
          ? setTimeout(() => {
              settled = true
              this.active.delete(ctx)
              this.counters.handlerTimeouts++
              const error = new RpcError("ERR_RPC_HANDLER_TIMEOUT", `${ctx.method} did not finish within ${limit} ms`)
              ctx.abort(error)
              resolve({ ok: false, error })
            }, limit)
          : undefined
      const finish = (o: Outcome) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.active.delete(ctx)
        if (!o.ok) this.counters.failures++
        resolve(o)
      }
      try {
        ;(then as PromiseLike<unknown>["then"]).call(
          value,
          (v) => finish({ ok: true, value: v }),
          (error: unknown) => finish({ ok: false, error }),
        )
      } catch (error) {
        finish({ ok: false, error })
      }
    })
  }

  private encodeFailure(id: string, error: unknown): Buffer {
    const wire: WireError = toWireError(error)
    try {
      return encodeReply(STATUS_ERROR, id, wire)
    } catch {
      // Its `data` could not be encoded: send the rest.
      delete wire.data
      return encodeReply(STATUS_ERROR, id, wire)
    }
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }
type Result<T> = { ok: true; value: T } | { ok: false; error: unknown }

/** The `then` of a value that may be a thenable (undefined for a primitive). Reading it may throw. */
function thenOf(v: unknown): unknown {
  return v !== null && (typeof v === "object" || typeof v === "function") ? (v as { then?: unknown }).then : undefined
}

/** Settles with what `p` settles with; never rejects (a thenable whose `then` throws included). */
function settled<T>(p: T | PromiseLike<T>): Promise<Result<T>> {
  return new Promise<T>((resolve) => resolve(p)).then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  )
}

/** An encoded reply as a store gives it: a Buffer or any Uint8Array; undefined for anything else. */
function asReply(v: unknown): Buffer | undefined {
  return v instanceof Uint8Array ? (v as Buffer) : undefined
}

/**
 * What the store claimed, checked and copied (each field read once): a claim of another shape (a
 * store's bug) is refused like a store failure, rather than crashing the serve loop.
 */
function checkClaim(c: unknown): Result<Claim> {
  try {
    const state = c !== null && typeof c === "object" ? (c as { state?: unknown }).state : undefined
    if (state === "new") return { ok: true, value: { state } }
    if (state === "done") {
      const reply = asReply((c as { reply?: unknown }).reply)
      if (reply) return { ok: true, value: { state, reply } }
    } else if (state === "running") {
      const done = (c as { done?: unknown }).done
      if (typeof thenOf(done) === "function") return { ok: true, value: { state, done: done as Promise<Buffer> } }
    }
  } catch (error) {
    return { ok: false, error }
  }
  return { ok: false, error: "malformed claim (want { state: \"new\" }, { state: \"running\", done: Promise<Buffer> } or { state: \"done\", reply: Buffer })" }
}
