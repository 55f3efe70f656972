/**
 * The peer side of every socket: endpoints (bind, unbind, connect, disconnect), the connections made
 * through them and their engines, the pipe per peer, the peer side of a lingering close, and
 * statistics. The messaging side (ordered send and receive queues, fair queuing, timeouts) is
 * socket-base.ts, which extends this class; a socket type adds its state machine on top.
 */
import { Buffer } from "node:buffer"
import type { Socket as NetSocket } from "node:net"
import type { Metadata } from "../codec/command.js"
import { Engine, type EngineHost } from "../engine/engine.js"
import { isMessageTransport, type MessageTransport } from "../engine/message-transport.js"
import { ZwsEngine } from "../engine/zws-engine.js"
import { offeredProtocols, protocolMechanism } from "../codec/zws.js"
import { RawEngine } from "../engine/raw-engine.js"
import { blockedError, ZmtpError, zerr } from "../errors.js"
import type { SocketEvent } from "../events.js"
import { checkOption } from "../options.js"
import { AuthError } from "../mechanisms/mechanism.js"
import { zapRequest } from "../mechanisms/zap-client.js"
import { InprocConnecter, InprocListener } from "../transport/inproc.js"
import { Pipe, type PipeOwner } from "../pipe/pipe.js"
import { Connecter, type ConnecterHost } from "../transport/connecter.js"
import { checkUri, findBound, parseEndpoint, systemError, systemErrorCode } from "../transport/endpoint.js"
import { Listener } from "../transport/listener.js"
import { parseWsEndpoint, WsConnecter, WsListener, type BindOptions } from "../transport/ws.js"
import { SocketOptionsBase } from "./socket-options.js"

/** Per-socket counters, cheap to keep and readable at any time. */
export interface SocketStatistics {
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  /** Peers with a completed handshake right now. */
  peers: number
  /** Queued messages per pipe, outbound and inbound. */
  queues: { endpoint: string; out: number; in: number; connected: boolean }[]
  reconnects: number
  protocolErrors: number
}

/** An engine of any transport: ZMTP over a stream, raw (STREAM), or ZWS over WebSocket. */
type AnyEngine = Engine | RawEngine | ZwsEngine

