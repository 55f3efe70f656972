/**
 * What every socket type shares: endpoints, connections and their pipes, the ordered send and receive
 * queues (no EBUSY: concurrent calls wait their turn), timeouts, linger, events and statistics. A
 * socket type adds only its state machine through the hooks at the bottom.
 */
import { Buffer } from "node:buffer"
import type { Socket as NetSocket } from "node:net"
import type { Metadata } from "../codec/command.js"
import type { SocketTypeName } from "../codec/socket-types.js"
import { socketTypeNumber } from "../codec/socket-types.js"
import { Engine, type EngineHost } from "../engine/engine.js"
import { ZmtpError, zerr } from "../errors.js"
import { Observer } from "../events.js"
import { checkOption } from "../options.js"
import { AuthError } from "../mechanisms/mechanism.js"
import { zapRequest } from "../mechanisms/zap-client.js"
import { InprocConnecter, InprocListener } from "../transport/inproc.js"
import { Pipe, type PipeOwner } from "../pipe/pipe.js"
import { Queue } from "../pipe/queue.js"
import { Connecter, type ConnecterHost } from "../transport/connecter.js"
import { findBound, parseEndpoint } from "../transport/endpoint.js"
import { Listener } from "../transport/listener.js"
import { ownFrames, toFrames, type Message } from "./message.js"
import { SocketOptionsBase } from "./socket-options.js"

interface PendingSend {
  frames: Buffer[]
  resolve: () => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout | undefined
}

interface PendingRecv {
  resolve: (m: Buffer[]) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout | undefined
}

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

const RESOLVED: Promise<void> = Promise.resolve()

/** State of the send and receive loops: a call made while one runs asks it to go round again. */
const enum Loop {
  Idle,
  Running,
  Again,
}

export abstract class SocketBase extends SocketOptionsBase implements EngineHost, PipeOwner, ConnecterHost, AsyncIterable<Buffer[]> {
  /** The endpoint of the last bind or connect, resolved (`tcp://127.0.0.1:41234`), or null. */
  lastEndpoint: string | null = null
  /** Socket events (zeromq.js names and payloads). */
  readonly events = new Observer()

