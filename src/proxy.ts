/**
 * Proxy, as zeromq.js v6 has it (libzmq's zmq_proxy_steerable): forwards whole messages between a
 * frontend and a backend socket in both directions, optionally copying each to a capture socket.
 * Each direction is one loop, so messages from one peer keep their order; each loop awaits the
 * send, so the high-water marks of both sides hold (a slow side slows the proxy, nothing queues
 * without bound).
 */
import { zerr } from "./errors.js"
import type { SocketBase } from "./sockets/socket-base.js"

export class Proxy<F extends SocketBase = SocketBase, B extends SocketBase = SocketBase> {
  private running = false
  private terminated = false
  private paused = false
  private resumeWaiters: (() => void)[] = []

  /**
   * @param frontEnd socket facing clients (usually a Router)
   * @param backEnd socket facing workers (usually a Dealer)
   * @param capture optional socket that receives a copy of every forwarded message (a zmtp extension
   *   of zeromq.js's constructor; libzmq's capture argument)
   */
  constructor(
    readonly frontEnd: F,
    readonly backEnd: B,
    readonly capture?: SocketBase,
  ) {}

  /** Forwards until {@link terminate} is called or either socket closes. Rejects EBUSY if already running. */
  async run(): Promise<void> {
    if (this.running) throw zerr("EFSM", "proxy is already running")
    if (this.terminated) throw zerr("EFSM", "proxy was terminated")
    if (this.frontEnd.closed || this.backEnd.closed) throw zerr("EBADF")
    this.running = true
    try {
      await Promise.all([this.forward(this.frontEnd, this.backEnd), this.forward(this.backEnd, this.frontEnd)])
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

  /** Ends {@link run}. The sockets stay open; close them yourself. */
  terminate(): void {
    if (this.terminated) return
    this.terminated = true
    this.paused = false
    for (const f of this.resumeWaiters.splice(0)) f()
    this.frontEnd.wake()
    this.backEnd.wake()
  }

  private async forward(from: SocketBase, to: SocketBase): Promise<void> {
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
      if (this.capture && !this.capture.closed) {
        // The copy is best effort: a capture socket that cannot take it does not stop the proxy.
        this.capture.send(msg.slice()).catch(() => {})
      }
      try {
        await to.send(msg)
      } catch (e) {
        // The other side closed under us: that ends the proxy, as in libzmq.
        if (to.closed) return
        // EHOSTUNREACH from a mandatory router, EAGAIN from a send timeout: the message is dropped
        // as libzmq's proxy drops it; the proxy carries on.
        if ((e as { code?: string }).code !== "EHOSTUNREACH" && (e as { code?: string }).code !== "EAGAIN") throw e
      }
    }
  }
}
