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
import { ProtocolError, zerr, zerrWithMessage, type ZmtpError } from "../errors.js"
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

/**
 * Under Bun, `import("ws")` gives Bun's own module, not the package (measured with Bun 1.4.5: its
 * WebSocket has no `_receiver`; its client checks the answered subprotocol in `res.rawHeaders`,
 * after the 'upgrade' event, so the header cannot be kept from it). The client then uses Bun's
 * global WebSocket, which takes headers (bun.sh/reference/bun/WebSocket), and the server its `ws`.
 */
const BUN = typeof (process.versions as { bun?: string }).bun === "string"

/**
 * The maxPayload a `ws` WebSocket is made with: the handshake's limit (the engine sets it again,
 * and raises it after the handshake through the receiver), or none under Bun, whose native side
 * takes the limit once and for good (NodeWsTransport.setMaxPayload then checks each message).
 */
const INITIAL_MAX_PAYLOAD = BUN ? 0 : 64 * 1024 + 1

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
  /** The limit setMaxPayload gave, checked here where `ws` cannot check it (0: none). */
  private maxPayload = 0
  private refused = false

  constructor(
    private readonly ws: WebSocket,
    readonly protocol: string,
    readonly remoteAddress: string,
    readonly client: boolean,
  ) {
    ws.binaryType = "nodebuffer"
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (this.refused) return
      if (this.maxPayload > 0 && data.length > this.maxPayload) {
        // Only where `ws` could not take the limit (Bun's, see setMaxPayload): the message is
        // whole in memory already, so this refuses it as early as that runtime allows.
        this.refused = true
        this.error ??= new ProtocolError("ERR_ZMTP_MSGSIZE", `WebSocket message of ${data.length} octets exceeds the limit of ${this.maxPayload}`)
        return this.close(1009)
      }
      if (this.handlers) this.handlers.message(data, isBinary)
      else this.early.push([data, isBinary])
    })
    ws.on("pong", () => this.handlers?.alive())
    ws.on("error", (e: Error) => {
      this.error ??= wsError(e)
      // `ws` refused what the peer sent (1009 over maxPayload, a framing fault): it sends its Close,
      // then resumes the socket to discard what follows until the peer ends it or closeTimeout.
      // Failed is failed (RFC 6455 section 7.1.7: no further data is processed): stop reading, so a
      // hostile peer is held back by the kernel's buffers. After `ws`'s resume (a nextTick).
      setImmediate(() => this.ws.pause())
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
   * checks that an oversized frame is refused from its header). Bun replaces `ws` with its own
   * module, whose WebSocket has no receiver: its native side takes the limit at construction only
   * ({@link INITIAL_MAX_PAYLOAD} is then 0, none), so the limit is checked here, on each message
   * as it arrives, after Bun has buffered it (test/transport/ws-sizes.test.ts).
   */
  setMaxPayload(octets: number): void {
    const r = (this.ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver
    if (r && typeof r._maxPayload === "number") r._maxPayload = octets
    else this.maxPayload = octets
  }

  close(code: number): void {
    if (this.ws.readyState === OPEN) {
      this.ws.close(code)
      // Any code but 1000 fails the connection (the engine found a violation): as on an error above,
      // nothing more is read, not even the peer's Close (RFC 6455 section 7.1.7).
      if (code !== 1000) this.ws.pause()
    } else if (this.ws.readyState === CONNECTING) this.ws.terminate()
  }

  terminate(): void {
    this.ws.terminate()
  }
}

/** Bun's global WebSocket, as far as it is used here (bun.sh/reference/bun/WebSocket). */
interface BunWebSocket {
  binaryType: string
  readonly readyState: number
  readonly protocol: string
  readonly bufferedAmount: number
  send(data: Uint8Array): unknown
  ping(): void
  pause(): unknown
  resume(): unknown
  close(code?: number, reason?: string): void
  terminate(): void
  addEventListener(type: string, f: (e: { data?: unknown; code?: number; message?: string }) => void): void
}
type BunWebSocketClass = new (url: string, opts: { headers: Record<string, string>; tls?: { ca?: string[] | Buffer; serverName?: string } }) => BunWebSocket

/** How often a send's drain is checked: Bun's WebSocket client has no send callback nor drain event. */
const DRAIN_POLL_MS = 4

/**
 * Bun's global WebSocket client as the ZWS engine's {@link MessageTransport}: the client side of
 * ws:// under Bun (see {@link BUN}). It pauses its socket reading (back-pressure as with `ws`);
 * it has no payload limit, so {@link setMaxPayload}'s is checked on each message as it arrives.
 */
export class BunWsTransport implements MessageTransport {
  readonly messageTransport = true as const
  readonly client = true
  readonly remoteAddress = ""
  private handlers: MessageTransportHandlers | undefined
  private early: [Buffer, boolean][] = []
  private earlyClose: { error: ProtocolError | undefined } | undefined
  private gone = false
  private refused = false
  private error: ProtocolError | undefined
  private maxPayload = 0
  private drainWaiters: (() => void)[] = []
  private drainTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly ws: BunWebSocket,
    readonly protocol: string,
  ) {
    ws.binaryType = "nodebuffer"
    ws.addEventListener("message", (e) => {
      if (this.refused || this.gone) return
      const d = e.data
      const m: [Buffer, boolean] = typeof d === "string" ? [Buffer.from(d, "utf8"), false] : [d as Buffer, true]
      if (this.maxPayload > 0 && m[0].length > this.maxPayload) {
        this.refused = true
        this.error ??= new ProtocolError("ERR_ZMTP_MSGSIZE", `WebSocket message of ${m[0].length} octets exceeds the limit of ${this.maxPayload}`)
        return this.close(1009)
      }
      if (this.handlers) this.handlers.message(m[0], m[1])
      else this.early.push(m)
    })
    ws.addEventListener("pong", () => this.handlers?.alive())
    ws.addEventListener("close", () => this.closed())
  }

  private closed(): void {
    if (this.gone) return
    this.gone = true
    clearTimeout(this.drainTimer)
    for (const f of this.drainWaiters.splice(0)) f()
    if (this.handlers) this.handlers.close(this.error)
    else this.earlyClose = { error: this.error }
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }

  setHandlers(h: MessageTransportHandlers): void {
    this.handlers = h
    for (const [d, b] of this.early.splice(0)) h.message(d, b)
    if (this.earlyClose) h.close(this.earlyClose.error)
  }

  send(data: Buffer): void {
    if (this.gone || this.ws.readyState !== OPEN) return
    this.ws.send(data)
  }

  onDrained(cb: () => void): void {
    // Never from within the caller's loop (DESIGN: no re-entrancy from below).
    if (this.gone || this.ws.bufferedAmount === 0) return void queueMicrotask(cb)
    this.drainWaiters.push(cb)
    this.drainTimer ??= setTimeout(() => this.pollDrain(), DRAIN_POLL_MS)
  }

  private pollDrain(): void {
    this.drainTimer = undefined
    if (this.gone) return
    if (this.ws.bufferedAmount > 0) {
      this.drainTimer = setTimeout(() => this.pollDrain(), DRAIN_POLL_MS)
      return
    }
    for (const f of this.drainWaiters.splice(0)) f()
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

  setMaxPayload(octets: number): void {
    this.maxPayload = octets
  }

  close(code: number): void {
    if (this.ws.readyState === OPEN) {
      this.ws.close(code)
      // Any code but 1000 fails the connection (the engine found a violation): as on an error above,
      // nothing more is read, not even the peer's Close (RFC 6455 section 7.1.7).
      if (code !== 1000) this.ws.pause()
    } else if (this.ws.readyState === CONNECTING) this.ws.terminate()
  }

  terminate(): void {
    this.ws.terminate()
  }
}

// ---- listening -----------------------------------------------------------------------------------

/** One route per path on an http(s) server; one 'upgrade' handler per server, however many binds. */
const routes = new WeakMap<WebServer, Map<string, WsListener>>()

/**
 * On a server of our own, the timer that drops a connection whose HTTP upgrade request has not
 * come in whole within ZMQ_HANDSHAKE_IVL: the upgrade is the first part of a ws connection's
 * handshake, and Node's own bound (headersTimeout, checked every 30 s) let a peer that trickles
 * its headers hold the connection 60 to 90 s (review of issue 19, finding 10).
 */
const upgradeTimers = new WeakMap<Duplex, ReturnType<typeof setTimeout>>()

function onUpgrade(server: WebServer, own: boolean): (req: IncomingMessage, sock: Duplex, head: Buffer) => void {
  return (req, sock, head) => {
    if (own) {
      clearTimeout(upgradeTimers.get(sock))
      upgradeTimers.delete(sock)
    }
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
  /** wsOrigins: the Origin values accepted (null: any). */
  readonly wsOrigins?: Buffer | null
  /** ZMQ_HANDSHAKE_IVL: on a server of our own, it bounds the HTTP request of the upgrade too. */
  readonly handshakeInterval?: number
  /** ZMQ_MAXMSGSIZE (-1: none): under Bun, the server's fixed WebSocket message limit. */
  readonly maxMessageSize?: number
}

/** The origins of a wsOrigins value, lowercased (RFC 6454 section 6.2 serializes them so), or undefined for any. */
function originsOf(v: Buffer | null | undefined): ReadonlySet<string> | undefined {
  if (!v) return undefined
  return new Set(
    v
      .toString("utf8")
      .split(/[\s,]+/)
      .filter((o) => o !== "")
      .map((o) => o.toLowerCase()),
  )
}

/** The socket side of a ws listener. */
export interface WsAcceptHost {
  /** The mechanism a new connection's subprotocol is chosen for (read at each upgrade). */
  wsMechanism(): "plain" | "curve" | null
  /** A handshaken WebSocket. */
  wsAccepted(t: NodeWsTransport, l: WsListener): void
  /** An upgrade refused: none of the client's subprotocols is one we speak (RFC 45 "Handshake"). */
  wsRefused(l: WsListener, offered: string | undefined): void
  /**
   * An upgrade of our path that did not become a connection: refused for its Origin (EACCES), or
   * answered by another 'upgrade' listener of the application's server (ECONNRESET).
   */
  wsUpgradeFailed?(l: WsListener, error: ZmtpError): void
}

/**
 * How long `ws` waits, after our close frame, for the peer to end the connection (its default is
 * 30 s). After a frame it refuses (1009 over maxPayload, a framing fault) `ws` reads and discards
 * whatever the peer sends until then: a hostile peer kept a failed connection, and our reads, for
 * 30 s where tcp closes at once. RFC 6455 section 7.1.7: once failed, no further data is processed.
 */
const WS_CLOSE_TIMEOUT = 1000
/** `ws` 8.23's closeTimeout option, which @types/ws does not declare yet. */
const closeTimeout: object = { closeTimeout: WS_CLOSE_TIMEOUT }

/**
 * The maxPayload of a listener's `ws` server. Under Node the handshake's limit: the engine raises it
 * through the receiver once the peer is authenticated, so an unauthenticated peer is refused from a
 * frame header over 64 KiB. Bun's native side takes the limit once, at construction, and cannot
 * raise it, so there it is the largest message the socket accepts (ZMQ_MAXMSGSIZE plus the ZWS flag
 * octet, and never under the handshake's), or none when ZMQ_MAXMSGSIZE is -1: under Bun, a ws
 * server bounds what an unauthenticated peer makes it buffer only with `maxMessageSize` set (README,
 * Runtime notes).
 */
function serverMaxPayload(maxMessageSize: number): number {
  if (!BUN) return INITIAL_MAX_PAYLOAD
  return maxMessageSize >= 0 ? Math.max(64 * 1024 + 1, maxMessageSize + 1) : 0
}

export class WsListener {
  /** Connections accepted through this listener and still open. */
  readonly connections = new Set<NodeWsTransport>()
  private readonly wss: WebSocketServer
  /** The subprotocol chosen for each request being upgraded (written into the 101 response). */
  private readonly chosen = new WeakMap<IncomingMessage, ZwsProtocol>()
  private closed = false
  /** Sockets we ended ourselves (a refusal, a close), not lost to another listener. */
  private readonly ours = new WeakSet<Duplex>()

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
    /** wsOrigins, lowercased; undefined accepts any. */
    private readonly origins: ReadonlySet<string> | undefined,
    /** ZMQ_MAXMSGSIZE at bind (-1: none). */
    maxMessageSize = -1,
  ) {
    this.wss = new (wsLib as WsLib).WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: serverMaxPayload(maxMessageSize),
      ...closeTimeout,
    })
    this.wss.on("headers", (headers: string[], req: IncomingMessage) => {
      const p = this.chosen.get(req)
      if (p) headers.push(`Sec-WebSocket-Protocol: ${p}`)
    })
  }

  /** Handles an upgrade request routed to this listener's path. */
  upgrade(req: IncomingMessage, sock: Duplex, head: Buffer): void {
    if (this.closed) return void sock.destroy()
    // An application's `ws` WebSocketServer created with `server` (with or without `path`) answers
    // every upgrade it does not take with 400 and ends the socket, whichever listener comes first:
    // ours then cannot serve the path (review of issue 19, finding 8). Nothing here can keep the
    // socket from it; what can be done is to say so (README "In the browser": use noServer).
    if (!this.own && (sock.writableEnded || sock.destroyed)) return this.lost(req)
    if (!this.own) {
      // Every 'upgrade' listener runs in this same emit: by the next microtask they all have.
      queueMicrotask(() => {
        if (sock.writableEnded && !this.ours.has(sock)) this.lost(req)
      })
    }
    // A browser sends the page's origin (RFC 6455 section 10.2: the server may refuse an origin it
    // does not want with 403); clients that are not browsers send none (version 8 sent it as
    // Sec-WebSocket-Origin), and those are not what the check is about.
    const o = req.headers.origin ?? req.headers["sec-websocket-origin"]
    const origin = Array.isArray(o) ? o[0] : o
    if (this.origins && origin !== undefined && !this.origins.has(origin.toLowerCase())) {
      this.ours.add(sock)
      sock.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
      sock.destroy()
      return void this.host.wsUpgradeFailed?.(this, zerrWithMessage("EACCES", `upgrade from Origin ${origin} refused: not in wsOrigins`, this.address))
    }
    const offered = req.headers["sec-websocket-protocol"]
    const chosen = chooseProtocol(offered, this.host.wsMechanism())
    if (!chosen) {
      // RFC 45: "If none of the protocols are supported by the server the server should closed the
      // connection (with BAD REQUEST ...)".
      this.ours.add(sock)
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

  /** Reports an upgrade on our path that another 'upgrade' listener of the server answered. */
  private lost(req: IncomingMessage): void {
    this.host.wsUpgradeFailed?.(
      this,
      zerrWithMessage(
        "ECONNRESET",
        `the upgrade of ${wsRoutePath(req.url) ?? req.url} was answered or closed by another 'upgrade' listener of the server before zmtp could serve it (the application's own check, or a ws WebSocketServer given \`server\`, which refuses every path but its own: create that one with noServer: true)`,
        this.address,
      ),
    )
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
      const l = new WsListener(server, false, ep, formatWsEndpoint(ep, h, port), given, host, originsOf(opts.wsOrigins), opts.maxMessageSize)
      table.set(ep.path, l)
      return Promise.resolve(l)
    }
    if (ep.transport === "wss" && (!opts.wssCertPem || !opts.wssKeyPem)) {
      return Promise.reject(zerr("EINVAL", "a wss:// bind needs wssCertPem and wssKeyPem (or an https.Server given to bind)", given))
    }
    const ivl = opts.handshakeInterval ?? 0
    const s: WebServer =
      ep.transport === "wss"
        ? createHttpsServer({ cert: opts.wssCertPem!, key: opts.wssKeyPem!, ...(ivl > 0 ? { handshakeTimeout: ivl } : {}) })
        : createHttpServer()
    if (ivl > 0) {
      // From the connection (over wss, once TLS is up: its own handshakeTimeout bounds that) to
      // its upgrade request, the socket's whole HTTP part must fit in handshakeInterval.
      s.on(ep.transport === "wss" ? "secureConnection" : "connection", (c: NetSocket) => {
        const t = setTimeout(() => c.destroy(), ivl)
        t.unref?.()
        upgradeTimers.set(c, t)
        c.once("close", () => clearTimeout(t))
      })
    }
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
          const l = new WsListener(s, true, ep, formatWsEndpoint(ep, a.address, a.port), given, host, originsOf(opts.wsOrigins), opts.maxMessageSize)
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
  /** The attempt in flight under Bun (its global WebSocket). */
  private bunWs: { terminate(): void } | undefined
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
    if (BUN) return this.attemptBun(url, protocols, upgradeTimeout)
    let ws: WebSocket
    try {
      ws = new wsLib.WebSocket(url, {
        // Written here: `ws` refuses "ZWS2.0/NULL" as a subprotocol token (see the file's doc).
        headers: { "Sec-WebSocket-Protocol": protocols.join(",") },
        perMessageDeflate: false,
        maxPayload: INITIAL_MAX_PAYLOAD,
        ...closeTimeout,
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

  /**
   * One attempt under Bun, on its global WebSocket: it takes the `Sec-WebSocket-Protocol` header
   * as written (no token check) and reports the server's answer as `protocol`, checked here against
   * the offer. The upgrade's timeout is a timer of ours (Bun's client has no handshakeTimeout).
   */
  private attemptBun(url: string, protocols: ZwsProtocol[], upgradeTimeout: number): void {
    const Ctor = (globalThis as unknown as { WebSocket: BunWebSocketClass }).WebSocket
    let ws: BunWebSocket
    try {
      ws = new Ctor(url, {
        headers: { "Sec-WebSocket-Protocol": protocols.join(",") },
        ...(this.tls.ca || this.tls.servername ? { tls: { ...(this.tls.ca ? { ca: this.tls.ca } : {}), ...(this.tls.servername ? { serverName: this.tls.servername } : {}) } } : {}),
      })
    } catch {
      return this.retry()
    }
    const handle = { terminate: () => ws.terminate() }
    this.bunWs = handle
    this.hostOf.connectEvent("connect:delay", this.eventAddress)
    const timer = upgradeTimeout > 0 ? setTimeout(() => failed(), upgradeTimeout) : undefined
    ;(timer as { unref?: () => void } | undefined)?.unref?.()
    let done = false
    const failed = () => {
      clearTimeout(timer)
      if (done) return
      done = true
      if (this.bunWs === handle) this.bunWs = undefined
      ws.terminate()
      this.hostOf.connectEvent("close", this.eventAddress)
      this.retry()
    }
    ws.addEventListener("error", (e) => {
      // Bun's client gives the refusal's status in the message only (measured with Bun 1.4.5:
      // "... failed: Expected 101 status code: 400"); a 400 is the cue for bareOnly, as above.
      const m = (e as { message?: unknown }).message
      if (typeof m === "string" && /status code: 400\b/.test(m) && protocols.length > 1 && protocols.includes("ZWS2.0")) this.bareOnly = true
    })
    ws.addEventListener("close", failed)
    ws.addEventListener("open", () => {
      clearTimeout(timer)
      if (done) return
      // RFC 45: "Server must choose one of the client protocols".
      const chosen = ws.protocol
      if (!(protocols as string[]).includes(chosen)) return failed()
      done = true
      this.bunWs = undefined
      if (this.stopped) return void ws.terminate()
      this.current = -1
      this.hostOf.connectEvent("connect", this.eventAddress)
      const transport = new BunWsTransport(ws, chosen)
      // The socket tells a message transport from a byte stream (isMessageTransport).
      this.hostOf.connected(transport as unknown as NetSocket, this)
    })
  }

  override stop(): void {
    super.stop()
    const ws = this.ws
    this.ws = undefined
    ws?.terminate()
    const b = this.bunWs
    this.bunWs = undefined
    b?.terminate()
  }
}