  /** This socket's type name. */
  protected abstract readonly typeName: SocketTypeName
  /**
   * True for a type that answers each message on the connection it came in on (REP): its engines
   * stop reading from a peer while output to that peer is over budget.
   */
  protected readonly answersEachMessage: boolean = false
  /** Every pipe the socket uses (connected peers, and connecting ones that keep their queue). */
  protected readonly pipes = new Set<Pipe>()
  /** Pipes holding inbound messages, in arrival order: fair queuing takes from the head. */
  private readonly readablePipes = new Queue<Pipe>()
  /** The pipe the last message {@link readFair} returned came from. */
  protected readPipe: Pipe | undefined
  private readonly sendQueue = new Queue<PendingSend>()
  private readonly recvQueue = new Queue<PendingRecv>()
  private sendLoop = Loop.Idle
  private recvLoop = Loop.Idle
  private readonly listeners = new Map<string, Listener>()
  private readonly connecters = new Map<string, { connecter: Connecter; pipe: Pipe | undefined; routingId: string | null }>()
  private readonly engines = new Set<Engine>()
  private readonly engineOrigin = new Map<Engine, Listener | Connecter>()
  private isClosed = false
  /** When a lingering close gives up (ms since the epoch); unused while linger is -1. */
  private lingerDeadline = 0
  private lingerTimer: NodeJS.Timeout | undefined
  private readableWaiters: (() => void)[] = []
  private stats = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, reconnects: 0, protocolErrors: 0 }

  /** libzmq's numeric socket type. */
  get type(): number {
    return socketTypeNumber[this.typeName]
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.isClosed
  }

  /** True when a receive would complete at once (a message the socket type would hand out is waiting). */
  get readable(): boolean {
    if (this.isClosed || this.recvQueue.length > 0) return false
    try {
      this.checkReceive()
    } catch {
      return false
    }
    return this.hasDeliverable()
  }

  /** True when a send would complete at once. */
  get writable(): boolean {
    return this.canSendNow()
  }

  // ---- endpoints -----------------------------------------------------------------------------

  /** Binds to an endpoint (`tcp://127.0.0.1:*`, `ipc:///tmp/x.sock`, `ipc://@name`). */
  async bind(address: string): Promise<void> {
    this.assertOpen()
    if (typeof address === "string" && address.startsWith("inproc://")) return this.bindInproc(address)
    let ep
    try {
      ep = parseEndpoint(address, true)
    } catch (e) {
      this.events.emit({ type: "bind:error", address, error: e as ZmtpError })
      throw e
    }
    let l: Listener
    try {
      l = await Listener.open(
        ep,
        address,
        (sock, listener) => this.accepted(sock, listener),
        (error, at) => this.events.emit({ type: "accept:error", address: at, error }),
      )
    } catch (e) {
      this.events.emit({ type: "bind:error", address, error: e as ZmtpError })
      throw e
    }
    if (this.isClosed) {
      l.close(true)
      throw zerr("EBADF", undefined, address)
    }
    // Keyed by the resolved endpoint, what lastEndpoint reports; unbind also takes the bind string.
    this.listeners.set(l.address, l)
    this.lastEndpoint = l.address
    this.events.emit({ type: "bind", address: l.address })
  }

  /** inproc bind: immediate, in this process's name table (src/transport/inproc.ts). */
  private bindInproc(address: string): Promise<void> {
    let l: InprocListener
    try {
      l = InprocListener.open(address, (sock, listener) => this.accepted(sock, listener as unknown as Listener))
    } catch (e) {
      this.events.emit({ type: "bind:error", address, error: e as ZmtpError })
      return Promise.reject(e)
    }
    this.listeners.set(l.address, l as unknown as Listener)
    this.lastEndpoint = l.address
    this.events.emit({ type: "bind", address: l.address })
    return Promise.resolve()
  }

  /**
   * Stops listening on an endpoint and closes the connections accepted through it. The endpoint is
   * the resolved one (lastEndpoint) or the string given to bind(); see {@link findBound}.
   */
  async unbind(address: string): Promise<void> {
    this.assertOpen()
    const key = await findBound(address, this.listeners)
    // A host name may have been looked up in between.
    this.assertOpen()
    const l = key === undefined ? undefined : this.listeners.get(key)
    if (!l) throw zerr("ENOENT", `not bound to ${address}`, address)
    this.listeners.delete(key!)
    l.close(true)
    this.events.emit({ type: "close", address: l.address })
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
    const inproc = typeof address === "string" && address.startsWith("inproc://")
    const ep = inproc ? undefined : parseEndpoint(address, false)
    if (this.connecters.has(address)) return
    const c = ep ? new Connecter(ep, address, () => this, this) : new InprocConnecter(address, () => this, this)
    const entry = { connecter: c, pipe: undefined as Pipe | undefined, routingId }
    this.connecters.set(address, entry)
    this.lastEndpoint = address
    if (!this.immediate) {
      // libzmq with ZMQ_IMMEDIATE off: the pipe exists at once and queues while the peer is away.
      entry.pipe = this.newPipe(address, true, entry.routingId)
      // Sends waiting for room may take the new pipe, as libzmq's do.
      if (this.sendQueue.length > 0) queueMicrotask(() => this.serveSenders())
    }
    c.start()
  }

  /** Stops connecting to an endpoint, closes its connection and drops what was queued for it. */
  disconnect(address: string): void {
    this.assertOpen()
    const entry = this.connecters.get(address)
    if (!entry) throw zerr("ENOENT", `not connected to ${address}`, address)
    this.connecters.delete(address)
    entry.connecter.stop()
    for (const [e, origin] of this.engineOrigin) if (origin === entry.connecter) e.close(undefined)
    if (entry.pipe) this.removePipe(entry.pipe)
  }

  // ---- connections ---------------------------------------------------------------------------

  private accepted(sock: NetSocket, l: Listener): void {
    if (this.isClosed) return void sock.destroy()
    this.events.emit({ type: "accept", address: l.address })
    // A listener of that event may have closed the socket.
    if (this.isClosed) return void sock.destroy()
    this.startEngine(sock, l, l.address)
  }

  /** ConnecterHost. */
  connected(sock: NetSocket, c: Connecter): void {
    this.startEngine(sock, c, c.address)
  }

  /** ConnecterHost. */
  connectEvent(type: "connect" | "connect:delay" | "connect:retry" | "close", address: string, interval?: number, error?: Error): void {
    // A lingering connecter goes on after close; the socket's events ended with "end".
    if (this.isClosed) return
    if (type === "connect:retry") this.stats.reconnects++
    const ev: { type: typeof type; address: string; interval?: number; error?: Error } = { type, address }
    if (interval !== undefined) ev.interval = interval
    if (error !== undefined) ev.error = error
    this.events.emit(ev)
  }

  private startEngine(sock: NetSocket, origin: Listener | Connecter, address: string): void {
    const props: [string, Buffer | string][] = [["Socket-Type", this.typeName]]
    // The option holds the routing id's octets (a string option is UTF-8, as in zeromq.js).
    const identity = (this.opts.routingId as Buffer | null) ?? Buffer.alloc(0)
    if (this.typeName === "REQ" || this.typeName === "DEALER" || this.typeName === "ROUTER") {
      props.push(["Identity", identity])
    }
    let mechanism
    try {
      mechanism = this.security.create(props, {
        domain: this.security.zapDomain,
        address: sock.remoteAddress ?? "",
        identity,
      })
    } catch (e) {
      // A CURVE socket without its keys cannot handshake (libzmq fails it the same way).
      sock.destroy()
      this.events.emit({ type: "handshake:error:other", address, error: e as ZmtpError })
      return
    }
    const engine = new Engine(
      sock,
      mechanism,
      {
        zap: zapRequest,
        socketType: this.typeName,
        maxMessageSize: this.maxMessageSize,
        handshakeInterval: this.handshakeInterval,
        heartbeatInterval: this.heartbeatInterval,
        heartbeatTimeout: this.heartbeatTimeout,
        heartbeatTimeToLive: this.heartbeatTimeToLive,
        holdInputWhileOutputBlocked: this.answersEachMessage,
      },
      this,
      address,
    )
    this.engines.add(engine)
    this.engineOrigin.set(engine, origin)
  }

  /** EngineHost: the peer completed its handshake. */
  engineReady(engine: Engine, peer: Metadata): Pipe | ZmtpError {
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
    if (!this.isClosed) this.events.emit({ type: "handshake", address: engine.address })
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
  engineClosed(engine: Engine, error: ZmtpError | undefined, handshaken: boolean): void {
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
    // timed out mid-handshake as :other (stream_engine_base::error, "no detail"); a peer refused for
    // its socket type only as disconnect.
    if (!handshaken && error?.code !== "ERR_ZMTP_SOCKET_TYPE") {
      const other = !error || error.code === "ERR_ZMTP_HANDSHAKE_TIMEOUT" || !error.code.startsWith("ERR_ZMTP")
      const type = error instanceof AuthError ? "handshake:error:auth" : other ? "handshake:error:other" : "handshake:error:protocol"
      this.events.emit({ type, address: engine.address, error: error ?? zerr("ECONNRESET", "connection closed during the handshake", engine.address) })
    }
    this.events.emit({ type: "disconnect", address: engine.address })
    if (origin instanceof Connecter) {
      const entry = this.connecters.get(origin.address)
      if (!entry) return
      // With ZMQ_IMMEDIATE a connecting pipe lives only while connected; otherwise it keeps its
      // queue for the next connection, as libzmq's does.
      if (pipe && entry.pipe === pipe && this.immediate) {
        entry.pipe = undefined
        this.removePipe(pipe)
      }
      origin.retry()
    } else if (pipe) {
      this.removePipe(pipe)
    }
  }

  private newPipe(endpoint: string, outbound: boolean, connectRoutingId: string | null = null): Pipe {
    const p = new Pipe(this, endpoint, outbound, this.sendHighWaterMark, this.receiveHighWaterMark)
    p.presetRoutingId = connectRoutingId
    this.pipes.add(p)
    // ZMQ_PROBE_ROUTER: an empty message goes first on every new pipe, ahead of anything the user sends.
    if (this.probeRouter) p.write([Buffer.alloc(0)])
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
    if (this.isClosed) this.discardInbound(p)
    // A connecter keeps its pipe across reconnects: never hand a removed one (ROUTER handover) to
    // the next connection.
    if (p.outbound) for (const entry of this.connecters.values()) if (entry.pipe === p) entry.pipe = undefined
    if (this.readPipe === p) this.readPipe = undefined
    this.pipeRemoved(p)
  }

  /** Drops a peer: closes its connection and its pipe (ROUTER handover). */
  protected dropPeer(p: Pipe): void {
    const e = p.engine
    this.removePipe(p)
    if (e instanceof Engine) e.close(undefined)
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

  // ---- PipeOwner -----------------------------------------------------------------------------

  /** PipeOwner: a pipe has inbound messages. */
  pipeReadable(p: Pipe): void {
    if (!p.listedReadable) {
      p.listedReadable = true
      this.readablePipes.push(p)
    }
    this.serveReceivers()
    if (this.readableWaiters.length > 0) this.wakeReadable()
  }

  private wakeReadable(): void {
    const w = this.readableWaiters
    this.readableWaiters = []
    for (const f of w) f()
  }

  /**
   * @internal For Proxy: the next message if one is ready and no receive() is waiting, else undefined.
   * Unlike receive() it leaves nothing pending that could swallow a later message.
   */
  receiveNow(): Buffer[] | undefined {
    if (this.isClosed || this.recvQueue.length > 0) return undefined
    return this.takeMessage()
  }

  /**
   * The next message for the user, counted as received. Messages a socket type drops on the way
   * (a stale reply, a malformed request) are not counted.
   */
  private takeMessage(): Buffer[] | undefined {
    const m = this.xrecv()
    if (m) this.stats.messagesIn++
    return m
  }

  /** @internal For Proxy: resolves when a message may be ready, or the socket closed, or `wake()` is called. */
  whenReadable(): Promise<void> {
    if (this.isClosed) return RESOLVED
    return new Promise((resolve) => this.readableWaiters.push(resolve))
  }

  /** @internal Wakes whoever waits in {@link whenReadable}. */
  wake(): void {
    this.wakeReadable()
  }

  /** PipeOwner: a pipe's outbound queue has room again. */
  pipeWritable(_p: Pipe): void {
    this.serveSenders()
  }

  /**
   * Takes the next inbound message by fair queuing over pipes, optionally only from pipes `accept`
   * allows. The pipe it came from is left in {@link readPipe} (no tuple to allocate per message).
   */
  protected readFair(accept?: (p: Pipe) => boolean): Buffer[] | undefined {
    const n = this.readablePipes.length
    for (let i = 0; i < n; i++) {
      const p = this.readablePipes.shift()!
      if (accept && !accept(p)) {
        this.readablePipes.push(p)
        continue
      }
      const m = p.read()
      if (p.in.length > 0) this.readablePipes.push(p)
      else p.listedReadable = false
      if (m) {
        this.readPipe = p
        return m
      }
    }
    return undefined
  }

  /** True if some queued inbound message, from a pipe `accept` allows, satisfies `pred`. */
  protected someInbound(pred: (m: Buffer[], p: Pipe) => boolean, accept?: (p: Pipe) => boolean): boolean {
    for (const p of this.readablePipes.items()) {
      if (accept && !accept(p)) continue
      for (const m of p.in.items()) if (pred(m, p)) return true
    }
    return false
  }

  /** Discards every queued inbound message, of one pipe or of all. */
  protected discardInbound(p?: Pipe): void {
    if (p) {
      // Reading (rather than clearing) lets an engine paused on a full queue go on.
      while (p.read()) {}
      return
    }
    while (this.readFair()) {}
  }

  // ---- send ----------------------------------------------------------------------------------

  /**
   * Sends a message (one frame or an array of frames). Resolves once the message is queued for a
   * peer. Unlike zeromq.js, concurrent sends do not fail with EBUSY: they are queued and served in
   * order, each waiting its turn (up to `sendTimeout`), so back-pressure still holds.
   */
  send(message: Message): Promise<void> {
    if (this.isClosed) return Promise.reject(zerr("EBADF"))
    let frames: Buffer[]
    try {
      frames = toFrames(message)
      this.checkSend(frames)
    } catch (e) {
      return Promise.reject(e)
    }
    if (this.sendQueue.length === 0 && this.sendLoop === Loop.Idle) {
      try {
        if (this.xsend(frames)) {
          this.stats.messagesOut++
          // A reply sent lets a REP serve the next queued receive.
          if (this.recvQueue.length > 0) this.serveReceivers()
          return RESOLVED
        }
      } catch (e) {
        return Promise.reject(e)
      }
      if (this.sendTimeout === 0) return Promise.reject(zerr("EAGAIN"))
    }
    // The message waits: its small frames are copied now, as a pipe would have copied them, so the
    // caller may reuse its buffers once send() returns.
    ownFrames(frames)
    return new Promise<void>((resolve, reject) => {
      const p: PendingSend = { frames, resolve, reject, timer: undefined }
      if (this.sendTimeout > 0) {
        p.timer = setTimeout(() => this.expireSend(p), this.sendTimeout)
      }
      this.sendQueue.push(p)
    })
  }

  private expireSend(p: PendingSend): void {
    // Remove it wherever it stands; later sends keep their order.
    const rest = this.sendQueue.drain().filter((x) => x !== p)
    for (const x of rest) this.sendQueue.push(x)
    p.reject(zerr("EAGAIN"))
    this.serveSenders()
  }

  /**
   * Tries queued sends in order after a pipe got room or joined. Never re-entered: routing can flush
   * a full pipe (`makeRoom`), and the flush reports room through {@link pipeWritable}; a call that
   * arrives while the loop runs only asks it to go round once more (DESIGN "No re-entrancy into a
   * loop from below"). Re-entering used to send the queue's head twice.
   */
  protected serveSenders(): void {
    if (this.sendLoop !== Loop.Idle) {
      this.sendLoop = Loop.Again
      return
    }
    this.sendLoop = Loop.Running
    try {
      do {
        this.sendLoop = Loop.Running
        let p: PendingSend | undefined
        while ((p = this.sendQueue.peek())) {
          let sent: boolean
          try {
            sent = this.xsend(p.frames)
          } catch (e) {
            this.sendQueue.shift()
            clearTimeout(p.timer)
            p.reject(e as Error)
            continue
          }
          if (!sent) break
          this.sendQueue.shift()
          clearTimeout(p.timer)
          this.stats.messagesOut++
          p.resolve()
        }
      } while ((this.sendLoop as Loop) === Loop.Again && this.sendQueue.length > 0)
    } finally {
      this.sendLoop = Loop.Idle
    }
  }

  /** Sends accepted by send() and still waiting their turn. */
  protected get pendingSends(): number {
    return this.sendQueue.length
  }

  /** True if a send issued now would be accepted at once. */
  protected canSendNow(): boolean {
    return false
  }

  // ---- receive -------------------------------------------------------------------------------

  /**
   * Resolves to the next message as an array of Buffers. Concurrent receives are served in call
   * order (no EBUSY). Rejects with EAGAIN after `receiveTimeout`, EBADF once closed.
   */
  receive(): Promise<Buffer[]> {
    if (this.isClosed) return Promise.reject(zerr("EBADF"))
    try {
      this.checkReceive()
    } catch (e) {
      return Promise.reject(e)
    }
    if (this.recvQueue.length === 0) {
      const m = this.takeMessage()
      if (m) return Promise.resolve(m)
    }
    if (this.receiveTimeout === 0) return Promise.reject(zerr("EAGAIN"))
    return new Promise<Buffer[]>((resolve, reject) => {
      const p: PendingRecv = { resolve, reject, timer: undefined }
      if (this.receiveTimeout > 0) {
        p.timer = setTimeout(() => {
          const rest = this.recvQueue.drain().filter((x) => x !== p)
          for (const x of rest) this.recvQueue.push(x)
          reject(zerr("EAGAIN"))
        }, this.receiveTimeout)
      }
      this.recvQueue.push(p)
    })
  }

  /**
   * Hands arrived messages to waiting receivers, in order. Never re-entered, like
   * {@link serveSenders}: a read that makes room lets the engine deliver more, which reports it
   * through {@link pipeReadable}.
   */
  protected serveReceivers(): void {
    if (this.recvLoop !== Loop.Idle) {
      this.recvLoop = Loop.Again
      return
    }
    try {
      do {
        this.recvLoop = Loop.Running
        while (this.recvQueue.length > 0) {
          const m = this.takeMessage()
          if (!m) break
          const p = this.recvQueue.shift()!
          clearTimeout(p.timer)
          p.resolve(m)
        }
      } while ((this.recvLoop as Loop) === Loop.Again && this.recvQueue.length > 0)
    } finally {
      this.recvLoop = Loop.Idle
    }
  }

  /**
   * Iterates over received messages until the socket closes. A hand-written iterator rather than an
   * async generator: one promise per message instead of several.
   */
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined }
    const onError = (e: unknown): IteratorResult<Buffer[], undefined> => {
      if (this.isClosed) return done
      throw e
    }
    return {
      next: () => {
        if (this.isClosed) return Promise.resolve(done)
        if (this.recvQueue.length === 0) {
          const m = this.xrecvChecked()
          if (m) return Promise.resolve({ done: false, value: m })
        }
        return this.receive().then((value) => ({ done: false, value }), onError)
      },
      return: () => Promise.resolve(done),
    }
  }

  /** xrecv after the type's receive check; undefined when the check fails (receive() then reports it). */
  private xrecvChecked(): Buffer[] | undefined {
    try {
      this.checkReceive()
    } catch {
      return undefined
    }
    return this.takeMessage()
  }

  // ---- close ---------------------------------------------------------------------------------

  /**
   * Closes the socket. Pending sends and receives reject with EBADF. Messages already queued to
   * connected peers are flushed for up to `linger` ms (-1: until written or the peer is gone; 0: not
   * at all); queues of peers not connected are dropped. Nothing keeps the process alive afterwards.
   */
  close(): void {
    if (this.isClosed) return
    this.isClosed = true
    for (const p of this.sendQueue.drain()) {
      clearTimeout(p.timer)
      p.reject(zerr("EBADF"))
    }
    for (const p of this.recvQueue.drain()) {
      clearTimeout(p.timer)
      p.reject(zerr("EBADF"))
    }
    for (const l of this.listeners.values()) {
      l.close(false)
      this.events.emit({ type: "close", address: l.address })
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
      this.lingerTimer = setTimeout(() => this.endLinger(), this.linger)
    }
    // Nothing is received after close: what pipes that left earlier still held goes too.
    this.discardInbound()
    this.wakeReadable()
    this.events.emit({ type: "end" })
  }

  /** ms of linger left for an engine that starts finishing now (-1: no limit). */
  private lingerLeft(): number {
    if (this.linger < 0) return -1
    return Math.max(1, this.lingerDeadline - Date.now())
  }

  /** True if a closed socket still waits on this engine's connecter to deliver a queue. */
  private lingersFor(e: Engine): boolean {
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
  /** Validates a send at call time (EFSM ...). */
  protected checkSend(_frames: Buffer[]): void {}
  /** Validates a receive at call time (EFSM ...). */
  protected checkReceive(): void {}
  /** True if {@link xrecv} would return a message now (for {@link readable}); it must not consume. */
  protected hasDeliverable(): boolean {
    return this.readablePipes.length > 0
  }
  /** Routes one message out. True if it was queued to a peer; false to wait for room; throws to reject. */
  protected abstract xsend(frames: Buffer[]): boolean
  /** The next message for the user, or undefined. */
  protected abstract xrecv(): Buffer[] | undefined
}

