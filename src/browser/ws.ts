/**
 * The `ws://` and `wss://` transports in the browser build, on the page's own WebSocket (WHATWG
 * WebSockets). Connect only: a page cannot accept connections, so a ws bind is refused with
 * EPROTONOSUPPORT. The engine is the same ZWS engine as in Node (engine/zws-engine.ts), over
 * {@link BrowserWsTransport}.
 *
 * Subprotocols: the WebSocket constructor throws a SyntaxError for "ZWS2.0/NULL" ("/" is no RFC
 * 6455 token character), so a page offers zmtp's token-safe aliases ("ZWS2.0+CURVE" ...), and bare
 * "ZWS2.0" for NULL, which libzmq's and jszmq's servers speak too (codec/zws.ts).
 *
 * TLS: a page's wss:// is the browser's, with its trust store and the URL's host name; the options
 * wssTrustPem, wssTrustSystem and wssHostname have no effect here.
 */
import { Buffer } from "node:buffer"
import { offeredTokenProtocols, type ZwsProtocol } from "../codec/zws.js"
import { ProtocolError, zerr } from "../errors.js"
import type { MessageTransport, MessageTransportHandlers } from "../engine/message-transport.js"
import { Connecter, type ConnecterHost, type ConnecterTiming } from "../transport/connecter.js"
import type { Endpoint } from "../transport/endpoint.js"
import type { WsEndpoint } from "../transport/ws-endpoint.js"

export { formatWsEndpoint, parseWsEndpoint, type WsEndpoint } from "../transport/ws-endpoint.js"

/** In Node, the http(s) server a ws endpoint may be bound on; a page has none. */
export type WebServer = never

/** Options of a bind; in a page no ws bind succeeds. */
export interface BindOptions {
  server?: WebServer
}

/** How often a send's drain is checked: a browser's WebSocket fires no event when bufferedAmount falls. */
const DRAIN_POLL_MS = 4

/**
 * Octets a paused connection holds (at least one message, if larger) before it is dropped. A page's
 * WebSocket reads whatever the peer sends and offers no way to stop it (WHATWG WebSockets has no
 * flow control; the peer never sees TCP back-pressure), so what arrives while the engine is paused
 * at its receive high-water mark would otherwise pile up in the tab without limit.
 */
export const HELD_BUDGET = 8 * 1024 * 1024

/**
 * A browser WebSocket as the ZWS engine's {@link MessageTransport}. Back-pressure: bufferedAmount is
 * the browser's. pause() cannot stop the WebSocket reading ({@link cannotPushBack}): the messages
 * that arrive meanwhile are held, up to {@link HELD_BUDGET}; past it the connection is dropped with
 * ERR_ZMTP_MSGSIZE (the peer gets close code 1009, "too big to process", RFC 6455 section 7.4.1) and
 * a process warning ZMTP_WS_HELD_OVERFLOW, rather than the tab's memory exhausted. A SUB or XSUB is
 * never paused on such a transport: its engine drops at the high-water mark, as the PUB would have
 * under TCP back-pressure (RFC 29), so it keeps its connection.
 */
export class BrowserWsTransport implements MessageTransport {
  readonly messageTransport = true as const
  readonly client = true
  readonly remoteAddress = ""
  private handlers: MessageTransportHandlers | undefined
  readonly cannotPushBack = true
  private held: [Buffer, boolean][] = []
  /** Octets in {@link held}. */
  private heldBytes = 0
  private paused = false
  private delivering = false
  private gone = false
  private closeSeen = false
  private drainWaiters: (() => void)[] = []
  private drainTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly ws: WebSocket,
    readonly protocol: string,
  ) {
    ws.binaryType = "arraybuffer"
    ws.onmessage = (e: MessageEvent) => {
      const d = e.data
      const m: [Buffer, boolean] = typeof d === "string" ? [Buffer.from(d, "utf8"), false] : [Buffer.from(d as ArrayBuffer), true]
      if (this.gone) return
      if (this.paused && this.held.length > 0 && this.heldBytes + m[0].length > HELD_BUDGET) return this.overflow(m[0].length)
      this.held.push(m)
      this.heldBytes += m[0].length
      this.deliver()
    }
    ws.onclose = () => {
      this.closeSeen = true
      this.deliver()
    }
    ws.onerror = () => {}
  }

  /** Hands held messages to the engine while it reads, then the close; never re-entered. */
  private deliver(): void {
    if (!this.handlers || this.delivering || this.gone) return
    this.delivering = true
    try {
      while (!this.paused && this.held.length > 0) {
        const [d, b] = this.held.shift()!
        this.heldBytes -= d.length
        this.handlers.message(d, b)
      }
      if (this.closeSeen && this.held.length === 0) this.closed()
    } finally {
      this.delivering = false
    }
  }

  /** More than {@link HELD_BUDGET} arrived while paused: the connection goes, loudly. */
  private overflow(arriving: number): void {
    const held = this.heldBytes
    this.held = []
    this.heldBytes = 0
    const detail = `${held} octets held while the receive high-water mark stopped reading, and ${arriving} more arrived: past the ${HELD_BUDGET} a page's connection may hold (a browser's WebSocket cannot push back), so the connection is dropped`
    process.emitWarning(detail, { code: "ZMTP_WS_HELD_OVERFLOW" } as never)
    const h = this.handlers
    // The engine closes the WebSocket (1009) and forgets this transport; nothing more is delivered.
    this.closeSeen = true
    this.gone = true
    clearTimeout(this.drainTimer)
    for (const f of this.drainWaiters.splice(0)) f()
    h?.close(new ProtocolError("ERR_ZMTP_MSGSIZE", detail))
  }

  private closed(): void {
    if (this.gone) return
    this.gone = true
    clearTimeout(this.drainTimer)
    const waiters = this.drainWaiters.splice(0)
    for (const f of waiters) f()
    this.handlers?.close()
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }

  setHandlers(h: MessageTransportHandlers): void {
    this.handlers = h
    this.deliver()
  }

  send(data: Buffer): void {
    if (this.gone || this.ws.readyState !== WebSocket.OPEN) return
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
    const waiters = this.drainWaiters.splice(0)
    for (const f of waiters) f()
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    // Not from the engine's own call stack: it may be inside its receive loop.
    queueMicrotask(() => this.deliver())
  }

  /**
   * A page may send close codes 1000 and 3000-4999 only (WHATWG WebSockets, close()); another code
   * (1002 for a protocol violation, RFC 6455 section 7.4.1) goes as 1000 with the code in the reason.
   */
  close(code: number, reason?: string): void {
    if (this.ws.readyState === WebSocket.CLOSING || this.ws.readyState === WebSocket.CLOSED) return
    if (code === 1000 || (code >= 3000 && code <= 4999)) this.ws.close(code, reason?.slice(0, 100))
    else this.ws.close(1000, `${code}${reason ? ` ${reason.slice(0, 90)}` : ""}`)
  }

  /** A page cannot drop a WebSocket without its closing handshake: close, and forget it now. */
  terminate(): void {
    this.close(1000)
    this.closeSeen = true
    this.held = []
    this.heldBytes = 0
    this.deliver()
  }
}

