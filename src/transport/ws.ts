/**
 * The `ws://` and `wss://` transports in Node (RFC 45 over RFC 6455), on the `ws` library: endpoint
 * syntax, a listener (its own http/https server, or a path on an application's server), a
 * connecter with the tcp reconnect policy, and the adapter that hands a `ws` WebSocket to the ZWS
 * engine as a {@link MessageTransport}. Everything Node-specific about WebSocket lives here.
 *
 * `ws` validates subprotocols as RFC 6455 tokens, and "/" is not a token character, so it refuses
 * "ZWS2.0/NULL" both in a client's offer and in a request it parses. RFC 45 names the protocols so
 * (and libzmq sends them), so the `Sec-WebSocket-Protocol` header is read and written here, around
 * `ws`'s handshake, rather than by it.
 */
import { Buffer } from "node:buffer"
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http"
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https"
import type { Socket as NetSocket } from "node:net"
import { rootCertificates } from "node:tls"
import type { Duplex } from "node:stream"
import type WebSocket from "ws"
import type { WebSocketServer } from "ws"
import { chooseProtocol, type ZwsProtocol } from "../codec/zws.js"
import { ProtocolError, zerr } from "../errors.js"
import type { MessageTransport, MessageTransportHandlers } from "../engine/message-transport.js"
import { Connecter, type ConnecterHost, type ConnecterTiming } from "./connecter.js"
import { systemErrorCode, type Endpoint } from "./endpoint.js"
import { resolveHost } from "./tcp-tuning.js"
import { formatWsEndpoint, wsRoutePath, type WsEndpoint } from "./ws-endpoint.js"

// The endpoint syntax is shared with the browser build (src/browser/ws.ts), which has no `ws`.
/**
 * `ws`, loaded on the first ws:// or wss:// bind or connect rather than with the package: it reads
 * process.env as it loads, which Deno refuses without --allow-env, and a program that speaks only
 * tcp or ipc should need neither that permission nor the module (review of issue 18, finding 4).
 */
interface WsLib {
  WebSocket: typeof WebSocket
  WebSocketServer: typeof WebSocketServer
}
let wsLib: WsLib | undefined
let wsLoading: Promise<WsLib> | undefined
/** Loads `ws` once; every later call resolves to the same module. */
export function loadWs(): Promise<WsLib> {
  if (wsLib) return Promise.resolve(wsLib)
  wsLoading ??= import("ws").then((m) => {
    // ESM's wrapper has named exports; CommonJS's module.exports is the WebSocket class carrying
    // WebSocketServer as a property (what esbuild's interop hands a CommonJS build as `default`).
    const lib = ((m as { default?: unknown }).default ?? m) as WsLib & typeof WebSocket
    wsLib = { WebSocket: lib.WebSocket ?? lib, WebSocketServer: lib.WebSocketServer ?? (m as unknown as WsLib).WebSocketServer }
    return wsLib
  })
  return wsLoading
}

/** WebSocket readyState values (RFC 6455 states, as the WHATWG API and `ws` number them). */
const CONNECTING = 0
const OPEN = 1

export { formatWsEndpoint, parseWsEndpoint, type WsEndpoint } from "./ws-endpoint.js"

/** The server a ws endpoint may be bound on instead of a port of its own. */
export type WebServer = HttpServer | HttpsServer

/** Options of a bind (second argument of `bind()`), for ws and wss endpoints only. */
export interface BindOptions {
  /**
   * An http.Server or https.Server to serve the endpoint's path on, so one port serves a page and
   * its sockets. Its other requests and upgrades on other paths are left to it. The endpoint's
   * host and port should be the server's (`*` takes whatever the server listens on).
   */
  server?: WebServer
}

