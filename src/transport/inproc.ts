/**
 * The `inproc://` transport: connections between zmtp sockets of this process, with no kernel in
 * between. Each connection is a pair of in-memory duplex streams that behave like a net.Socket as the
 * engine uses it (write with back-pressure, pause/resume, end, destroy), so an inproc peer runs the
 * same ZMTP engine, handshake, socket-type check and routing as a tcp one. That costs some framing
 * work per message but keeps one code path; inproc here exists chiefly for the ZAP handler at
 * `inproc://zeromq.zap.01` (RFC 27 "Architecture").
 *
 * As in libzmq 4.x, a connect may come before the bind: it waits and completes when the name is bound.
 *
 * Names are per module instance, so per thread: each worker thread has its own zmtp and its own
 * inproc namespace (zeromq.js shares one libzmq context, so one namespace, among all threads). A
 * connect cannot reach a name bound in another thread; so that this does not just wait in silence,
 * the instances of a process tell each other of their bound names over a BroadcastChannel, and a
 * connect waiting for a name that another thread has bound gets a process warning (code
 * ZMTP_INPROC_THREAD) naming it. The connect goes on waiting for a bind in its own thread.
 */
import type { Socket as NetSocket } from "node:net"
import { Duplex } from "node:stream"
import { BroadcastChannel, threadId } from "node:worker_threads"
import { zerr } from "../errors.js"
import { Connecter, type ConnecterHost, type ConnecterTiming } from "./connecter.js"
import type { Endpoint } from "./endpoint.js"

/** One end of an in-memory connection. */
export class InprocStream extends Duplex {
  /** The other end. */
  peer!: InprocStream
  /** A write held back until the peer's reader wants more (back-pressure). */
  private held: ((e?: Error | null) => void) | undefined
  /** True once end-of-stream was pushed to this end's readable side. */
  private eof = false
  /** As net.Socket reports it for a peer without an IP address. */
  readonly remoteAddress: string | undefined = undefined

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const peer = this.peer
    // Delivery on the next tick: a write never re-enters the peer's engine synchronously. Ticks run
    // in order, so bytes, and the end that follows them, keep their order.
    process.nextTick(() => {
      if (peer.destroyed || peer.eof) return cb()
      if (peer.push(chunk)) cb()
      else peer.held = cb
    })
  }

  override _read(): void {
    const cb = this.held
    this.held = undefined
    cb?.()
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.peer.pushEnd()
    cb()
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    // The peer reads what was already written, then sees the end.
    this.peer.pushEnd()
    const held = this.peer.held
    this.peer.held = undefined
    held?.()
    cb(err)
  }

  private pushEnd(): void {
    process.nextTick(() => {
      if (this.eof || this.destroyed) return
      this.eof = true
      this.push(null)
    })
  }

  // net.Socket methods the engine and transports call; meaningless in memory.
  setNoDelay(): this {
    return this
  }
  setKeepAlive(): this {
    return this
  }
}

/** A connected pair of in-memory streams. */
export function inprocPair(): [InprocStream, InprocStream] {
  const a = new InprocStream()
  const b = new InprocStream()
  a.peer = b
  b.peer = a
  return [a, b]
}

type Accept = (sock: NetSocket, l: InprocListener) => void

const bound = new Map<string, InprocListener>()
const waiting = new Map<string, Set<() => void>>()

/** What the instances of a process tell each other: a name bound here, or a question who has one. */
type Notice = { kind: "bound" | "who"; name: string; thread: number }

let channel: BroadcastChannel | undefined
/** Names whose waiting connects were already warned about (until they are bound here or stop waiting). */
const warned = new Set<string>()

/** The channel to the other zmtp instances of this process (opened on first use, never holding the process). */
function notices(): BroadcastChannel {
  if (channel) return channel
  const ch = new BroadcastChannel("zmtp:inproc")
  ch.unref()
  ch.onmessage = (e: unknown) => {
    const n = (e as { data: Notice }).data
    if (n.kind === "who") {
      if (bound.has(n.name)) ch.postMessage({ kind: "bound", name: n.name, thread: threadId } satisfies Notice)
    } else if (waiting.has(n.name) && !bound.has(n.name) && !warned.has(n.name)) {
      warned.add(n.name)
      process.emitWarning(
        `inproc://${n.name} is bound in another thread (threadId ${n.thread}), which this thread's connect to it cannot reach: ` +
          `zmtp's inproc names are per thread. Connect across threads over ipc:// or tcp://.`,
        { code: "ZMTP_INPROC_THREAD" },
      )
    }
  }
  return (channel = ch)
}