/** The socket side of a ws connecter (as in Node's transport/ws.ts). */
export interface WsConnectHost extends ConnecterHost {
  wsMechanism(): "plain" | "curve" | null
}

/**
 * The connecting side in a page: a WebSocket per attempt, with the tcp connecter's reconnect policy
 * and events ("connect:delay" as the attempt starts, "connect" once open, "close" and
 * "connect:retry" for one that fails, a refused subprotocol included).
 */
export class WsConnecter extends Connecter {
  private ws: WebSocket | undefined
  private openTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly wsEp: WsEndpoint,
    address: string,
    private readonly timingOf: () => ConnecterTiming,
    private readonly hostOf: WsConnectHost,
    _options: unknown,
    _offer?: unknown,
  ) {
    // The parent's fields for a tcp or ipc endpoint are unused: attempt() below replaces its dialling.
    super({ transport: "ipc", path: "" } as Endpoint, address, timingOf, hostOf)
  }

  protected override attempt(): void {
    this.timer = undefined
    if (this.stopped) return
    const ep = this.wsEp
    const protocols: ZwsProtocol[] = offeredTokenProtocols(this.hostOf.wsMechanism())
    const host = ep.host.includes(":") ? `[${ep.host}]` : ep.host
    let ws: WebSocket
    try {
      ws = new WebSocket(`${ep.transport}://${host}:${ep.port}${ep.path}`, protocols)
    } catch {
      // A URL the page may not open (a blocked port, mixed content): as a refused connection.
      return this.retry()
    }
    this.ws = ws
    this.hostOf.connectEvent("connect:delay", this.eventAddress)
    const failed = () => {
      if (this.ws !== ws) return
      this.ws = undefined
      clearTimeout(this.openTimer)
      ws.onopen = ws.onclose = ws.onerror = null
      ws.close()
      this.hostOf.connectEvent("close", this.eventAddress)
      this.retry()
    }
    const t = this.timingOf().connectTimeout
    if (t > 0) this.openTimer = setTimeout(failed, t)
    ws.onerror = failed
    ws.onclose = failed
    ws.onopen = () => {
      // RFC 45: "Server must choose one of the client protocols"; the browser fails an answer it
      // did not offer, but not an absent one.
      if (!(protocols as string[]).includes(ws.protocol)) return failed()
      clearTimeout(this.openTimer)
      this.ws = undefined
      ws.onopen = ws.onclose = ws.onerror = null
      if (this.stopped) return void ws.close()
      this.current = -1
      this.hostOf.connectEvent("connect", this.eventAddress)
      const transport = new BrowserWsTransport(ws, ws.protocol)
      // The socket tells a message transport from a byte stream (isMessageTransport).
      this.hostOf.connected(transport as never, this)
    }
  }

  override stop(): void {
    super.stop()
    clearTimeout(this.openTimer)
    const ws = this.ws
    this.ws = undefined
    if (ws) {
      ws.onopen = ws.onclose = ws.onerror = null
      ws.close()
    }
  }
}

/** A page cannot accept WebSocket connections: every ws bind is refused. */
export class WsListener {
  readonly connections = new Set<unknown>()
  readonly address = ""
  readonly given = ""
  static open(_ep: WsEndpoint, given: string): Promise<WsListener> {
    return Promise.reject(zerr("EPROTONOSUPPORT", "a web page cannot accept WebSocket connections: bind ws:// in Node, connect to it from the page", given))
  }
  close(_dropConnections: boolean): void {}
}
