/**
 * Proxy, as zeromq.js v6 has it (libzmq's zmq_proxy_steerable): forwards whole messages between a
 * frontend and a backend socket in both directions, optionally copying each to a capture socket.
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
import { zerr } from "./errors.js"
import type { SocketBase } from "./sockets/socket-base.js"

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

export class Proxy<F extends SocketBase = SocketBase, B extends SocketBase = SocketBase> {
  private running = false
  private terminated = false
  private paused = false
  private resumeWaiters: (() => void)[] = []
  /** Each direction's send under way, if any: terminate() settles it as STOPPED. */
  private readonly lanes = [new Lane(), new Lane()] as const
  private capturePending = 0
  private readonly counters: ProxyStatistics = { frontToBack: 0, backToFront: 0, dropped: 0, captured: 0, captureDropped: 0 }

  /**
   * @param frontEnd socket facing clients (usually a Router; an XSubscriber facing publishers for
   *   a pub-sub forwarder, whose messages go down while the XPublisher's subscriptions go up)
   * @param backEnd socket facing workers (usually a Dealer; an XPublisher facing subscribers)
   * @param capture optional socket that receives a copy of every forwarded message (a zmtp extension
   *   of zeromq.js's constructor; libzmq's capture argument). Best effort: copies it cannot take at
   *   once are dropped and counted in {@link statistics}.
   */
  constructor(
    readonly frontEnd: F,
    readonly backEnd: B,
    readonly capture?: SocketBase,
  ) {}

  /**
   * Counters since construction: messages forwarded each way, messages dropped because the
   * destination refused them, and capture copies taken and dropped. A zmtp extension (zeromq.js's
   * Proxy has no statistics).
   */
  get statistics(): ProxyStatistics {
    return { ...this.counters }
  }

  /** Forwards until {@link terminate} is called or either socket closes. Rejects EFSM if already running or terminated. */
  async run(): Promise<void> {
    if (this.running) throw zerr("EFSM", "proxy is already running")
    if (this.terminated) throw zerr("EFSM", "proxy was terminated")
    if (this.frontEnd.closed || this.backEnd.closed) throw zerr("EBADF")
    this.running = true
    try {
      await Promise.all([
        this.forward(this.frontEnd, this.backEnd, "frontToBack", this.lanes[0]),
        this.forward(this.backEnd, this.frontEnd, "backToFront", this.lanes[1]),
      ])
    } finally {
      this.running = false
      this.terminated = true
    }
  }

  /** Stops forwarding until {@link resume}; messages wait in the sockets' queues meanwhile. */
  pause(): void {
    if (this.terminated) throw zerr("EFSM", "proxy was terminated")
    this.paused = true
  }

  /** Resumes forwarding after {@link pause}. */
  resume(): void {
    if (this.terminated) throw zerr("EFSM", "proxy was terminated")
    this.paused = false
    const w = this.resumeWaiters
    this.resumeWaiters = []
    for (const f of w) f()
  }

  /**
   * Ends {@link run} promptly, even while a forward waits in a send that cannot complete (a
   * destination at its high-water mark, or with no peer). The message of such a send stays queued in
   * the destination socket, as any un-awaited send would: it goes out once there is room, or is
   * dropped when that socket closes. The sockets stay open; close them yourself.
   */
  terminate(): void {
    if (this.terminated) return
    this.terminated = true
    this.paused = false
    for (const f of this.resumeWaiters.splice(0)) f()
    for (const l of this.lanes) l.done(STOPPED)
    this.frontEnd.wake()
    this.backEnd.wake()
  }

  private async forward(from: SocketBase, to: SocketBase, count: "frontToBack" | "backToFront", lane: Lane): Promise<void> {
    while (!this.terminated && !from.closed && !to.closed) {
      if (this.paused) {
        await new Promise<void>((r) => this.resumeWaiters.push(r))
        continue
      }
      const msg = from.receiveNow()
      if (!msg) {
        await from.whenReadable()
        continue
      }
      this.copy(msg)
      const outcome = await this.send(to, msg, lane)
      if (outcome === STOPPED) return
      if (outcome === undefined) {
        this.counters[count]++
        continue
      }
      // The other side closed under us: that ends the proxy, as in libzmq.
      if (to.closed) return
      // EHOSTUNREACH from a mandatory router, EAGAIN from a send timeout: the message is dropped
      // as libzmq's proxy drops it; the proxy carries on.
      const code = (outcome as { code?: string }).code
      if (code !== "EHOSTUNREACH" && code !== "EAGAIN") throw outcome
      this.counters.dropped++
    }
  }

  /** Sends, settling with undefined (sent), the send's error, or STOPPED if terminate() came first. */
  private send(to: SocketBase, msg: Buffer[], lane: Lane): Promise<Outcome> {
    return new Promise((resolve) => {
      lane.settle = resolve
      to.send(msg).then(lane.sent, lane.failed)
    })
  }

  /** Hands a copy to the capture socket if it can take it now; else drops it (and counts it). */
  private copy(msg: Buffer[]): void {
    const c = this.capture
    if (!c || c.closed) return
    if (!c.writable || this.capturePending >= Math.max(1, c.sendHighWaterMark)) {
      this.counters.captureDropped++
      return
    }
    this.capturePending++
    // A copy of the frame array (the frames themselves are shared, and never written to).
    c.send(msg.slice()).then(
      () => {
        this.capturePending--
        this.counters.captured++
      },
      () => {
        this.capturePending--
        this.counters.captureDropped++
      },
    )
  }
}
