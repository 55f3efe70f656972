/**
 * Connecting side of a transport, with libzmq's reconnect policy: retry after `reconnectInterval`,
 * doubling up to `reconnectMaxInterval` when that is set, never when the interval is -1.
 */
import { connect as netConnect, type Socket as NetSocket } from "node:net"
import type { Endpoint } from "./endpoint.js"

/** Timing options, in milliseconds, as the socket has them when a retry is scheduled. */
export interface ConnecterTiming {
  reconnectInterval: number
  reconnectMaxInterval: number
  connectTimeout: number
}

/** What a connecter reports. */
export interface ConnecterHost {
  connected(sock: NetSocket, c: Connecter): void
  connectEvent(type: "connect" | "connect:delay" | "connect:retry" | "close", address: string, interval?: number, error?: Error): void
}

export class Connecter {
  private timer: NodeJS.Timeout | undefined
  private pending: NetSocket | undefined
  private current = -1
  private stopped = false

  constructor(
    private readonly ep: Endpoint,
    readonly address: string,
    private readonly timing: () => ConnecterTiming,
    private readonly host: ConnecterHost,
  ) {}

  /** True until {@link stop}. */
  get active(): boolean {
    return !this.stopped
  }

  start(): void {
    this.attempt()
  }

  private attempt(): void {
    this.timer = undefined
    if (this.stopped) return
    const sock =
      this.ep.transport === "tcp"
        ? netConnect({ host: this.ep.host, port: this.ep.port, noDelay: true })
        : netConnect({ path: this.ep.path })
    this.pending = sock
    // Connections and reconnect timers do not hold the process; a pending operation does (lifetime.ts).
    sock.unref()
    // libzmq reports a TCP connect in progress (EINPROGRESS) as "connect:delay"; an ipc connect
    // completes or fails at once, so it has none.
    if (this.ep.transport === "tcp") this.host.connectEvent("connect:delay", this.address)
    const t = this.timing()
    let timeout: NodeJS.Timeout | undefined
    if (t.connectTimeout > 0) {
      timeout = setTimeout(() => sock.destroy(new Error("connect timed out")), t.connectTimeout).unref()
    }
    const onError = (e: Error) => {
      clearTimeout(timeout)
      if (this.pending !== sock) return
      this.pending = undefined
      sock.destroy()
      // The failed attempt's descriptor is closed ("close"), then a retry is scheduled.
      this.host.connectEvent("close", this.address, undefined, e)
      this.retry()
    }
    sock.once("error", onError)
    sock.once("connect", () => {
      clearTimeout(timeout)
      sock.off("error", onError)
      this.pending = undefined
      if (this.stopped) return void sock.destroy()
      this.current = -1
      this.host.connectEvent("connect", this.address)
      this.host.connected(sock, this)
    })
  }

  /** The connection failed or ended: try again per the reconnect policy. */
  retry(): void {
    if (this.stopped || this.timer || this.pending) return
    const t = this.timing()
    if (t.reconnectInterval < 0) return
    // libzmq 4.3.5's policy (stream_connecter_base get_new_reconnect_ivl): with a maximum set, the
    // wait doubles from the base and is capped; without one, it is the base plus a random jitter
    // below the base, so that many clients do not come back in step.
    let interval: number
    if (t.reconnectMaxInterval > 0) {
      this.current = Math.min(this.current < 0 ? t.reconnectInterval : this.current * 2, t.reconnectMaxInterval)
      interval = this.current
    } else {
      interval = t.reconnectInterval + (t.reconnectInterval > 0 ? Math.floor(Math.random() * t.reconnectInterval) : 0)
    }
    this.host.connectEvent("connect:retry", this.address, interval)
    this.timer = setTimeout(() => this.attempt(), interval).unref()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    this.pending?.destroy()
    this.pending = undefined
  }
}
