/**
 * Proxy, as zeromq.js v6 has it (libzmq's zmq_proxy_steerable): forwards whole messages between a
 * frontend and a backend socket in both directions, optionally copying each to a capture socket.
 * zeromq.js's contract holds: the constructor takes exactly two sockets (TypeErrors with its
 * wording), run() needs both bound or connected, the sockets are the proxy's while it runs (their
 * send() and receive() reject with EBUSY) and are closed when it ends, and terminate(), pause() and
 * resume() throw EBADF unless it runs.
 * Each direction is one loop, so messages from one peer keep their order; each loop awaits the
 * send, so the high-water marks of both sides hold (a slow side slows the proxy, nothing queues
 * without bound).
 *
 * The capture copy is never awaited: a capture socket that cannot keep up must not slow the
 * forwarding. So that it cannot make the proxy hold copies without bound either, a copy is handed
 * over only if the capture socket can take it at once ({@link SocketBase.writable}) and fewer than
 * its `sendHighWaterMark` copies are still unsettled; otherwise it is dropped and counted in
 * {@link Proxy.statistics} (libzmq's proxy would block on its capture socket instead).
 */
import { requireNew } from "./context.js"
import { zerr, zerrWithMessage } from "./errors.js"
import { hold, release } from "./lifetime.js"
import { SocketBase } from "./sockets/socket-base.js"

/** Counters of a {@link Proxy}, readable at any time. */
export interface ProxyStatistics {
  /** Messages forwarded from the frontend to the backend. */
  frontToBack: number
  /** Messages forwarded from the backend to the frontend. */
  backToFront: number
  /**
   * Messages the destination refused (EHOSTUNREACH from a `mandatory` ROUTER, EAGAIN after a
   * `sendTimeout`), which the proxy dropped and went on, as libzmq's does.
   */
  dropped: number
  /** Copies the capture socket took. */
  captured: number
  /** Copies dropped because the capture socket could not take them at once (or refused them). */
  captureDropped: number
}

/** What a forward's send came to: sent, an error, or interrupted by terminate(). */
const STOPPED = Symbol("stopped")
type Outcome = Error | undefined | typeof STOPPED

/**
 * One direction's send in progress. The handlers are made once per direction, not per message:
 * the hot path allocates only the promise that terminate() can settle early.
 */
class Lane {
  settle: ((r: Outcome) => void) | undefined
  readonly sent = (): void => this.done(undefined)
  readonly failed = (e: Error): void => this.done(e)
  done(r: Outcome): void {
    const f = this.settle
    this.settle = undefined
    f?.(r)
  }
}

/**
 * zeromq.js's argument checks: each argument in order, then the count, as TypeErrors in its words.
 */
function checkArgs(args: ArrayLike<unknown>, checks: [test: (v: unknown) => boolean, message: string][]): void {
  for (let i = 0; i < checks.length; i++) if (!checks[i]![0](args[i])) throw new TypeError(checks[i]![1])
  if (args.length > checks.length) {
    throw new TypeError(`Expected ${checks.length} argument${checks.length === 1 ? "" : "s"} but received ${args.length}`)
  }
}
const isObject = (v: unknown) => (typeof v === "object" && v !== null) || typeof v === "function"

/** An object that is not a socket: zeromq.js's native unwrap fails with a plain Error "Invalid argument". */
function asSocket(v: unknown): SocketBase {
  if (!(v instanceof SocketBase)) throw new Error("Invalid argument")
  return v
}

export class Proxy<F extends SocketBase = SocketBase, B extends SocketBase = SocketBase> {
  // Private fields, not properties: as zeromq.js's, a proxy has no own enumerable properties.
  readonly #frontEnd: F
  readonly #backEnd: B
  #capture: SocketBase | undefined
  #running = false
  #stopping = false
  /** While paused: settles on resume() or when the proxy stops. */
  #resumed: Promise<void> | undefined
  #resume: (() => void) | undefined
  /** Each direction's send under way, if any: terminate() settles it as STOPPED. */
  readonly #lanes = [new Lane(), new Lane()] as const
  #capturePending = 0
  readonly #counters: ProxyStatistics = { frontToBack: 0, backToFront: 0, dropped: 0, captured: 0, captureDropped: 0 }

