/**
 * Connecting side of a transport, with libzmq's reconnect policy: retry after `reconnectInterval`,
 * doubling up to `reconnectMaxInterval` when that is set, never when the interval is -1.
 */
import { lookup } from "node:dns"
import { connect as netConnect, isIP, type Socket as NetSocket } from "node:net"
import { formatEndpoint, type Endpoint } from "./endpoint.js"

/** Timing options, in milliseconds, as the socket has them when a retry is scheduled. */
export interface ConnecterTiming {
  reconnectInterval: number
  reconnectMaxInterval: number
  connectTimeout: number
}

/** What a connecter reports. */
export interface ConnecterHost {
  connected(sock: NetSocket, c: Connecter): void
  connectEvent(type: "connect" | "connect:delay" | "connect:retry" | "close", address: string, interval?: number): void
}

export class Connecter {
  private timer: NodeJS.Timeout | undefined
  private pending: NetSocket | undefined
  private current = -1
  private stopped = false
  /** Bumped by stop(): a host name lookup that answers after it is ignored. */
  private generation = 0
  /** True while a host name is being looked up for the next attempt. */
  private resolving = false
  /** The endpoint of the connection made last, as libzmq formats a resolved address. */
  private resolved: string | undefined
  /**
   * The address this connecter's events carry. libzmq names them by the endpoint given to connect()
   * until a connection made through it is lost; the connecter it then starts is made from the
   * resolved address, so from there on its events say `tcp://127.0.0.1:P` for `tcp://localhost:P`.
   */
  eventAddress: string

  constructor(
    private readonly ep: Endpoint,
    readonly address: string,
    private readonly timing: () => ConnecterTiming,
    private readonly host: ConnecterHost,
  ) {
    this.eventAddress = address
  }

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
    const ep = this.ep
    if (ep.transport === "tcp" && isIP(ep.host) === 0) {
      // A host name is resolved first, as libzmq's tcp_connecter does, to IPv4 addresses only
      // (ZMQ_IPV6 is off): one that does not resolve opens no descriptor, so it reports neither
      // "connect:delay" nor "close", only the next "connect:retry".
      const generation = this.generation
      this.resolving = true
      lookup(ep.host, { family: 4 }, (err, ip) => {
        this.resolving = false
        if (this.stopped || generation !== this.generation) return
        if (err) return this.retry()
        this.open(ip)
      })
      return
    }
    this.open(ep.transport === "tcp" ? ep.host : undefined)
  }

  private open(ip: string | undefined): void {
    const sock = this.ep.transport === "tcp" ? netConnect({ host: ip, port: this.ep.port, noDelay: true }) : netConnect({ path: this.ep.path })
    this.pending = sock
    // Connections and reconnect timers do not hold the process; a pending operation does (lifetime.ts).
    sock.unref()
    // libzmq reports a TCP connect in progress (EINPROGRESS) as "connect:delay"; an ipc connect
    // completes or fails at once, so it has none.
    if (this.ep.transport === "tcp") this.host.connectEvent("connect:delay", this.eventAddress)
    const t = this.timing()
    let timeout: NodeJS.Timeout | undefined
    if (t.connectTimeout > 0) {
      timeout = setTimeout(() => sock.destroy(new Error("connect timed out")), t.connectTimeout).unref()
    }
    const onError = () => {
      clearTimeout(timeout)
      if (this.pending !== sock) return
      this.pending = undefined
      sock.destroy()
      // The failed attempt's descriptor is closed ("close", with no error, as libzmq reports it),
      // then a retry is scheduled.
      this.host.connectEvent("close", this.eventAddress)
      this.retry()
    }
    sock.once("error", onError)
    sock.once("connect", () => {
      clearTimeout(timeout)
      sock.off("error", onError)
      this.pending = undefined
      if (this.stopped) return void sock.destroy()
      this.current = -1
      if (this.ep.transport === "tcp" && sock.remoteAddress !== undefined) {
        this.resolved = formatEndpoint(this.ep, this.ep.port, sock.remoteAddress)
      }
      this.host.connectEvent("connect", this.eventAddress)
      this.host.connected(sock, this)
    })
  }

  /** The connection failed or ended: try again per the reconnect policy. */
  retry(): void {
    if (this.stopped || this.timer || this.pending || this.resolving) return
    // A connection was made and is gone (or a failed attempt follows one): name events from here on
    // as libzmq's next connecter does.
    if (this.resolved !== undefined) this.eventAddress = this.resolved
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
    this.host.connectEvent("connect:retry", this.eventAddress, interval)
    this.timer = setTimeout(() => this.attempt(), interval).unref()
  }

  stop(): void {
    this.stopped = true
    this.generation++
    this.resolving = false
    clearTimeout(this.timer)
    this.timer = undefined
    this.pending?.destroy()
    this.pending = undefined
  }
}
