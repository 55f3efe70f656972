/**
 * `zmtp/v5-compat`: the callback API of zeromq.js v5 (`zmq.socket("req")`, `bind(addr, cb)`,
 * `send(msg, flags, cb)`, `on("message", ...frames)`), as zeromq.js 6.8 ships it in
 * `zeromq/v5-compat`, built on zmtp's v6 classes. Old programs switch by changing their import.
 *
 * Each compatibility socket owns one v6 socket and runs two loops on it: a receive loop that emits
 * "message" (held while paused), and a send loop that sends queued messages one at a time, as
 * zeromq.js's does, calling each callback once its send has resolved. The differences from
 * zeromq.js are listed in README.md ("v5-compat").
 */
import { EventEmitter } from "node:events"
import { busyError, compatError, errnoError } from "./compat/errors.js"
import * as zmtp from "./index.js"
import type { Message, MessageLike, SocketEvent, ZmtpError } from "./index.js"
import { getOption, setOption, shortOptions, subscriberRequired, type OptionTarget, type ShortOption } from "./compat/options.js"
import { ZMQ_SNDMORE } from "./compat/constants.js"

export * from "./compat/constants.js"
export { shortOptions as options }

/** The socket types `zmq.socket()` accepts (v5's names; `xreq` and `xrep` are DEALER and ROUTER). */
export type SocketType = "pair" | "req" | "rep" | "pub" | "sub" | "dealer" | "xreq" | "router" | "xrep" | "pull" | "push" | "xpub" | "xsub" | "stream"

/** The zmtp class behind each v5 type name, looked up when a socket is made (see {@link Socket}). */
const classNames: Record<SocketType, string> = {
  pair: "Pair",
  req: "Request",
  rep: "Reply",
  pub: "Publisher",
  sub: "Subscriber",
  dealer: "Dealer",
  xreq: "Dealer",
  router: "Router",
  xrep: "Router",
  pull: "Pull",
  push: "Push",
  xpub: "XPublisher",
  xsub: "XSubscriber",
  stream: "Stream",
}

/** The v6 socket underneath: zmtp's common base, whatever its type. */
type Inner = zmtp.Socket

/** A completion callback: no argument on success, the error otherwise. */
type Callback = (err?: Error) => void

/**
 * Makes the v6 socket for a v5 type name. The class is taken from zmtp's exports by name at the
 * time of the call, so a type zmtp gains later (every zeromq.js type has a row above) works here
 * without a change; a type it lacks is ENOTSUP, naming the class.
 */
function makeInner(type: string): Inner {
  if (!Object.prototype.hasOwnProperty.call(classNames, type)) throw compatError("EINVAL", `Invalid socket type: ${type}`)
  const name = classNames[type as SocketType]
  const C = (zmtp as unknown as Record<string, unknown>)[name]
  if (typeof C !== "function") throw compatError("ENOTSUP", `Socket type "${type}" needs zmtp's ${name} class, which this version of zmtp does not have`)
  return new (C as new () => Inner)()
}

/** How v5 names the v6 events it reports (the rest, handshakes included, v5 never had). */
const v5EventNames: Partial<Record<SocketEvent["type"], string>> = {
  connect: "connect",
  "connect:delay": "connect_delay",
  "connect:retry": "connect_retry",
  bind: "listen",
  "bind:error": "bind_error",
  accept: "accept",
  "accept:error": "accept_error",
  close: "close",
  "close:error": "close_error",
  disconnect: "disconnect",
}

/**
 * A v5 socket: an EventEmitter with "message" (one argument per frame), "bind", "unbind", "error"
 * and, after {@link monitor}, the v5 monitor events. Make one with {@link socket}.
 */
export class Socket extends EventEmitter {
  /** The option properties ({@link options}) and whatever `zmq.socket(type, {...})` set. */
  [key: string]: any