  /**
   * @param frontEnd socket facing clients (usually a Router; an XSubscriber facing publishers for
   *   a pub-sub forwarder, whose messages go down while the XPublisher's subscriptions go up)
   * @param backEnd socket facing workers (usually a Dealer; an XPublisher facing subscribers)
   *
   * Exactly two sockets, as zeromq.js takes them: "Front-end must be a socket object" (TypeError) for
   * a missing or non-object one, "Expected 2 arguments but received 3" for a third, and an Error
   * "Invalid argument" for an object that is not a socket.
   */
  constructor(frontEnd: F, backEnd: B) {
    checkArgs(arguments, [
      [isObject, "Front-end must be a socket object"],
      [isObject, "Back-end must be a socket object"],
    ])
    this.#frontEnd = asSocket(frontEnd) as F
    this.#backEnd = asSocket(backEnd) as B
  }

  /** The front-end socket given to the constructor. */
  get frontEnd(): F {
    return this.#frontEnd
  }

  /** The back-end socket given to the constructor. */
  get backEnd(): B {
    return this.#backEnd
  }

  /**
   * A socket that receives a copy of every forwarded message (a zmtp extension; libzmq's capture
   * argument, which zeromq.js does not expose). Best effort: copies it cannot take at once are
   * dropped and counted in {@link statistics}. Not closed when the proxy ends. Set it before or
   * while the proxy runs; undefined for none.
   */
  get capture(): SocketBase | undefined {
    return this.#capture
  }
  set capture(socket: SocketBase | undefined) {
    if (socket !== undefined && socket !== null) asSocket(socket)
    this.#capture = socket ?? undefined
  }