/** Maps a `ws` receiver error to the engine's error (a message too big, a framing violation). */
function wsError(e: Error & { code?: string }): ProtocolError | undefined {
  if (e.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") return new ProtocolError("ERR_ZMTP_MSGSIZE", e.message)
  if (typeof e.code === "string" && e.code.startsWith("WS_ERR_")) return new ProtocolError("ERR_ZMTP_FRAME", e.message)
  return undefined
}

/**
 * A `ws` WebSocket as the ZWS engine's {@link MessageTransport}. Back-pressure: `bufferedAmount` is
 * `ws`'s (the net socket's queue and the sender's); "drained" is when every send's write callback
 * has run, i.e. the net socket took everything to the kernel.
 */
export class NodeWsTransport implements MessageTransport {
  readonly messageTransport = true as const
  private handlers: MessageTransportHandlers | undefined
  private early: [Buffer, boolean][] = []
  private earlyClose: { error: ProtocolError | undefined } | undefined
  private gone = false
  private error: ProtocolError | undefined
  private outstanding = 0
  private drainWaiters: (() => void)[] = []

  constructor(
    private readonly ws: WebSocket,
    readonly protocol: string,
    readonly remoteAddress: string,
    readonly client: boolean,
  ) {
    ws.binaryType = "nodebuffer"
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (this.handlers) this.handlers.message(data, isBinary)
      else this.early.push([data, isBinary])
    })
    ws.on("pong", () => this.handlers?.alive())
    ws.on("error", (e: Error) => {
      this.error ??= wsError(e)
    })
    ws.on("close", () => this.closed())
  }

  private closed(): void {
    if (this.gone) return
    this.gone = true
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const f of waiters) f()
    if (this.handlers) this.handlers.close(this.error)
    else this.earlyClose = { error: this.error }
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }

  setHandlers(h: MessageTransportHandlers): void {
    this.handlers = h
    const early = this.early
    this.early = []
    for (const [d, b] of early) h.message(d, b)
    if (this.earlyClose) h.close(this.earlyClose.error)
  }

  private readonly sent = () => {
    if (--this.outstanding > 0) return
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const f of waiters) f()
  }

  send(data: Buffer): void {
    // RFC 6455 section 5.5.1: once a Close frame is sent no data frame may follow. `ws` would take
    // the message anyway, count it in bufferedAmount for ever and call back at once: the engine,
    // over its budget with nothing outstanding, then waited for a drain that came at once, again
    // and again, a microtask loop that froze the process (bench/ws.mjs's browser part, whose page
    // closes first). Dropped here, as a tcp write into a closing socket is.
    if (this.gone || this.ws.readyState !== OPEN) return
    this.outstanding++
    // The sends of one engine flush (one ZWS frame each, RFC 45) reach the kernel in one write:
    // uncorked once the flush's synchronous loop is over. Without it `ws` writes each message on
    // its own, a syscall per frame (39 % of a 16 B PUSH -> PULL profile, review of issue 19).
    if (!this.corked) {
      const sock = (this.ws as unknown as { _socket?: NetSocket })._socket
      if (sock) {
        this.corked = sock
        sock.cork()
        queueMicrotask(this.uncork)
      }
    }
    this.ws.send(data, { binary: true }, this.sent)
  }

  private corked: NetSocket | undefined
  private readonly uncork = () => {
    const s = this.corked
    this.corked = undefined
    s?.uncork()
  }

  onDrained(cb: () => void): void {
    // Never from within the caller's loop (DESIGN: no re-entrancy from below). A closing WebSocket
    // drains no more: the waiters are called once it is closed (see send).
    if (this.gone || (this.outstanding === 0 && this.ws.readyState === OPEN)) queueMicrotask(cb)
    else this.drainWaiters.push(cb)
  }

  pause(): void {
    this.ws.pause()
  }

  resume(): void {
    this.ws.resume()
  }

  ping(): void {
    if (this.ws.readyState === OPEN) this.ws.ping()
  }

  /**
   * `ws` takes maxPayload once, at construction; its receiver reads the limit for each frame header,
   * so raising it after the handshake reaches the receiver's field (`ws` 8's; test/transport/ws
   * checks that an oversized frame is refused from its header).
   */
  setMaxPayload(octets: number): void {
    const r = (this.ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver
    if (r && typeof r._maxPayload === "number") r._maxPayload = octets
  }

  close(code: number): void {
    if (this.ws.readyState === OPEN) this.ws.close(code)
    else if (this.ws.readyState === CONNECTING) this.ws.terminate()
  }

  terminate(): void {
    this.ws.terminate()
  }
}

// ---- listening -----------------------------------------------------------------------------------

/** One route per path on an http(s) server; one 'upgrade' handler per server, however many binds. */
const routes = new WeakMap<WebServer, Map<string, WsListener>>()

function onUpgrade(server: WebServer, own: boolean): (req: IncomingMessage, sock: Duplex, head: Buffer) => void {
  return (req, sock, head) => {
    // Matched as binds store their paths (canonical, without the query): ws-endpoint.ts.
    const path = wsRoutePath(req.url)
    const l = path === undefined ? undefined : routes.get(server)?.get(path)
    if (l) return l.upgrade(req, sock, head)
    // Another path: left to the application's own upgrade handlers, if it has any.
    if (own || server.listenerCount("upgrade") <= 1) {
      sock.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
      sock.destroy()
    }
  }
}