/** Name of an inproc endpoint ("inproc://name" -> "name"); throws EINVAL for an empty one. */
export function inprocName(address: string): string {
  const name = address.slice("inproc://".length)
  if (!address.startsWith("inproc://") || name === "") throw zerr("EINVAL", `malformed inproc endpoint ${JSON.stringify(address)}`, address)
  return name
}

/** A bound inproc name; shaped like the tcp/ipc Listener for the socket. */
export class InprocListener {
  readonly connections = new Set<InprocStream>()
  private closed = false

  private constructor(
    readonly address: string,
    private readonly name: string,
    private readonly onConnection: Accept,
  ) {}

  /** The string given to bind() (for unbind(), as the tcp/ipc Listener has it). */
  get given(): string {
    return this.address
  }

  /** Binds a name; EADDRINUSE if another socket holds it (libzmq). */
  static open(address: string, onConnection: Accept): InprocListener {
    const name = inprocName(address)
    if (bound.has(name)) throw zerr("EADDRINUSE", `inproc name ${name} is already bound`, address)
    const l = new InprocListener(address, name, onConnection)
    bound.set(name, l)
    warned.delete(name)
    // Connects waiting in other threads for this name learn that it cannot be theirs.
    notices().postMessage({ kind: "bound", name, thread: threadId } satisfies Notice)
    // Connects made before this bind complete now.
    const w = waiting.get(name)
    if (w) {
      waiting.delete(name)
      for (const f of w) f()
    }
    return l
  }

  /** @internal Accepts a new connection and returns the connecting side's end. */
  accept(): InprocStream | undefined {
    if (this.closed) return undefined
    const [ours, theirs] = inprocPair()
    this.connections.add(ours)
    ours.once("close", () => this.connections.delete(ours))
    this.onConnection(ours as unknown as NetSocket, this)
    return theirs
  }

  /** Releases the name; drops the accepted connections if asked. */
  close(dropConnections: boolean): void {
    if (this.closed) return
    this.closed = true
    if (bound.get(this.name) === this) bound.delete(this.name)
    if (dropConnections) for (const c of this.connections) c.destroy()
  }
}

/** Connects to a bound name now: the connecting end, or undefined if nothing is bound there. */
export function connectInproc(address: string): InprocStream | undefined {
  return bound.get(inprocName(address))?.accept()
}

/** The listener bound at the name now, if any (lets a long-lived client notice a rebind). */
export function inprocBinding(address: string): InprocListener | undefined {
  return bound.get(inprocName(address))
}

/** True if something is bound at the name. */
export function isInprocBound(address: string): boolean {
  return bound.has(inprocName(address))
}

/** Calls `f` once the name is bound; returns a function that cancels the wait. */
function whenBound(name: string, f: () => void): () => void {
  let set = waiting.get(name)
  if (!set) {
    waiting.set(name, (set = new Set()))
    // Is it bound in another thread? An answer comes back as a "bound" notice.
    notices().postMessage({ kind: "who", name, thread: threadId } satisfies Notice)
  }
  set.add(f)
  return () => {
    set.delete(f)
    if (set.size === 0 && waiting.get(name) === set) {
      waiting.delete(name)
      warned.delete(name)
    }
  }
}

/**
 * The connecting side of inproc, a Connecter for the socket: connects at once when the name is
 * bound, otherwise when it gets bound; after a lost connection it tries again after
 * reconnectInterval (or waits for the next bind).
 */
export class InprocConnecter extends Connecter {
  private cancelWait: (() => void) | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private halted = false

  constructor(
    address: string,
    private readonly timingOf: () => ConnecterTiming,
    private readonly hostOf: ConnecterHost,
  ) {
    super({ transport: "ipc", path: "" } as Endpoint, address, timingOf, hostOf)
    inprocName(address)
  }

  override start(): void {
    if (this.halted) return
    const sock = connectInproc(this.address)
    if (sock) return this.hostOf.connected(sock as unknown as NetSocket, this)
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
    }, ivl).unref()
  }

  override stop(): void {
    this.halted = true
    this.cancelWait?.()
    this.cancelWait = undefined
    clearTimeout(this.retryTimer)
    super.stop()
  }
}