export abstract class PeerSocket extends SocketOptionsBase implements EngineHost, ConnecterHost, PipeOwner {
  /**
   * True for a type that answers each message on the connection it came in on (REP): its engines
   * stop reading from a peer while output to that peer is over budget.
   */
  protected readonly answersEachMessage: boolean = false
  /**
   * True for STREAM (libzmq's ZMQ_STREAM): its connections carry plain bytes to peers that are not
   * ZeroMQ, through a raw engine (engine/raw-engine.ts) instead of the ZMTP one.
   */
  protected readonly rawConnections: boolean = false
  /** Every pipe the socket uses (connected peers, and connecting ones that keep their queue). */
  protected readonly pipes = new Set<Pipe>()
  private readonly listeners = new Map<string, Listener>()
  private readonly connecters = new Map<string, { connecter: Connecter; pipe: Pipe | undefined; routingId: string | null }>()
  private readonly engines = new Set<AnyEngine>()
  private readonly engineOrigin = new Map<AnyEngine, Listener | Connecter>()
  /**
   * STREAM: ZMQ_STREAM_NOTIFY as it was when each endpoint was bound or connected. libzmq's
   * listener and session copy the socket's options then, so a later change applies to the next
   * bind or connect only.
   */
  private readonly rawNotify = new WeakMap<object, boolean>()
  protected isClosed = false
  /**
   * True while a bind or unbind is in flight. As in zeromq.js, another bind or unbind then fails
   * with EBUSY, and close() waits for it to settle ({@link deferClose}).
   */
  private blocked = false
  private closeRequested = false
  /** Engines closed on our own initiative (unbind, disconnect): libzmq reports no event for them. */
  private readonly silenced = new WeakSet<AnyEngine>()
  /** When a lingering close gives up (ms since the epoch); unused while linger is -1. */
  private lingerDeadline = 0
  private lingerTimer: NodeJS.Timeout | undefined
  protected readonly stats = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, reconnects: 0, protocolErrors: 0 }

  /** True once close() was called. */
  override get closed(): boolean {
    return this.isClosed
  }

  abstract pipeReadable(p: Pipe): void
  abstract pipeWritable(p: Pipe): void

  // ---- endpoints -----------------------------------------------------------------------------

  /**
   * Binds to an endpoint (`tcp://127.0.0.1:*`, `ipc:///tmp/x.sock`, `ipc://@name`). Rejects with the
   * error zeromq.js gives (EADDRINUSE, EINVAL, EPROTONOSUPPORT ..., with `address`); with EBUSY while
   * another bind or unbind is in flight. A `ws://` or `wss://` endpoint may be bound on an
   * application's http.Server or https.Server (`options.server`), see {@link BindOptions}.
   */
  async bind(address: string, options?: BindOptions): Promise<void> {
    this.assertOpen()
    this.block()
    try {
      await this.bindNow(address, options)
    } finally {
      this.unblock()
    }
  }

  private async bindNow(address: string, options: BindOptions | undefined): Promise<void> {
    // A malformed URI or a transport zmtp lacks: libzmq refuses these before any monitor event.
    const scheme = checkUri(address)
    if (scheme === "ws" || scheme === "wss") return this.bindWs(address, options)
    if (options?.server !== undefined) throw zerr("EINVAL", "a server can be given for ws:// and wss:// endpoints only", address)
    if (address.startsWith("inproc://")) return this.bindInproc(address)
    const notify = this.opts.notify as boolean
    let ep
    try {
      ep = parseEndpoint(address, true)
    } catch (e) {
      this.bindFailed(address, e as ZmtpError, false)
      throw e
    }
    let l: Listener
    try {
      l = await Listener.open(
        ep,
        address,
        this,
        (sock, listener) => this.accepted(sock, listener),
        // zeromq.js gives it as an errno error (code, errno), as the other error events.
        (error, at) => this.event({ type: "accept:error", address: at, error: zerr(systemErrorCode(error), error.message) }),
      )
    } catch (thrown) {
      const e = systemError(thrown, address)
      // Only a host name that does not resolve (or a permission Deno refuses) fails before a
      // descriptor is opened.
      this.bindFailed(address, e, e.code !== "ENODEV" && e.code !== "EACCES")
      throw e
    }
    if (this.isClosed) {
      l.close(true)
      throw zerr("EBADF")
    }
    if (this.rawConnections) this.rawNotify.set(l, notify)
    // Keyed by the resolved endpoint, what lastEndpoint reports; unbind also takes the bind string.
    this.listeners.set(l.address, l)
    this.lastEndpointValue = l.address
    this.event({ type: "bind", address: l.address })
  }

  /**
   * Reports a failed bind as libzmq's monitor does: "close" for the descriptor it had opened, if it
   * had (with no address for tcp, the endpoint for ipc), then "bind:error" with the address after
   * its scheme (`127.0.0.1:5555`, `/tmp/x.sock`) and an error that has `code` and `errno`.
   */
  private bindFailed(address: string, thrown: unknown, opened: boolean): void {
    // Whatever a transport threw, even a value without a code (Deno's NotCapable), is reported typed.
    const e = systemError(thrown)
    if (opened) this.event(address.startsWith("ipc://") ? { type: "close", address } : { type: "close" })
    this.event({ type: "bind:error", address: address.slice(address.indexOf("://") + 3), error: zerr(e.code, e.detail) })
  }

  /** ws and wss bind (RFC 45): a server of its own, or a path on the application's (transport/ws.ts). */
  private async bindWs(address: string, options: BindOptions | undefined): Promise<void> {
    let l: WsListener
    try {
      const ep = parseWsEndpoint(address, true)
      l = await WsListener.open(
        ep,
        address,
        {
          backlog: this.backlog,
          ipv6: this.ipv6,
          wssCertPem: this.opts.wssCertPem as Buffer | null,
          wssKeyPem: this.opts.wssKeyPem as Buffer | null,
          wsOrigins: this.opts.wsOrigins as Buffer | null,
          handshakeInterval: this.handshakeInterval,
          maxMessageSize: this.maxMessageSize,
        },
        {
          wsMechanism: () => this.security.mechanism,
          wsAccepted: (t, listener) => this.accepted(t as unknown as NetSocket, listener as unknown as Listener),
          wsRefused: (listener, offered) =>
            this.event({
              type: "handshake:error:protocol",
              address: listener.address,
              error: new ZmtpError("ERR_ZMTP_MECHANISM_MISMATCH", `no ZWS subprotocol of ours offered (${offered ?? "none"})`),
            }),
          wsUpgradeFailed: (listener, error) => this.event({ type: "accept:error", address: listener.address, error }),
        },
        options?.server,
      )
    } catch (e) {
      this.bindFailed(address, e as ZmtpError, false)
      throw e
    }
    if (this.isClosed) {
      l.close(true)
      throw zerr("EBADF")
    }
    this.listeners.set(l.address, l as unknown as Listener)
    this.lastEndpointValue = l.address
    this.event({ type: "bind", address: l.address })
  }

  /** inproc bind: immediate, in this process's name table (src/transport/inproc.ts). */
  private bindInproc(address: string): void {
    const l = InprocListener.open(address, (sock, listener) => this.accepted(sock, listener as unknown as Listener))
    this.listeners.set(l.address, l as unknown as Listener)
    this.lastEndpointValue = l.address
  }

  /**
   * Stops listening on an endpoint and closes the connections accepted through it. The endpoint is
   * the resolved one (lastEndpoint) or the string given to bind(); see {@link findBound}. Rejects
   * with ENOENT if nothing is bound there, with EBUSY while another bind or unbind is in flight.
   */
  async unbind(address: string): Promise<void> {
    this.assertOpen()
    this.block()
    try {
      await this.unbindNow(address)
    } finally {
      this.unblock()
    }
  }

  private async unbindNow(address: string): Promise<void> {
    checkUri(address)
    const key = await findBound(address, this.listeners)
    const l = key === undefined ? undefined : this.listeners.get(key)
    if (!l) throw zerr("ENOENT", "nothing is bound at this endpoint", address)
    this.listeners.delete(key!)
    // libzmq ends the connections accepted there without a "disconnect" event.
    for (const [e, origin] of this.engineOrigin) if (origin === l) this.silenced.add(e)
    l.close(true)
    this.event({ type: "close", address: l.address })
  }

  /** Enters the bind/unbind state; EBUSY if a bind or unbind is in flight already. */
  private block(): void {
    if (this.blocked) throw blockedError()
    this.blocked = true
  }

  /** Leaves it, and carries out a close() that was asked for meanwhile. */
  private unblock(): void {
    this.blocked = false
    if (this.closeRequested) {
      this.closeRequested = false
      this.close()
    }
  }

  /**
   * For close(): true if a bind or unbind is in flight, in which case the socket closes once it
   * settles, as zeromq.js's does (Socket::Close sets request_close; `closed` stays false until then,
   * and the bind's promise settles with its own outcome).
   */
  protected deferClose(): boolean {
    if (!this.blocked) return false
    this.closeRequested = true
    return true
  }

  /** Closes the socket (socket-base.ts). */
  abstract close(): void

  /** Emits a socket event. libzmq's monitor reports nothing for inproc endpoints, and neither do we. */
  private event(e: SocketEvent): void {
    if (e.address !== undefined && e.address.startsWith("inproc://")) return
    this.events.emit(e)
  }

  /**
   * Connects to an endpoint; the connection is made (and remade) in the background. `routingId`
   * (ROUTER) names this connection's peer, see {@link Router.connect}.
   */
  connect(address: string, options?: { routingId?: string }): void {
    this.assertOpen()
    // Taken first, so that it is spent on this call whatever happens next (issue 14: a connect that
    // throws must not leave ZMQ_CONNECT_ROUTING_ID set for the next one). Nothing below registers
    // anything before the last check has passed.
    const routingId = this.takeConnectRoutingId(options?.routingId)
    const scheme = checkUri(address)
    const inproc = scheme === "inproc"
    const ws = scheme === "ws" || scheme === "wss" ? parseWsEndpoint(address, false) : undefined
    const ep = inproc || ws ? undefined : parseEndpoint(address, false)
    const existing = this.connecters.get(address)
    if (existing?.connecter.active) return
    // A connection the application ended (STREAM's [id, ""]) leaves its endpoint known but stopped;
    // connecting to it again makes a new connection, as in libzmq.
    if (existing) this.connecters.delete(address)
    const c = ws
      ? new WsConnecter(
          ws,
          address,
          () => this,
          { connected: (s, cn) => this.connected(s, cn), connectEvent: (t, a, i) => this.connectEvent(t, a, i), wsMechanism: () => this.security.mechanism },
          { wssTrustPem: this.opts.wssTrustPem as Buffer | null, wssTrustSystem: this.opts.wssTrustSystem as boolean, wssHostname: this.opts.wssHostname as Buffer | null },
          offeredProtocols,
        )
      : ep
        ? new Connecter(ep, address, () => this, this)
        : new InprocConnecter(address, () => this, this)
    if (this.rawConnections) this.rawNotify.set(c, this.opts.notify as boolean)
    const entry = { connecter: c, pipe: undefined as Pipe | undefined, routingId }
    this.connecters.set(address, entry)
    this.lastEndpointValue = address
    if (!this.immediate) {
      // libzmq with ZMQ_IMMEDIATE off: the pipe exists at once and queues while the peer is away.
      entry.pipe = this.newPipe(address, true, entry.routingId)
      // Sends waiting for room may take the new pipe, as libzmq's do.
      if (this.pendingSends > 0) queueMicrotask(() => this.serveSenders())
    }
    c.start()
  }

  /**
   * @internal The mechanism ZWS subprotocols are chosen for (null: NULL); read by the browser
   * build's inproc connecter (src/browser/inproc.ts), whose connections name it as ws:// ones do.
   */
  wsMechanism(): "plain" | "curve" | null {
    return this.security.mechanism
  }

  /** Stops connecting to an endpoint, closes its connection and drops what was queued for it. */
  disconnect(address: string): void {
    this.assertOpen()
    checkUri(address)
    const entry = this.connecters.get(address)
    if (!entry) throw zerr("ENOENT", "not connected to this endpoint", address)
    this.connecters.delete(address)
    entry.connecter.stop()
    // libzmq reports no "disconnect" for a connection the application ended.
    for (const [e, origin] of this.engineOrigin) {
      if (origin !== entry.connecter) continue
      this.silenced.add(e)
      e.close(undefined)
    }
    if (entry.pipe) this.removePipe(entry.pipe)
  }

  // ---- connections ---------------------------------------------------------------------------

  private accepted(sock: NetSocket, l: Listener): void {
    if (this.isClosed) return void dropAccepted(sock)
    // ZMQ_TCP_ACCEPT_FILTER: libzmq closes a peer no filter matches at once and reports a failed
    // accept (EAGAIN), not an accept.
    if (l.address.startsWith("tcp://") && !this.acceptFilter.allows(sock.remoteAddress, sock.remoteFamily)) {
      sock.destroy()
      return void this.event({ type: "accept:error", address: l.address, error: zerr("EAGAIN") })
    }
    // Inproc listeners come here too, cast to Listener (bindInproc).
    const at = l instanceof Listener ? l.connectionAddress(sock) : (l as unknown as InprocListener).address
    this.event({ type: "accept", address: at })
    // A listener of that event may have closed the socket.
    if (this.isClosed) return void dropAccepted(sock)
    this.startEngine(sock, l, at)
  }

  /** ConnecterHost. */
  connected(sock: NetSocket, c: Connecter): void {
    this.startEngine(sock, c, c.eventAddress)
  }

  /** ConnecterHost. */
  connectEvent(type: "connect" | "connect:delay" | "connect:retry" | "close", address: string, interval?: number): void {
    // A lingering connecter goes on after close; the socket's events ended with "end".
    if (this.isClosed) return
    if (type === "connect:retry") this.stats.reconnects++
    const ev: SocketEvent = { type, address }
    if (interval !== undefined) ev.interval = interval
    this.event(ev)
  }

  private startEngine(sock: NetSocket, origin: Listener | Connecter, address: string): void {
    if (isMessageTransport(sock)) return this.startZwsEngine(sock, origin, address)
    if (this.rawConnections) {
      // No greeting, no mechanism: the connection is attached to its pipe at once. libzmq's inproc
      // joins pipes without an engine, so nothing announces an inproc peer there; nor here.
      const notify = (this.rawNotify.get(origin) ?? (this.opts.notify as boolean)) && !address.startsWith("inproc://")
      const raw = new RawEngine(sock, { notify }, this, address)
      this.engines.add(raw)
      this.engineOrigin.set(raw, origin)
      return raw.start()
    }
    let mechanism
    try {
      mechanism = this.createMechanism(sock.remoteAddress ?? "")
    } catch (e) {
      // A CURVE socket without its keys cannot handshake (libzmq fails it the same way).
      sock.destroy()
      this.event({ type: "handshake:error:other", address, error: e as ZmtpError })
      return
    }
    const engine = new Engine(
      sock,
      mechanism,
      this.engineOptions(),
      this,
      address,
    )
    this.engines.add(engine)
    this.engineOrigin.set(engine, origin)
  }

  /** The routing id's octets: the option holds them (a string option is UTF-8, as in zeromq.js). */
  private routingIdOctets(): Buffer {
    return (this.opts.routingId as Buffer | null) ?? Buffer.alloc(0)
  }

  /**
   * The mechanism of one connection (tcp, ipc or ws), with the READY properties: Socket-Type, and
   * Identity for the types that send one (RFC 23). Throws where the options cannot make one (a
   * CURVE socket without its keys).
   */
  private createMechanism(address: string) {
    const props: [string, Buffer | string][] = [["Socket-Type", this.typeName]]
    const identity = this.routingIdOctets()
    if (this.typeName === "REQ" || this.typeName === "DEALER" || this.typeName === "ROUTER") props.push(["Identity", identity])
    return this.security.create(props, {
      domain: this.security.zapDomain,
      address,
      identity,
      enforceDomain: this.opts.zapEnforceDomain as boolean,
    })
  }

  /** What every ZMTP engine (stream or ZWS) is given, read from the options at its start. */
  private engineOptions() {
    return {
      zap: zapRequest,
      socketType: this.typeName,
      maxMessageSize: this.maxMessageSize,
      handshakeInterval: this.handshakeInterval,
      heartbeatInterval: this.heartbeatInterval,
      heartbeatTimeout: this.heartbeatTimeout,
      heartbeatTimeToLive: this.heartbeatTimeToLive,
      holdInputWhileOutputBlocked: this.answersEachMessage,
    }
  }

  /**
   * A WebSocket connection (RFC 45): its subprotocol chose the mechanism, or none ("ZWS2.0"). STREAM
   * has no ZWS form (libzmq's ws transport carries ZMTP sockets only): its connection is dropped.
   */
  private startZwsEngine(t: MessageTransport, origin: Listener | Connecter, address: string): void {
    const wanted = protocolMechanism(t.protocol)
    let mechanism
    try {
      if (this.rawConnections) throw zerr("EPROTONOSUPPORT", "STREAM sockets have no ZWS form")
      if (wanted !== undefined) {
        mechanism = this.createMechanism(t.remoteAddress)
        // The subprotocol was chosen for the options at the upgrade; they cannot have changed since.
        if (mechanism.name !== wanted) throw new ZmtpError("ERR_ZMTP_MECHANISM_MISMATCH", `subprotocol ${t.protocol} does not match ${mechanism.name}`)
      }
    } catch (e) {
      t.terminate()
      this.event({ type: "handshake:error:other", address, error: e as ZmtpError })
      return
    }
    const engine = new ZwsEngine(
      t,
      mechanism,
      this.engineOptions(),
      this,
      address,
      this.routingIdOctets(),
      // Bare "ZWS2.0" has no mechanism, yet a ZAP domain still puts it to ZAP, as NULL (zws-engine.ts).
      { domain: this.security.zapDomain, address: t.remoteAddress, identity: this.routingIdOctets(), enforceDomain: this.opts.zapEnforceDomain as boolean },
    )
    this.engines.add(engine)
    this.engineOrigin.set(engine, origin)
    engine.start()
  }

  /** EngineHost: the peer completed its handshake. */
  engineReady(engine: AnyEngine, peer: Metadata): Pipe | ZmtpError {
    const origin = this.engineOrigin.get(engine)
    if (!origin || (this.isClosed && !this.lingersFor(engine))) return zerr("EBADF")
    let pipe: Pipe
    if (origin instanceof Connecter) {
      const entry = this.connecters.get(origin.address)
      if (!entry) return zerr("EBADF")
      const fresh = !entry.pipe
      pipe = entry.pipe ?? this.newPipe(origin.address, true, entry.routingId)
      pipe.peer = peer
      const refused = this.pipeHandshaken(pipe, peer)
      if (refused) {
        if (fresh) this.removePipe(pipe)
        return refused
      }
      entry.pipe = pipe
    } else {
      pipe = this.newPipe(origin.address, false)
      pipe.peer = peer
      const refused = this.pipeHandshaken(pipe, peer)
      if (refused) {
        this.removePipe(pipe)
        return refused
      }
    }
    pipe.handshaken = true
    // A raw connection has no handshake, and libzmq reports none for it.
    if (!this.isClosed && !(engine instanceof RawEngine)) this.event({ type: "handshake", address: engine.address })
    if (this.isClosed) {
      // A lingering connecter got through (or a listener of that event closed the socket): write
      // the queue out, then end the connection.
      queueMicrotask(() => engine.finish(this.lingerLeft()))
      return pipe
    }
    queueMicrotask(() => this.serveSenders())
    return pipe
  }

  /** EngineHost: the connection is gone. */
  engineClosed(engine: AnyEngine, error: ZmtpError | undefined, handshaken: boolean): void {
    this.engines.delete(engine)
    const origin = this.engineOrigin.get(engine)
    this.engineOrigin.delete(engine)
    this.stats.bytesIn += engine.bytesIn
    this.stats.bytesOut += engine.bytesOut
    const pipe = engine.attachedPipe
    if (error && error.code.startsWith("ERR_ZMTP")) this.stats.protocolErrors++
    if (this.isClosed) {
      const entry = origin instanceof Connecter ? this.connecters.get(origin.address) : undefined
      if (entry && entry.connecter === origin) {
        // Lingering: while the queue is not written out, connect again.
        if (entry.pipe && entry.pipe.out.length > 0) return origin.retry()
        origin.stop()
        this.connecters.delete(origin.address)
        if (this.connecters.size === 0) clearTimeout(this.lingerTimer)
      }
      if (pipe) this.removePipe(pipe)
      return
    }
    // libzmq reports a failed handshake as handshake:error:* then disconnect: a connection lost or
    // timed out mid-handshake as :other (stream_engine_base::error, "no detail"), with the errno
    // libzmq had then (EPIPE, EAGAIN for the timeout); a peer refused for its socket type only as
    // disconnect. A connection the application ended (unbind, disconnect) reports nothing.
    const silenced = this.silenced.has(engine)
    // The pipe leaves the socket's routing before the events go out: a listener runs synchronously
    // and may send at once, and a message routed to the departed peer's pipe would be lost with it
    // (RFC 30 PUSH, RFC 31 PAIR "SHALL NOT discard messages that it cannot queue").
    const entry = origin instanceof Connecter ? this.connecters.get(origin.address) : undefined
    if (origin instanceof Connecter) {
      if (!entry || entry.connecter !== origin) {
        // Its endpoint was disconnected, or connected anew after the application ended this
        // connection: the pipe goes with its connection.
        if (pipe) this.removePipe(pipe)
      } else if (pipe && entry.pipe === pipe && (this.immediate || !origin.active)) {
        // With ZMQ_IMMEDIATE a connecting pipe lives only while connected; otherwise it keeps its
        // queue for the next connection, as libzmq's does. A connecter stopped by the application
        // (STREAM's close of one connection) never comes back.
        entry.pipe = undefined
        this.removePipe(pipe)
      }
    } else if (pipe) {
      this.removePipe(pipe)
    }
    if (!handshaken && !silenced && error?.code !== "ERR_ZMTP_SOCKET_TYPE") {
      const other = !error || error.code === "ERR_ZMTP_HANDSHAKE_TIMEOUT" || !error.code.startsWith("ERR_ZMTP")
      const type = error instanceof AuthError ? "handshake:error:auth" : other ? "handshake:error:other" : "handshake:error:protocol"
      const reported = !error
        ? zerr("EPIPE", "connection closed during the handshake")
        : error.code === "ERR_ZMTP_HANDSHAKE_TIMEOUT"
          ? zerr("EAGAIN", error.detail)
          : error
      this.event({ type, address: engine.address, error: reported })
    }
    if (!silenced) this.event({ type: "disconnect", address: engine.address })
    // Reconnect unless the endpoint is gone or was connected anew (disconnect(), a listener that
    // closed the socket or reconnected, STREAM's close of this connection then a new connect()).
    if (origin instanceof Connecter && entry && entry.connecter === origin && this.connecters.get(origin.address) === entry) origin.retry()
  }

  private newPipe(endpoint: string, outbound: boolean, connectRoutingId: string | null = null): Pipe {
    const p = new Pipe(this, endpoint, outbound, this.sendHighWaterMark, this.receiveHighWaterMark)
    p.presetRoutingId = connectRoutingId
    this.pipes.add(p)
    // ZMQ_PROBE_ROUTER: an empty message goes first on every new pipe, ahead of anything the user sends.
    if (this.opts.probeRouter) p.write([Buffer.alloc(0)])
    this.pipeAdded(p)
    return p
  }

  /**
   * Takes a pipe out of use: nothing more is routed to it and its outbound queue is dropped. What it
   * already received stays readable until the application takes it (the pipe leaves the
   * fair-queuing list once empty), as libzmq's pipes terminate with delay. RFC 28 says DEALER and
   * ROUTER "SHALL destroy [the] double queue ... and SHALL discard any messages it contains"; we
   * follow libzmq and lose no data (README, migration table).
   */
  private removePipe(p: Pipe): void {
    if (p.closed) return
    p.closed = true
    this.pipes.delete(p)
    p.out.clear()
    // A connecter keeps its pipe across reconnects: never hand a removed one (ROUTER handover) to
    // the next connection.
    if (p.outbound) for (const entry of this.connecters.values()) if (entry.pipe === p) entry.pipe = undefined
    this.pipeClosed(p)
    this.pipeRemoved(p)
  }

  /** Drops a peer: closes its connection and its pipe (ROUTER handover). */
  protected dropPeer(p: Pipe): void {
    const e = p.engine
    this.removePipe(p)
    if (e instanceof Engine || e instanceof RawEngine || e instanceof ZwsEngine) e.close(undefined)
  }

  /**
   * Ends one peer's connection on the application's request (STREAM: an empty message to its id):
   * what its pipe holds is written first, then the connection ends, with no event and, for a
   * connect, no reconnect, as libzmq terminates the session of a raw pipe. The socket type stops
   * routing to the pipe itself.
   */
  protected endPeer(p: Pipe): void {
    for (const entry of this.connecters.values()) if (entry.pipe === p) entry.connecter.stop()
    const e = p.engine
    if (e instanceof Engine || e instanceof RawEngine || e instanceof ZwsEngine) {
      this.silenced.add(e)
      e.finish(-1)
    } else this.removePipe(p)
  }

  /**
   * The routing id for one connect() call: `given` if there is one (checked like the option), else
   * the connectRoutingId option. Either way the option is cleared, so it never reaches a later call.
   * Returned as the octets' latin1 string, the ROUTER's routing key (Pipe.presetRoutingId).
   */
  private takeConnectRoutingId(given: string | undefined): string | null {
    const preset = this.opts.connectRoutingId as Buffer | null
    this.opts.connectRoutingId = null
    const id = given === undefined ? preset : (checkOption("connectRoutingId", given) as Buffer | null)
    return id === null ? null : id.toString("latin1")
  }

  /**
   * The peer side of close(): listeners stop; a connected peer's queue is written out for up to
   * `linger` ms, a connecting pipe with queued messages keeps its connecter; everything else goes.
   */
  protected closeEndpoints(): void {
    for (const l of this.listeners.values()) {
      l.close(false)
      this.event({ type: "close", address: l.address })
    }
    this.listeners.clear()
    // Lingering, as libzmq: what pipes hold is still delivered for up to `linger` ms (-1: until it
    // is). A connected peer's pipe is written out; a connecting pipe with queued messages keeps its
    // connecter, which goes on connecting and reconnecting until the queue is written.
    const keep = this.linger !== 0
    if (keep && this.linger > 0) this.lingerDeadline = Date.now() + this.linger
    for (const [address, entry] of this.connecters) {
      if (keep && entry.pipe !== undefined && entry.pipe.out.length > 0) continue
      entry.connecter.stop()
      this.connecters.delete(address)
    }
    const lingering = new Set<Pipe>()
    for (const entry of this.connecters.values()) lingering.add(entry.pipe!)
    for (const e of [...this.engines]) {
      const p = e.attachedPipe
      if (keep && e.ready && p) {
        lingering.add(p)
        e.finish(this.lingerLeft())
      } else if (!this.lingersFor(e)) {
        e.close(undefined)
      }
    }
    for (const p of [...this.pipes]) if (!lingering.has(p)) this.removePipe(p)
    if (this.connecters.size > 0 && this.linger > 0) {
      // Unref'd: a lingering socket does not hold the process; at exit lifetime.ts waits for it.
      this.lingerTimer = setTimeout(() => this.endLinger(), this.linger).unref()
    }
  }

  /** ms of linger left for an engine that starts finishing now (-1: no limit). */
  private lingerLeft(): number {
    if (this.linger < 0) return -1
    return Math.max(1, this.lingerDeadline - Date.now())
  }

  /** True if a closed socket still waits on this engine's connecter to deliver a queue. */
  private lingersFor(e: AnyEngine): boolean {
    const origin = this.engineOrigin.get(e)
    return origin instanceof Connecter && this.connecters.get(origin.address)?.connecter === origin
  }

  /** The linger time ran out: whatever is still undelivered is dropped. */
  private endLinger(): void {
    for (const { connecter } of this.connecters.values()) connecter.stop()
    this.connecters.clear()
    for (const e of [...this.engines]) e.close(undefined)
    for (const p of [...this.pipes]) this.removePipe(p)
  }

  /** Statistics: messages and bytes in and out, peers, queue depths, reconnects, protocol errors. */
  get statistics(): SocketStatistics {
    let bytesIn = this.stats.bytesIn
    let bytesOut = this.stats.bytesOut
    let peers = 0
    for (const e of this.engines) {
      bytesIn += e.bytesIn
      bytesOut += e.bytesOut
      if (e.ready) peers++
    }
    return {
      messagesIn: this.stats.messagesIn,
      messagesOut: this.stats.messagesOut,
      bytesIn,
      bytesOut,
      peers,
      queues: [...this.pipes].map((p) => ({ endpoint: p.endpoint, out: p.out.length, in: p.in.length, connected: p.engine !== undefined })),
      reconnects: this.stats.reconnects,
      protocolErrors: this.stats.protocolErrors,
    }
  }

  /** @internal Endpoints bound or connected now (none once closed): a Proxy needs one on each side. */
  override get endpointCount(): number {
    return this.isClosed ? 0 : this.listeners.size + this.connecters.size
  }

  /**
   * @internal True while messages queued for peers may still go out: an open socket with a queue,
   * or a closed one still lingering. What the exit wait (lifetime.ts) waits for.
   */
  get undelivered(): boolean {
    if (this.isClosed) return this.connecters.size > 0 || this.engines.size > 0
    for (const p of this.pipes) if (p.out.length > 0) return true
    return false
  }

  protected assertOpen(): void {
    if (this.isClosed) throw zerr("EBADF")
  }

  // ---- hooks for socket types ----------------------------------------------------------------

  /** A pipe joined the socket (a connecting pipe before its handshake, an accepted one after). */
  protected pipeAdded(_p: Pipe): void {}
  /** A pipe's peer completed its handshake. Return an error to refuse the peer (nothing it sent is delivered). */
  protected pipeHandshaken(_p: Pipe, _peer: Metadata): ZmtpError | undefined {
    return undefined
  }
  /** A pipe left the socket for good. */
  protected pipeRemoved(_p: Pipe): void {}

  // ---- what the messaging layer (socket-base.ts) provides --------------------------------------

  /** Sends accepted by send() and still waiting their turn. */
  protected abstract get pendingSends(): number
  /** Tries the waiting sends again (a pipe joined or got room). */
  protected abstract serveSenders(): void
  /** A pipe left the socket: the messaging layer forgets it (and, once closed, what it still held). */
  protected abstract pipeClosed(p: Pipe): void
}

/**
 * Drops a connection accepted while the socket closed: a ws listener hands over a
 * {@link MessageTransport}, which has no destroy(); calling it threw out of the http server's
 * upgrade handling (adversarial review of issue 19, finding 3).
 */
function dropAccepted(sock: NetSocket | MessageTransport): void {
  if (isMessageTransport(sock)) sock.terminate()
  else sock.destroy()
}
