/**
 * The `inproc://` transport in the browser build. Node's runs the ZMTP stream engine over a pair of
 * in-memory duplex streams (transport/inproc.ts); a page has no stream module, so here a connection
 * is a pair of in-memory message transports and runs the ZWS engine (RFC 45 framing, the mechanism
 * named by a subprotocol), the engine the page's ws:// connections use anyway. The connecting
 * socket's mechanism names the subprotocol; an accepting socket with another mechanism refuses the
 * connection, as a ws server refuses a subprotocol it does not speak.
 *
 * As in Node, a connect may come before the bind and completes when the name is bound. Names are
 * per page (per module instance). The ZAP endpoint (inproc://zeromq.zap.01) cannot be bound here:
 * the ZAP client drives the ZMTP stream engine, which needs a byte stream.
 */
import type { Buffer } from "node:buffer"
import { offeredTokenProtocols } from "../codec/zws.js"
import { zerr } from "../errors.js"
import type { MessageTransport, MessageTransportHandlers } from "../engine/message-transport.js"
import { Connecter, type ConnecterHost, type ConnecterTiming } from "../transport/connecter.js"
import type { Endpoint } from "../transport/endpoint.js"

const ZAP_ENDPOINT = "inproc://zeromq.zap.01"

/**
 * Runs `f` in a later task, not a microtask: a sender and a reader that keep up with each other
 * would otherwise pass messages in microtasks for ever, and a page's timers, rendering and input
 * (or a Node process's I/O) would never run. setImmediate where the runtime has it (Node, Deno,
 * Bun); in a page, one shared MessageChannel (a task without setTimeout's 4 ms nesting clamp).
 */
const macrotask: (f: () => void) => void = (() => {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown }
  if (typeof g.setImmediate === "function") {
    const si = g.setImmediate
    return (f) => void si(f)
  }
  if (typeof MessageChannel === "function") {
    const queue: (() => void)[] = []
    let channel: InstanceType<typeof MessageChannel> | undefined
    return (f) => {
      if (!channel) {
        channel = new MessageChannel()
        // A page's MessagePort (WHATWG): onmessage starts the port.
        ;(channel.port1 as unknown as { onmessage: () => void }).onmessage = () => {
          for (const t of queue.splice(0)) t()
        }
        // Where a port can hold a process open (Node-like runtimes), it must not (lifetime.ts).
        ;(channel.port1 as { unref?: () => void }).unref?.()
      }
      if (queue.push(f) === 1) channel.port2.postMessage(0)
    }
  }
  return (f) => void setTimeout(f, 0)
})()

/**
 * One end of an in-memory message connection, with the back-pressure of Node's inproc
 * (transport/inproc.ts, a Duplex whose write waits until the peer's reader wants more): what one end
 * sent and the other's engine has not taken yet is this end's {@link bufferedAmount}, and
 * {@link onDrained} waits until the peer took it all. A peer whose engine is paused at its receive
 * high-water mark therefore holds the sender's engine at its write budget, then the sender's pipe
 * at its send high-water mark, and send() blocks, as between Node sockets.
 */
export class InprocTransport implements MessageTransport {
  readonly messageTransport = true as const
  readonly remoteAddress = ""
  peer!: InprocTransport
  private handlers: MessageTransportHandlers | undefined
  private inbox: Buffer[] = []
  /** Octets in {@link inbox}: the peer's bufferedAmount. */
  private inboxBytes = 0
  private paused = false
  private scheduled = false
  private ended = false
  private gone = false
  private readonly closeWaiters: (() => void)[] = []
  /** Our onDrained callbacks, waiting until the peer's inbox is empty. */
  private drainWaiters: (() => void)[] = []

  constructor(
    readonly protocol: string,
    readonly client: boolean,
  ) {}

  /** Octets sent to the peer that its engine has not taken yet. */
  get bufferedAmount(): number {
    return this.ended || this.gone ? 0 : this.peer.inboxBytes
  }

  /** Delivery in a later task: a send never re-enters the peer's engine, and timers get to run. */
  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    macrotask(() => {
      this.scheduled = false
      this.deliver()
    })
  }

  private deliver(): void {
    if (!this.handlers || this.gone) return
    while (!this.paused && this.inbox.length > 0 && !this.gone) {
      const m = this.inbox.shift()!
      this.inboxBytes -= m.length
      this.handlers.message(m, true)
    }
    if (this.inbox.length === 0) this.peer.drained()
    if (this.ended && this.inbox.length === 0) this.finish()
  }

  /** @internal The peer took everything we sent: our drain waiters run. */
  drained(): void {
    for (const f of this.drainWaiters.splice(0)) f()
  }

  private finish(): void {
    if (this.gone) return
    this.gone = true
    this.drained()
    for (const f of this.closeWaiters.splice(0)) f()
    this.handlers?.close()
  }

  /** @internal The peer sent a message. */
  receive(data: Buffer): void {
    if (this.ended) return
    this.inbox.push(data)
    this.inboxBytes += data.length
    this.schedule()
  }

  /** @internal The peer is gone; what it sent is still read first. */
  peerEnded(): void {
    this.ended = true
    this.schedule()
  }

  setHandlers(h: MessageTransportHandlers): void {
    this.handlers = h
    this.schedule()
  }

  send(data: Buffer): void {
    if (this.ended || this.gone) return
    this.peer.receive(data)
  }

  onDrained(cb: () => void): void {
    // Never from within the caller's loop (DESIGN: no re-entrancy from below).
    if (this.ended || this.gone || this.peer.inboxBytes === 0) return void queueMicrotask(cb)
    this.drainWaiters.push(cb)
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.schedule()
  }

  close(): void {
    this.terminate()
  }

  terminate(): void {
    if (this.ended) return
    this.ended = true
    this.inbox = []
    this.inboxBytes = 0
    this.peer.drained()
    this.drained()
    this.peer.peerEnded()
    this.schedule()
  }

  /** @internal Calls `f` once this end is closed. */
  onClose(f: () => void): void {
    if (this.gone) f()
    else this.closeWaiters.push(f)
  }
}