/** What a ws listener reads of its socket when it opens (as libzmq copies options at bind). */
export interface WsListenerOptions {
  readonly backlog: number
  readonly ipv6: boolean
  readonly wssCertPem: Buffer | null
  readonly wssKeyPem: Buffer | null
}

/** The socket side of a ws listener. */
export interface WsAcceptHost {
  /** The mechanism a new connection's subprotocol is chosen for (read at each upgrade). */
  wsMechanism(): "plain" | "curve" | null
  /** A handshaken WebSocket. */
  wsAccepted(t: NodeWsTransport, l: WsListener): void
  /** An upgrade refused: none of the client's subprotocols is one we speak (RFC 45 "Handshake"). */
  wsRefused(l: WsListener, offered: string | undefined): void
}

export class WsListener {
  /** Connections accepted through this listener and still open. */
  readonly connections = new Set<NodeWsTransport>()
  private readonly wss = new (wsLib as WsLib).WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: 64 * 1024 + 1 })
  /** The subprotocol chosen for each request being upgraded (written into the 101 response). */
  private readonly chosen = new WeakMap<IncomingMessage, ZwsProtocol>()
  private closed = false

  private constructor(
    private readonly server: WebServer,
    /** True when the server is ours (closed with the listener). */
    private readonly own: boolean,
    private readonly ep: WsEndpoint,
    /** The resolved endpoint, as lastEndpoint reports it. */
    readonly address: string,
    /** The string given to bind(), which unbind() accepts too. */
    readonly given: string,
    private readonly host: WsAcceptHost,
  ) {
    this.wss.on("headers", (headers: string[], req: IncomingMessage) => {
      const p = this.chosen.get(req)
      if (p) headers.push(`Sec-WebSocket-Protocol: ${p}`)
    })
  }

  /** Handles an upgrade request routed to this listener's path. */
  upgrade(req: IncomingMessage, sock: Duplex, head: Buffer): void {
    if (this.closed) return void sock.destroy()
    const offered = req.headers["sec-websocket-protocol"]
    const chosen = chooseProtocol(offered, this.host.wsMechanism())
    if (!chosen) {
      // RFC 45: "If none of the protocols are supported by the server the server should closed the
      // connection (with BAD REQUEST ...)".
      sock.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
      sock.destroy()
      return this.host.wsRefused(this, offered)
    }
    // `ws` would refuse the header ("/" is no token character): it is answered in 'headers' instead.
    delete req.headers["sec-websocket-protocol"]
    this.chosen.set(req, chosen)
    ;(sock as NetSocket).unref?.()
    this.wss.handleUpgrade(req, sock, head, (ws) => {
      if (this.closed) return void ws.terminate()
      const t = new NodeWsTransport(ws, chosen, req.socket.remoteAddress ?? "", false)
      this.connections.add(t)
      ws.once("close", () => this.connections.delete(t))
      this.host.wsAccepted(t, this)
    })
  }

  /**
   * Starts listening: on a server of its own at the endpoint's host and port, or on `server` at
   * the endpoint's path. Rejects with a typed error (EADDRINUSE for a port or a path taken, EINVAL
   * for wss without a certificate or a port other than the server's).
   */
  static async open(ep: WsEndpoint, given: string, opts: WsListenerOptions, host: WsAcceptHost, server?: WebServer): Promise<WsListener> {
    await loadWs()
    return WsListener.openLoaded(ep, given, opts, host, server)
  }

  /** {@link open} once `ws` is loaded (the constructor makes its WebSocketServer). */
  private static openLoaded(ep: WsEndpoint, given: string, opts: WsListenerOptions, host: WsAcceptHost, server?: WebServer): Promise<WsListener> {
    const { backlog, ipv6 } = opts
    if (server) {
      let table = routes.get(server)
      if (table?.has(ep.path)) return Promise.reject(zerr("EADDRINUSE", `path ${ep.path} is bound on this server already`, given))
      const a = server.address()
      let h = ep.host === "" ? "0.0.0.0" : ep.host
      let port = ep.port
      if (a && typeof a === "object") {
        if (ep.port !== 0 && ep.port !== a.port) return Promise.reject(zerr("EINVAL", `the server listens on port ${a.port}, not ${ep.port}`, given))
        port = a.port
        if (ep.host === "") h = a.address
      }
      if (!table) {
        table = new Map()
        routes.set(server, table)
        const handler = onUpgrade(server, false)
        handlerOf.set(server, handler)
        server.on("upgrade", handler)
      }
      const l = new WsListener(server, false, ep, formatWsEndpoint(ep, h, port), given, host)
      table.set(ep.path, l)
      return Promise.resolve(l)
    }
    if (ep.transport === "wss" && (!opts.wssCertPem || !opts.wssKeyPem)) {
      return Promise.reject(zerr("EINVAL", "a wss:// bind needs wssCertPem and wssKeyPem (or an https.Server given to bind)", given))
    }
    const s: WebServer = ep.transport === "wss" ? createHttpsServer({ cert: opts.wssCertPem!, key: opts.wssKeyPem! }) : createHttpServer()
    // Plain HTTP requests to a socket's own server: it serves WebSocket upgrades only.
    s.on("request", (_req, res) => {
      res.writeHead(426, { Upgrade: "websocket", Connection: "close" }).end()
    })
    // Neither the server nor its connections hold the process (lifetime.ts), as for tcp.
    s.unref()
    return new Promise((resolve, reject) => {
      const fail = (e: NodeJS.ErrnoException) => {
        s.close()
        reject(zerr(systemErrorCode(e), e.message, given))
      }
      s.once("error", fail)
      resolveHost(ep.host, ipv6, (err, h) => {
        if (err) return fail(err)
        s.listen({ host: h, port: ep.port, backlog }, () => {
          s.off("error", fail)
          s.on("error", () => {})
          const a = s.address() as { address: string; port: number }
          const l = new WsListener(s, true, ep, formatWsEndpoint(ep, a.address, a.port), given, host)
          routes.set(s, new Map([[ep.path, l]]))
          s.on("upgrade", onUpgrade(s, true))
          resolve(l)
        })
      })
    })
  }

  /** Stops listening (or frees its path on the application's server), and drops connections if asked. */
  close(dropConnections: boolean): void {
    if (this.closed) return
    this.closed = true
    const table = routes.get(this.server)
    if (table?.get(this.ep.path) === this) table.delete(this.ep.path)
    if (this.own) this.server.close()
    else if (table && table.size === 0) {
      // The last route on the application's server: our upgrade handler goes too.
      const h = handlerOf.get(this.server)
      if (h) this.server.off("upgrade", h)
      handlerOf.delete(this.server)
      routes.delete(this.server)
    }
    if (dropConnections) for (const c of this.connections) c.terminate()
  }
}