  /** The v5 type name given to {@link socket}. */
  readonly type: SocketType
  private readonly inner: Inner
  /** Frames given with ZMQ_SNDMORE, waiting for the send that completes the message. */
  private partial: MessageLike[] = []
  /** Complete messages not yet handed to the v6 socket, with their callbacks. */
  private readonly sendQueue: [MessageLike[], Callback | undefined][] = []
  /** Messages received while paused, emitted on resume. */
  private readonly held: Buffer[][] = []
  private paused = false
  private receiving = false
  private sending = false
  /** Binds and unbinds not yet settled, and the last of them: each starts once the one before settled. */
  private endpointChain: Promise<void> = Promise.resolve()
  private endpointPending = 0
  /** close() was called: a bind that then fails with EBADF is no longer the application's concern. */
  private closeCalled = false
  /** Async bind/unbind calls in flight: another one meanwhile is EBUSY, as in zeromq.js. */
  private endpointCalls = 0
  /**
   * Messages handed to the v6 socket and taken from it so far, and who waits for the next (see the
   * loops). Counters, so that a loop that saw a refusal can tell whether the other loop moved on
   * before it started to wait.
   */
  private sentCount = 0
  private receivedCount = 0
  private sentWaiters: (() => void)[] = []
  private receivedWaiters: (() => void)[] = []
  private monitorListener: ((e: SocketEvent) => void) | undefined

  /** Prefer {@link socket}; `type` is a v5 type name ("req", "pub" ...). */
  constructor(type: SocketType) {
    super()
    this.inner = makeInner(type)
    this.type = type
    // zeromq.js never reads on PUSH and PUB (they cannot receive); every other type reads at once.
    if (type !== "push" && type !== "pub") this.startReceiving()
  }

  // ---- endpoints -----------------------------------------------------------------------------

  /** Binds; calls `cb` (or emits "error") with the outcome, and emits "bind" on success. */
  bind(address: string, cb?: Callback): this {
    return this.endpointCall("bind", address, cb)
  }

  /** Unbinds; calls `cb` (or emits "error") with the outcome, and emits "unbind" on success. */
  unbind(address: string, cb?: Callback): this {
    return this.endpointCall("unbind", address, cb)
  }

  private endpointCall(op: "bind" | "unbind", address: string, cb: Callback | undefined): this {
    // zeromq.js's native bind checks these before it returns its promise, so they throw here.
    if (typeof address !== "string") throw new TypeError("Address must be a string")
    if (this.closed) throw errnoError("EBADF")
    if (this.endpointCalls > 0) throw busyError()
    this.endpointCalls++
    this.runEndpoint(op, address).then(
      () => {
        this.endpointCalls--
        process.nextTick(() => {
          this.emit(op, address)
          cb?.()
        })
      },
      (e: Error) => {
        this.endpointCalls--
        process.nextTick(() => (cb ? cb(e) : this.emit("error", e)))
      },
    )
    return this
  }

  /**
   * Binds without a callback. zeromq.js binds synchronously (its native zmq_bind) and throws; Node
   * cannot listen synchronously, so unless the v6 socket has a `bindSync` of its own, zmtp starts
   * the bind here and completes it on the next turn of the event loop: argument errors and a closed
   * socket still throw, a failure to listen (EADDRINUSE ...) is an "error" event, and `last_endpoint`
   * is the bound endpoint only once the bind has completed. Later binds, unbinds and the socket's
   * other peers see it bound: binds and unbinds wait for it, and a peer's connect retries until the
   * port listens. Emits no "bind" event, as in zeromq.js.
   */
  bindSync(address: string): void {
    this.endpointSync("bind", address)
  }

  /** Unbinds without a callback; see {@link bindSync} for what completes later. */
  unbindSync(address: string): void {
    this.endpointSync("unbind", address)
  }

  private endpointSync(op: "bind" | "unbind", address: string): void {
    if (typeof address !== "string") throw new TypeError("Address must be a string")
    if (this.closed) throw errnoError("EBADF")
    if (this.endpointCalls > 0) throw busyError()
    const own = (this.inner as unknown as Record<string, unknown>)[`${op}Sync`]
    if (typeof own === "function") return void (own as (a: string) => void).call(this.inner, address)
    this.runEndpoint(op, address).catch((e: Error) => {
      // Closed before the bind could start (bindSync(); close() in one go): zeromq.js's bind had
      // completed by then, so there is nothing to report.
      if (this.closeCalled && (e as ZmtpError).code === "EBADF") return
      process.nextTick(() => this.emit("error", e))
    })
  }