  /**
   * Counters since construction: messages forwarded each way, messages dropped because the
   * destination refused them, and capture copies taken and dropped. A zmtp extension (zeromq.js's
   * Proxy has no statistics).
   */
  get statistics(): ProxyStatistics {
    return { ...this.#counters }
  }

  /**
   * Forwards until {@link terminate} is called or either socket closes; then closes both sockets,
   * as zeromq.js's does, and resolves. Rejects with EINVAL "Front-end socket must be bound or
   * connected" (or "Back-end ...") when a socket has no endpoint or is closed (so also once a run
   * has ended), and with EBUSY while either socket is in a running proxy. While it runs, the
   * sockets' own send() and receive() reject with EBUSY, and the process stays alive.
   */
  async run(): Promise<void> {
    checkArgs(arguments, [])
    const front = this.#frontEnd
    const back = this.#backEnd
    if (front.endpointCount === 0) throw zerrWithMessage("EINVAL", "Front-end socket must be bound or connected")
    if (back.endpointCount === 0) throw zerrWithMessage("EINVAL", "Back-end socket must be bound or connected")
    if (this.#running || front.proxied || back.proxied) throw zerr("EBUSY")
    this.#running = true
    this.#stopping = false
    front.proxied = true
    back.proxied = true
    hold()
    try {
      await Promise.all([
        this.#forward(front, back, "frontToBack", this.#lanes[0]),
        this.#forward(back, front, "backToFront", this.#lanes[1]),
      ])
    } finally {
      front.proxied = false
      back.proxied = false
      this.#running = false
      release()
      front.close()
      back.close()
    }
  }

  /** Throws EBADF ("Socket is closed") unless the proxy runs, as zeromq.js's control socket does. */
  #assertRunning(): void {
    if (!this.#running) throw zerr("EBADF")
  }

  /**
   * Stops forwarding until {@link resume}; messages wait in the sockets' queues meanwhile. EBADF if
   * the proxy does not run. (libzmq 4.3.5, so zeromq.js 6, has PAUSE and RESUME swapped: its pause()
   * resumes and its resume() pauses, fixed in libzmq after 4.3.5. zmtp does what the names say.)
   */
  pause(): void {
    checkArgs(arguments, [])
    this.#assertRunning()
    if (this.#resumed || this.#stopping) return
    this.#resumed = new Promise<void>((r) => (this.#resume = r))
  }

  /** Resumes forwarding after {@link pause}. EBADF if the proxy does not run. */
  resume(): void {
    checkArgs(arguments, [])
    this.#assertRunning()
    this.#unpause()
  }

  #unpause(): void {
    const f = this.#resume
    this.#resumed = this.#resume = undefined
    f?.()
  }

  /**
   * Ends {@link run} promptly, even while a forward waits in a send that cannot complete (a
   * destination at its high-water mark, or with no peer); run() then closes both sockets, which
   * settles that send. EBADF if the proxy does not run (never ran, or has ended).
   */
  terminate(): void {
    checkArgs(arguments, [])
    this.#assertRunning()
    this.#stop()
  }

  /** Ends both directions: whatever either waits for (a resume, a message, a send) is settled. */
  #stop(): void {
    if (this.#stopping) return
    this.#stopping = true
    this.#unpause()
    for (const l of this.#lanes) l.done(STOPPED)
    this.#frontEnd.wake()
    this.#backEnd.wake()
  }

  /** One direction. When it ends (a socket closed, an error), the other ends too. */
  async #forward(from: SocketBase, to: SocketBase, count: "frontToBack" | "backToFront", lane: Lane): Promise<void> {
    try {
      await this.#forwardLoop(from, to, count, lane)
    } finally {
      this.#stop()
    }
  }

  async #forwardLoop(from: SocketBase, to: SocketBase, count: "frontToBack" | "backToFront", lane: Lane): Promise<void> {
    while (!this.#stopping && !from.closed && !to.closed) {
      if (this.#resumed) {
        // Also woken when `from` closes (or a message arrives), so a close ends a paused proxy.
        await Promise.race([this.#resumed, from.whenReadable()])
        continue
      }
      const msg = from.receiveNow()
      if (!msg) {
        await from.whenReadable()
        continue
      }
      this.#copy(msg)
      const outcome = await this.#send(to, msg, lane)
      if (outcome === STOPPED) return
      if (outcome === undefined) {
        this.#counters[count]++
        continue
      }
      // The other side closed under us: that ends the proxy, as in libzmq.
      if (to.closed) return
      // EHOSTUNREACH from a mandatory router, EAGAIN from a send timeout: the message is dropped
      // as libzmq's proxy drops it; the proxy carries on.
      const code = (outcome as { code?: string }).code
      if (code !== "EHOSTUNREACH" && code !== "EAGAIN") throw outcome
      this.#counters.dropped++
    }
  }

  /** Sends, settling with undefined (sent), the send's error, or STOPPED if terminate() came first. */
  #send(to: SocketBase, msg: Buffer[], lane: Lane): Promise<Outcome> {
    return new Promise((resolve) => {
      lane.settle = resolve
      to.sendQueued(msg).then(lane.sent, lane.failed)
    })
  }

  /** Hands a copy to the capture socket if it can take it now; else drops it (and counts it). */
  #copy(msg: Buffer[]): void {
    const c = this.#capture
    if (!c || c.closed) return
    if (!c.writable || this.#capturePending >= Math.max(1, c.sendHighWaterMark)) {
      this.#counters.captureDropped++
      return
    }
    this.#capturePending++
    // A copy of the frame array (the frames themselves are shared, and never written to).
    c.send(msg.slice()).then(
      () => {
        this.#capturePending--
        this.#counters.captured++
      },
      () => {
        this.#capturePending--
        this.#counters.captureDropped++
      },
    )
  }
}

// Called without `new`, zeromq.js's TypeError (the binding of a class declaration is mutable).
// @ts-expect-error TS2629: TypeScript does not model assigning to a class declaration's binding.
Proxy = requireNew(Proxy)