/** A connected pair of in-memory message transports with the subprotocol `protocol`. */
export function inprocPair(protocol: string): [InprocTransport, InprocTransport] {
  const a = new InprocTransport(protocol, false)
  const b = new InprocTransport(protocol, true)
  a.peer = b
  b.peer = a
  return [a, b]
}

type Accept = (t: never, l: InprocListener) => void

const bound = new Map<string, InprocListener>()
const waiting = new Map<string, Set<() => void>>()

/** Name of an inproc endpoint ("inproc://name" -> "name"); throws EINVAL for an empty one. */
export function inprocName(address: string): string {
  const name = address.slice("inproc://".length)
  if (!address.startsWith("inproc://") || name === "") throw zerr("EINVAL", `malformed inproc endpoint ${JSON.stringify(address)}`, address)
  return name
}

/** A bound inproc name; shaped like the tcp/ipc Listener for the socket. */
export class InprocListener {
  readonly connections = new Set<InprocTransport>()
  private closed = false

  private constructor(
    readonly address: string,
    private readonly name: string,
    private readonly onConnection: Accept,
  ) {}

  get given(): string {
    return this.address
  }

  /** Binds a name; EADDRINUSE if another socket holds it (libzmq). */
  static open(address: string, onConnection: Accept): InprocListener {
    const name = inprocName(address)
    if (address === ZAP_ENDPOINT) throw zerr("EPROTONOSUPPORT", "a ZAP handler cannot be bound in the browser build", address)
    if (bound.has(name)) throw zerr("EADDRINUSE", `inproc name ${name} is already bound`, address)
    const l = new InprocListener(address, name, onConnection)
    bound.set(name, l)
    const w = waiting.get(name)
    if (w) {
      waiting.delete(name)
      for (const f of w) f()
    }
    return l
  }

  /** @internal Accepts a connection offering `protocol`; returns the connecting side's end. */
  accept(protocol: string): InprocTransport | undefined {
    if (this.closed) return undefined
    const [ours, theirs] = inprocPair(protocol)
    this.connections.add(ours)
    ours.onClose(() => this.connections.delete(ours))
    this.onConnection(ours as never, this)
    return theirs
  }

  close(dropConnections: boolean): void {
    if (this.closed) return
    this.closed = true
    if (bound.get(this.name) === this) bound.delete(this.name)
    if (dropConnections) for (const c of this.connections) c.terminate()
  }
}

/** The ZAP client asks for its handler here: none can be bound in a page (see the file's doc). */
export function inprocBinding(_address: string): InprocListener | undefined {
  return undefined
}

/** Never reached (no ZAP handler is bound); the ZAP client's import. */
export function connectInproc(_address: string): undefined {
  return undefined
}

/** True if something is bound at the name. */
export function isInprocBound(address: string): boolean {
  return bound.has(inprocName(address))
}

function whenBound(name: string, f: () => void): () => void {
  let set = waiting.get(name)
  if (!set) waiting.set(name, (set = new Set()))
  set.add(f)
  return () => {
    set.delete(f)
    if (set.size === 0 && waiting.get(name) === set) waiting.delete(name)
  }
}

/** The socket side of an inproc connecter: its mechanism names the subprotocol. */
interface InprocHost extends ConnecterHost {
  wsMechanism(): "plain" | "curve" | null
}

/** The connecting side of inproc, as in Node's transport/inproc.ts. */
export class InprocConnecter extends Connecter {
  private cancelWait: (() => void) | undefined
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private halted = false

  constructor(
    address: string,
    private readonly timingOf: () => ConnecterTiming,
    private readonly hostOf: InprocHost,
  ) {
    super({ transport: "ipc", path: "" } as Endpoint, address, timingOf, hostOf)
    inprocName(address)
  }

  override start(): void {
    if (this.halted) return
    // NULL: the mechanism form, as a page's ws:// NULL offer after "ZWS2.0" would be chosen.
    const protocol = offeredTokenProtocols(this.hostOf.wsMechanism())[0]!
    const t = bound.get(inprocName(this.address))?.accept(protocol)
    if (t) return this.hostOf.connected(t as never, this)
    this.cancelWait?.()
    this.cancelWait = whenBound(inprocName(this.address), () => {
      this.cancelWait = undefined
      this.start()
    })
  }

  override retry(): void {
    if (this.halted || this.retryTimer || this.cancelWait) return
    const ivl = this.timingOf().reconnectInterval
    if (ivl < 0) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.start()
    }, ivl)
  }

  override stop(): void {
    this.halted = true
    this.cancelWait?.()
    this.cancelWait = undefined
    clearTimeout(this.retryTimer)
    super.stop()
  }
}