  /**
   * Runs a v6 bind or unbind after those still completing (a bindSync's), at once if there are
   * none: started in this call, a bind is in flight before a close() that follows, which the v6
   * socket then defers until the bind settles, as zeromq.js's does.
   */
  private runEndpoint(op: "bind" | "unbind", address: string): Promise<void> {
    const start = (): Promise<void> => {
      try {
        return this.inner[op](address)
      } catch (e) {
        return Promise.reject(e)
      }
    }
    const run = this.endpointPending === 0 ? start() : this.endpointChain.then(start)
    this.endpointPending++
    this.endpointChain = run.then(
      () => void this.endpointPending--,
      () => void this.endpointPending--,
    )
    return run
  }

  /** Connects (in the background, reconnecting as needed). */
  connect(address: string): this {
    this.inner.connect(address)
    return this
  }

  /** Stops connecting to `address` and closes that connection. */
  disconnect(address: string): this {
    this.inner.disconnect(address)
    return this
  }

  // ---- messages ------------------------------------------------------------------------------

  /**
   * Queues a message (a frame or an array of frames). With `ZMQ_SNDMORE` in `flags` the frames are
   * held until a send without it completes the message; `cb` is called once the whole message was
   * accepted by the socket (or with the error), otherwise an error is an "error" event.
   */
  send(message: Message, flags: number | null | undefined = 0, cb?: Callback): this {
    this.partial = this.partial.concat(message as MessageLike)
    if ((((flags ?? 0) | 0) & ZMQ_SNDMORE) === 0) {
      this.sendQueue.push([this.partial, cb])
      this.partial = []
      if (!this.paused) this.startSending()
    }
    return this
  }

  /** Removed in zeromq.js's compatibility API too: messages arrive as "message" events. */
  read(): never {
    throw compatError("ENOTSUP", "read() has been removed from compatibility mode; use on('message', ...) instead.")
  }

  /** Holds "message" events (what arrives meanwhile waits) and queued sends until {@link resume}. */
  pause(): void {
    this.paused = true
  }

  /** Emits the messages held while paused, then carries on receiving and sending. */
  resume(): void {
    this.paused = false
    for (const msg of this.held.splice(0)) process.nextTick(() => this.emit("message", ...msg))
    if (this.type !== "push" && this.type !== "pub") this.startReceiving()
    this.startSending()
  }

  /** Subscribes a "sub" socket to messages starting with `filter`. */
  subscribe(filter: string): this {
    if (!(this.inner instanceof zmtp.Subscriber)) throw subscriberRequired()
    this.inner.subscribe(filter)
    return this
  }

  /** Removes a "sub" socket's subscription. */
  unsubscribe(filter: string): this {
    if (!(this.inner instanceof zmtp.Subscriber)) throw subscriberRequired()
    this.inner.unsubscribe(filter)
    return this
  }

  /** Closes the socket; queued sends not yet handed over are dropped, as in zeromq.js. */
  close(): this {
    if (this.closeCalled) return this
    this.closeCalled = true
    // Binds queued behind a bindSync's have not reached the v6 socket yet; in zeromq.js (whose
    // bindSync is synchronous) they would be in flight, and a close waits for those. So the v6
    // socket is closed once the queued ones have started and settled.
    if (this.endpointPending > 0) void this.endpointChain.then(() => this.closeInner())
    else this.closeInner()
    return this
  }

  private closeInner(): void {
    this.inner.close()
    this.wake(this.sentWaiters)
    this.wake(this.receivedWaiters)
  }

  /** True once the socket is closed (from the call to {@link close} on). */
  get closed(): boolean {
    return this.closeCalled || this.inner.closed
  }

  // ---- options -------------------------------------------------------------------------------

  /** Sets an option by libzmq number (`zmq.ZMQ_LINGER`) or short name ("linger"); see {@link options}. */
  setsockopt(option: number | ShortOption, value: unknown): this {
    setOption(this.inner as unknown as OptionTarget, option, value)
    return this
  }

  /** Reads an option by libzmq number or short name. */
  getsockopt(option: number | ShortOption): any {
    // zeromq.js's getters refuse a closed socket; zmtp's v6 getters still answer.
    if (this.closed) throw errnoError("ENOTSOCK")
    return getOption(this.inner as unknown as OptionTarget, option)
  }

  // ---- monitor -------------------------------------------------------------------------------

