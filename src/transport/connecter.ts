/**
 * Connecting side of a transport, with libzmq's reconnect policy: retry after `reconnectInterval`,
 * doubling up to `reconnectMaxInterval` when that is set, never when the interval is -1. A TCP
 * connect goes through a SOCKS5 proxy when `socksProxy` is set (socks5.ts), as libzmq's does.
 */
import { Buffer } from "node:buffer"
import { connect as netConnect, type Socket as NetSocket } from "node:net"
import { denoNetDenied, denoPathDenied } from "./deno-permissions.js"
import { formatEndpoint, type Endpoint } from "./endpoint.js"
import { SOCKS5_GREETING, socks5Choice, socks5ConnectRequest, socks5Reply, type SocksVerdict } from "./socks5.js"
import { applyKeepalive, resolveHost, type TcpTuning } from "./tcp-tuning.js"

/**
 * The socket's options: timing in milliseconds (read when an attempt starts), the TCP options and
 * ZMQ_SOCKS_PROXY (`host:port`, or null for a direct connect), which are read once, at connect(),
 * as libzmq's session copies them.
 */
export interface ConnecterTiming extends TcpTuning {
  reconnectInterval: number
  reconnectMaxInterval: number
  connectTimeout: number
  socksProxy: string | null
}

/** What a connecter reports. */
export interface ConnecterHost {
  connected(sock: NetSocket, c: Connecter): void
  connectEvent(type: "connect" | "connect:delay" | "connect:retry" | "close", address: string, interval?: number): void
}

export class Connecter {
  protected timer: NodeJS.Timeout | undefined
  private pending: NetSocket | undefined
  protected current = -1
  protected stopped = false
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
    const t = timing()
    this.tcp = { ipv6: t.ipv6, tcpKeepalive: t.tcpKeepalive, tcpKeepaliveIdle: t.tcpKeepaliveIdle, socksProxy: t.socksProxy }
    // Through a proxy, events name it (`tcp://<proxy>`) whatever happens: libzmq makes each
    // socks_connecter from the option's string.
    this.eventAddress = ep.transport === "tcp" && t.socksProxy !== null ? `tcp://${t.socksProxy}` : address
    // Under Deno, a connection the program may not open would fail at every attempt, retrying
    // forever without saying why, and the permission cannot come later (a background attempt
    // brings no prompt): so connect() throws EACCES at once, as it throws for a bad endpoint.
    const proxy = ep.transport === "tcp" && t.socksProxy !== null ? parseHostPort(t.socksProxy) : undefined
    const denied =
      ep.transport === "ipc" ? denoPathDenied(ep.path, address) : proxy ? denoNetDenied(proxy.host, proxy.port, address) : t.socksProxy === null ? denoNetDenied(ep.host, ep.port, address) : undefined
    if (denied) throw denied
  }

  /** The options read at connect(). */
  private readonly tcp: TcpTuning & { socksProxy: string | null }

  /** True until {@link stop}. */
  get active(): boolean {
    return !this.stopped
  }

  start(): void {
    this.attempt()
  }

  protected attempt(): void {
    this.timer = undefined
    if (this.stopped) return
    const ep = this.ep
    if (ep.transport !== "tcp") return this.open(undefined, 0, undefined)
    const t = this.tcp
    // ZMQ_SOCKS_PROXY: the TCP connection goes to the proxy, and the destination travels
    // unresolved in the CONNECT request.
    let host = ep.host
    let port = ep.port
    let socks: Buffer | undefined
    if (t.socksProxy !== null) {
      const proxy = parseHostPort(t.socksProxy)
      if (!proxy) return this.retry()
      try {
        socks = socks5ConnectRequest(ep.host, ep.port)
      } catch {
        return this.retry()
      }
      ;({ host, port } = proxy)
    }
    // A host name is resolved first, as libzmq's tcp_connecter does, to the family ZMQ_IPV6
    // selects: one that does not resolve opens no descriptor, so it reports neither
    // "connect:delay" nor "close", only the next "connect:retry".
    const generation = this.generation
    this.resolving = true
    resolveHost(host, t.ipv6, (err, ip) => {
      this.resolving = false
      if (this.stopped || generation !== this.generation) return
      if (err) return this.retry()
      this.open(ip, port, socks)
    })
  }

  private open(ip: string | undefined, port: number, socks: Buffer | undefined): void {
    const sock = this.ep.transport === "tcp" ? netConnect({ host: ip, port, noDelay: true }) : netConnect({ path: this.ep.path })
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
    const connected = () => {
      sock.off("error", onError)
      sock.off("close", onError)
      this.pending = undefined
      if (this.stopped) return void sock.destroy()
      this.current = -1
      if (this.ep.transport === "tcp") applyKeepalive(sock, this.tcp)
      if (this.ep.transport === "tcp" && !socks && sock.remoteAddress !== undefined) {
        this.resolved = formatEndpoint(this.ep, this.ep.port, sock.remoteAddress)
      }
      this.host.connectEvent("connect", this.eventAddress)
      this.host.connected(sock, this)
      // The SOCKS handshake paused the connection so that no octet of the peer's was lost before
      // the engine listened; it listens now.
      if (socks) sock.resume()
    }
    sock.once("connect", () => {
      clearTimeout(timeout)
      if (!socks) return connected()
      // The proxy may end the connection at any point of the handshake: a failed attempt too.
      sock.once("close", onError)
      socksHandshake(sock, socks, (ok) => (ok ? connected() : onError()))
    })
  }

  /** The connection failed or ended: try again per the reconnect policy. */
  retry(): void {
    if (this.stopped || this.timer || this.pending || this.resolving) return
    // A connection was made and is gone (or a failed attempt follows one): name events from here on
    // as libzmq's next connecter does (through a proxy, still the proxy).
    if (this.resolved !== undefined && this.tcp.socksProxy === null) this.eventAddress = this.resolved
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

/** `host:port` or `[v6]:port`, as ZMQ_SOCKS_PROXY holds it; undefined if it is neither. */
function parseHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s)
  if (!m || Number(m[3]) > 65535 || Number(m[3]) === 0) return undefined
  return { host: m[1] ?? m[2]!, port: Number(m[3]) }
}

/**
 * Drives the SOCKS5 exchange (RFC 1928) on a connection to the proxy: the greeting, the method
 * selection, the CONNECT request, its reply. Octets that follow the reply belong to the ZMTP peer
 * and are put back for the engine. At most one reply's worth of octets (262) is ever held.
 */
function socksHandshake(sock: NetSocket, request: Buffer, done: (ok: boolean) => void): void {
  let buf: Buffer = Buffer.alloc(0)
  let step: (b: Buffer) => SocksVerdict = socks5Choice
  const onData = (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    for (;;) {
      const v = step(buf)
      if (!v.done) return
      if (!v.ok) {
        sock.off("data", onData)
        sock.destroy()
        return done(false)
      }
      buf = v.rest
      if (step === socks5Choice) {
        step = socks5Reply
        sock.write(request)
        continue
      }
      sock.off("data", onData)
      sock.pause()
      if (buf.length > 0) sock.unshift(buf)
      return done(true)
    }
  }
  sock.on("data", onData)
  sock.write(SOCKS5_GREETING)
}