/** The upgrade handler installed on each application server (one, whichever listener installed it). */
const handlerOf = new WeakMap<WebServer, (req: IncomingMessage, sock: Duplex, head: Buffer) => void>()

// ---- connecting ----------------------------------------------------------------------------------

/** The options a ws connect reads from its socket at connect(), besides the reconnect timing. */
export interface WsConnectOptions {
  readonly wssTrustPem: Buffer | null
  readonly wssTrustSystem: boolean
  readonly wssHostname: Buffer | null
}

/** The socket side of a ws connecter. */
export interface WsConnectHost extends ConnecterHost {
  /** The mechanism the subprotocols offered are chosen for (read at each attempt). */
  wsMechanism(): "plain" | "curve" | null
}

/**
 * The connecting side: a WebSocket client per attempt, with the tcp connecter's reconnect policy
 * and events ("connect:delay" when the attempt starts, "connect" once the opening handshake is
 * done, "close" and "connect:retry" for one that fails, a refused subprotocol included).
 */
export class WsConnecter extends Connecter {
  private ws: WebSocket | undefined
  /**
   * Set when a server refused our offer with 400 while it included "ZWS2.0" after "ZWS2.0/NULL":
   * a server on `ws` 8 (jszmq's, for one) refuses the whole header for its "/" (see the file's
   * doc), so the next attempts offer "ZWS2.0" alone, which RFC 45 says every implementation speaks.
   */
  private bareOnly = false
  private readonly tls: { ca?: string[] | Buffer; servername?: string }