  /**
   * Emits the socket's events under v5's names, each as `(value, address, error)`: "connect",
   * "connect_delay", "connect_retry" (value: the retry interval), "listen", "bind_error",
   * "accept", "accept_error", "close", "close_error" (value: the errno), "disconnect". Only events
   * from now on; the arguments are ignored (with a warning), as in zeromq.js.
   */
  monitor(interval?: number, numOfEvents?: number): this {
    if (this.closed) throw errnoError("ENOTSOCK")
    if (interval || numOfEvents) process.emitWarning("Arguments to monitor() are ignored in compatibility mode; all events are read automatically")
    if (this.monitorListener) return this
    const events = this.inner.events
    const listener = (e: SocketEvent) => {
      if (e.type === "end") return this.stopMonitor()
      const name = v5EventNames[e.type]
      if (name === undefined) return
      const error = e.error as ZmtpError | undefined
      const value = e.type === "connect:retry" ? e.interval : error ? error.errno ?? 0 : undefined
      // Observer listeners run inside the socket's own transitions; emitting later lets a handler
      // close the socket or bind again without re-entering one (DESIGN.md).
      queueMicrotask(() => this.emit(name, value, e.address, error))
    }
    this.monitorListener = listener
    for (const type of [...Object.keys(v5EventNames), "end"] as SocketEvent["type"][]) events.on(type, listener)
    return this
  }

  /** Stops emitting monitor events. */
  unmonitor(): this {
    this.stopMonitor()
    return this
  }

  private stopMonitor(): void {
    const listener = this.monitorListener
    if (!listener) return
    this.monitorListener = undefined
    for (const type of [...Object.keys(v5EventNames), "end"] as SocketEvent["type"][]) this.inner.events.off(type, listener)
  }

  // ---- the loops -----------------------------------------------------------------------------

  private wake(list: (() => void)[]): void {
    for (const w of list.splice(0)) w()
  }

  private startReceiving(): void {
    if (this.receiving || this.paused || this.closed) return
    this.receiving = true
    void this.receiveLoop().finally(() => {
      this.receiving = false
    })
  }

  private async receiveLoop(): Promise<void> {
    while (!this.inner.closed && !this.paused) {
      let msg: Buffer[]
      const sentBefore = this.sentCount
      try {
        msg = await this.inner.receive()
      } catch (e) {
        if (this.inner.closed) return
        const code = (e as ZmtpError).code
        // zmtp refuses a receive that the socket's state does not allow yet (REQ before its request,
        // REP before its reply) at once; zeromq.js waits for it to become possible. Wait for the
        // next send instead of reporting it.
        if (code === "EFSM") {
          if (this.sentCount === sentBefore) await new Promise<void>((resolve) => this.sentWaiters.push(resolve))
          continue
        }
        process.nextTick(() => this.emit("error", e))
        // EAGAIN after ZMQ_RCVTIMEO is reported each time, as zeromq.js does; go round again, but
        // on the next turn of the event loop: with RCVTIMEO 0 each receive rejects at once, and
        // going round in the same microtask queue would never let timers or I/O run again.
        await new Promise<void>((resolve) => setImmediate(resolve))
        continue
      }
      this.receivedCount++
      this.wake(this.receivedWaiters)
      // Emitted on the next tick, so that an exception in a handler is the application's
      // (uncaught) and this loop carries on, as in zeromq.js.
      if (this.paused) this.held.push(msg)
      else process.nextTick(() => this.emit("message", ...msg))
    }
  }

  private startSending(): void {
    if (this.sending || this.paused || this.closed || this.sendQueue.length === 0) return
    this.sending = true
    void this.sendLoop().finally(() => {
      this.sending = false
      // A send queued while the last one settled and the loop was leaving.
      this.startSending()
    })
  }