  constructor(
    private readonly wsEp: WsEndpoint,
    address: string,
    private readonly timingOf: () => ConnecterTiming,
    private readonly hostOf: WsConnectHost,
    options: WsConnectOptions,
    /** The protocols to offer for a mechanism, most preferred first. */
    private readonly offer: (mechanism: "plain" | "curve" | null) => ZwsProtocol[],
  ) {
    // The parent's fields for a tcp or ipc endpoint are unused: attempt() below replaces its dialling.
    super({ transport: "ipc", path: "" } as Endpoint, address, timingOf, hostOf)
    this.tls = {}
    if (options.wssTrustPem) {
      const pem = options.wssTrustPem.toString("latin1")
      this.tls.ca = options.wssTrustSystem ? [...rootCertificates, pem] : [pem]
    }
    if (options.wssHostname) this.tls.servername = options.wssHostname.toString("utf8")
  }

  protected override attempt(): void {
    this.timer = undefined
    if (this.stopped) return
    if (!wsLib) {
      loadWs().then(
        () => this.attempt(),
        () => this.retry(),
      )
      return
    }
    const ep = this.wsEp
    const offered = this.offer(this.hostOf.wsMechanism())
    const protocols = this.bareOnly && offered.includes("ZWS2.0") ? (["ZWS2.0"] as ZwsProtocol[]) : offered
    const host = ep.host.includes(":") ? `[${ep.host}]` : ep.host
    const url = `${ep.transport}://${host}:${ep.port}${ep.path}`
    const t = this.timingOf()
    // The HTTP upgrade is part of a ws connection's handshake: a server that never answers it is
    // dropped after ZMQ_HANDSHAKE_IVL and redialled, as a silent tcp peer is (ZMQ_CONNECT_TIMEOUT,
    // when set, bounds it first). Before, the one attempt hung for ever (review of issue 19, finding 6).
    const handshake = (t as ConnecterTiming & { handshakeInterval?: number }).handshakeInterval ?? 0
    const upgradeTimeout = t.connectTimeout > 0 ? t.connectTimeout : handshake
    let ws: WebSocket
    try {
      ws = new wsLib.WebSocket(url, {
        // Written here: `ws` refuses "ZWS2.0/NULL" as a subprotocol token (see the file's doc).
        headers: { "Sec-WebSocket-Protocol": protocols.join(",") },
        perMessageDeflate: false,
        maxPayload: 64 * 1024 + 1,
        ...(upgradeTimeout > 0 ? { handshakeTimeout: upgradeTimeout } : {}),
        ...this.tls,
      })
    } catch {
      return this.retry()
    }
    this.ws = ws
    this.hostOf.connectEvent("connect:delay", this.eventAddress)
    let chosen: string | undefined
    ws.on("upgrade", (res: IncomingMessage) => {
      const p = res.headers["sec-websocket-protocol"]
      chosen = Array.isArray(p) ? p[0] : p
      // `ws` would fail a subprotocol it did not offer itself; it is checked below instead.
      delete res.headers["sec-websocket-protocol"]
    })
    const failed = () => {
      if (this.ws !== ws) return
      this.ws = undefined
      ws.terminate()
      this.hostOf.connectEvent("close", this.eventAddress)
      this.retry()
    }
    ws.on("unexpected-response", (_req, res: IncomingMessage) => {
      if (res.statusCode === 400 && protocols.length > 1 && protocols.includes("ZWS2.0")) this.bareOnly = true
      failed()
    })
    ws.once("error", failed)
    ws.once("close", failed)
    ws.once("open", () => {
      // RFC 45: "Server must choose one of the client protocols".
      if (chosen === undefined || !(protocols as string[]).includes(chosen)) return failed()
      ws.off("error", failed)
      ws.off("close", failed)
      this.ws = undefined
      if (this.stopped) return void ws.terminate()
      this.current = -1
      const sock = (ws as unknown as { _socket?: NetSocket })._socket
      sock?.unref()
      this.hostOf.connectEvent("connect", this.eventAddress)
      const transport = new NodeWsTransport(ws, chosen, sock?.remoteAddress ?? "", true)
      // The socket tells a message transport from a byte stream (isMessageTransport).
      this.hostOf.connected(transport as unknown as NetSocket, this)
    })
    // A connection attempt does not hold the process (lifetime.ts), as for tcp.
    const req = (ws as unknown as { _req?: { on(e: string, f: (s: NetSocket) => void): void } })._req
    req?.on("socket", (s) => s.unref())
  }

  override stop(): void {
    super.stop()
    const ws = this.ws
    this.ws = undefined
    ws?.terminate()
  }
}