  private async sendLoop(): Promise<void> {
    while (!this.closed && !this.paused && this.sendQueue.length > 0) {
      const [msg, cb] = this.sendQueue[0]!
      let error: unknown
      const receivedBefore = this.receivedCount
      try {
        const sent = this.inner.send(msg)
        this.sentCount++
        this.wake(this.sentWaiters)
        await sent
      } catch (e) {
        error = e
      }
      if (error !== undefined && (error as ZmtpError).code === "EFSM" && !this.inner.closed) {
        // zmtp refuses at once a send that the state does not allow yet (a REQ's second request, a
        // REP's reply before a request); zeromq.js waits until it is possible. Wait for the next
        // message received, then try the same message again.
        if (this.receivedCount === receivedBefore) await new Promise<void>((resolve) => this.receivedWaiters.push(resolve))
        continue
      }
      this.sendQueue.shift()
      if (error === undefined) cb?.()
      else if (cb) cb(error as Error)
      else process.nextTick(() => this.emit("error", error))
    }
  }
}

// The short option names as properties (`sock.linger = 0`, `sock.identity`), as zeromq.js defines
// them: a string set is converted to its UTF-8 octets first.
for (const name of Object.keys(shortOptions) as ShortOption[]) {
  if (Object.prototype.hasOwnProperty.call(Socket.prototype, name)) continue
  Object.defineProperty(Socket.prototype, name, {
    get(this: Socket) {
      return this.getsockopt(shortOptions[name])
    },
    set(this: Socket, value: unknown) {
      this.setsockopt(shortOptions[name], typeof value === "string" ? Buffer.from(value, "utf8") : value)
    },
  })
}

/**
 * Makes a socket of a v5 type ("req", "rep", "dealer", "router", "pub", "sub", "xpub", "xsub", and
 * "pair", "push", "pull", "stream" where zmtp has those classes). Each own property of `options`
 * is assigned to the socket, so option names ({@link options}) set options.
 */
export function socket(type: SocketType, options: { [key: string]: any } = {}): Socket {
  const s = new Socket(type)
  for (const key of Object.keys(options)) s[key] = options[key]
  return s
}

/** The same function as {@link socket} (v5 had both names). */
export const createSocket = socket

/** A new CURVE key pair as Z85 strings (40 characters each). */
export function curveKeypair(): { public: string; secret: string } {
  const { publicKey, secretKey } = zmtp.curveKeyPair()
  return { public: publicKey, secret: secretKey }
}

/**
 * Forwards messages between two sockets in both directions, as zeromq.js's compatibility proxy:
 * "router"/"dealer" (or "xrep"/"xreq"), "xpub"/"xsub", "push"/"pull", "pull"/"push". With a
 * `capture` socket, what comes back from the backend is copied to it too (for router/dealer
 * without the two envelope frames). Any other pair throws.
 */
export function proxy(frontend: Socket, backend: Socket, capture?: Socket): void {
  const pair = `${frontend.type}/${backend.type}`
  let toCapture: ((frames: Buffer[]) => MessageLike[]) | undefined
  switch (pair) {
    case "push/pull":
    case "pull/push":
    case "xpub/xsub":
      toCapture = (frames) => frames
      break
    case "router/dealer":
    case "xrep/xreq":
      toCapture = (frames) => frames.slice(2)
      break
    default:
      throw compatError("ENOTSUP", "This socket type order is not supported in compatibility mode")
  }
  frontend.on("message", (...frames: Buffer[]) => void backend.send(frames))
  backend.on("message", (...frames: Buffer[]) => {
    frontend.send(frames)
    if (capture) capture.send(toCapture!(frames))
  })
}

/**
 * zeromq.js v5's context settings, on zmtp's default {@link zmtp.context}. There is one context, as
 * in zeromq.js's compatibility API: `new Context()` throws.
 */
export class Context {
  /** ZMQ_IO_THREADS (accepted and read back: zmtp runs on Node's event loop). */
  static setMaxThreads(value: number): void {
    zmtp.context.ioThreads = value
  }

  /** See {@link setMaxThreads}. */
  static getMaxThreads(): number {
    return zmtp.context.ioThreads
  }

  /** ZMQ_MAX_SOCKETS: how many sockets may be open at once. */
  static setMaxSockets(value: number): void {
    zmtp.context.maxSockets = value
  }

  /** See {@link setMaxSockets}. */
  static getMaxSockets(): number {
    return zmtp.context.maxSockets
  }

  constructor() {
    throw compatError("ENOTSUP", "Context cannot be instantiated in compatibility mode")
  }
}

/** The libzmq version zmtp follows, as zeromq.js reports its own (see zmtp's `version`). */
export const version: string = zmtp.version
