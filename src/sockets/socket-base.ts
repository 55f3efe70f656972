/**
 * The messaging side every socket type shares: the ordered send and receive queues (no EBUSY:
 * concurrent calls wait their turn), fair queuing over pipes, timeouts, async iteration and close.
 * Endpoints, connections, pipes and linger are the peer side, socket-peers.ts, which this class
 * extends. A socket type adds only its state machine through the hooks at the bottom.
 */
import { Buffer } from "node:buffer"
import { blockedError, zerr } from "../errors.js"
import { IO_TURN_WAITS, ioTurn } from "../event-loop.js"
import type { Pipe } from "../pipe/pipe.js"
import { Queue } from "../pipe/queue.js"
import { hold, release } from "../lifetime.js"
import { ownFrames, toFrames, type Message } from "./message.js"
import { PeerSocket } from "./socket-peers.js"

/** A send that dropped a message at a full queue yields a turn of the event loop at most this often (ms). */
const DROP_TURN_MS = 1

export type { SocketStatistics } from "./socket-peers.js"

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

const RESOLVED: Promise<void> = Promise.resolve()

/** State of the send and receive loops: a call made while one runs asks it to go round again. */
const enum Loop {
  Idle,
  Running,
  Again,
}

export abstract class SocketBase extends PeerSocket implements AsyncIterable<Buffer[]> {
  /** Pipes holding inbound messages, in arrival order: fair queuing takes from the head. */
  private readonly readablePipes = new Queue<Pipe>()
  /** The pipe the last message {@link readFair} returned came from. */
  protected readPipe: Pipe | undefined
  private readonly sendQueue = new Queue<PendingSend>()
  private readonly recvQueue = new Queue<PendingRecv>()
  private sendLoop = Loop.Idle
  private recvLoop = Loop.Idle
  private readableWaiters: (() => void)[] = []
  /** True while a send or receive waits: the process stays alive meanwhile, as zeromq.js's poller keeps it. */
  private holding = false
  /**
   * @internal Set while a Proxy runs on this socket: the user's send() and receive() then reject
   * with EBUSY, as zeromq.js's socket blocked by its proxy throws.
   */
  proxied = false

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

  // ---- PipeOwner -----------------------------------------------------------------------------

  /** The peer side took a pipe out of use. */
  protected pipeClosed(p: Pipe): void {
    if (this.readPipe === p) this.readPipe = undefined
    // Nothing is received after close: what the pipe still held goes with it.
    if (this.isClosed) this.discardInbound(p)
  }

  /** PipeOwner: a pipe has inbound messages. */
  override pipeReadable(p: Pipe): void {
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
  override pipeWritable(_p: Pipe): void {
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
    if (this.proxied) return Promise.reject(blockedError())
    return this.sendQueued(message)
  }

  /** @internal send() without the Proxy check: the Proxy's own forwarding. */
  sendQueued(message: Message): Promise<void> {
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
          if (this.droppedAtHwm || this.sendsNeverWait) return this.sendTurn()
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
      this.updateHold()
    })
  }

  /**
   * Set by a type's xsend when it dropped the message for a peer whose queue was full (PUB, XPUB,
   * XSUB, a ROUTER without `mandatory`): that send resolves, as libzmq's does, but a caller that
   * awaits it in a tight loop would never give the event loop the turn in which the full queue
   * drains, and every later message would be dropped too. So a send that dropped resolves after a
   * turn of the event loop in which sockets are read (ioTurn), at most once a millisecond: a peer
   * that never reads costs the sender a turn a millisecond, not one a message.
   */
  protected droppedAtHwm = false
  /**
   * Set by the types whose send never waits (PUB, XPUB, XSUB: RFC 29 "SHALL NOT block on sending"):
   * every send that resolves at once yields as a drop does (a turn at most once a millisecond). Over
   * loopback the kernel takes every write at once until its socket buffers (megabytes) fill, so
   * nothing drops for seconds, and a tight `await send()` loop would starve every timer and every
   * reader in the process meanwhile, where zeromq.js's send yields.
   */
  protected sendsNeverWait = false
  /** When a dropping send last yielded, and when any send last yielded (performance.now()). */
  private lastDropTurn = -Infinity
  private lastTurn = -Infinity
  /** Sends that resolved at once since the clock was last read (it is read on every 32nd). */
  private sendsUnchecked = 0

  /** A send that resolved at once: resolved now, or after a turn of the event loop (see above). */
  private sendTurn(): Promise<void> {
    const dropped = this.droppedAtHwm
    this.droppedAtHwm = false
    if (!dropped) {
      // Reading the clock costs about as much as the rest of a small send: a send that did not
      // drop reads it only every 32nd time (a few microseconds of sending at most).
      if ((++this.sendsUnchecked & 31) !== 0) return RESOLVED
      const now = performance.now()
      if (now - this.lastTurn < DROP_TURN_MS) return RESOLVED
      this.lastTurn = now
      return IO_TURN_WAITS ? ioTurn().then(() => this.turnTaken(false)) : ioTurn()
    }
    // A drop has its own clock: a queue that just filled gets its turn to drain at once, even
    // right after a periodic yield.
    const now = performance.now()
    if (now - this.lastDropTurn < DROP_TURN_MS) return RESOLVED
    this.lastDropTurn = now
    this.lastTurn = now
    return IO_TURN_WAITS ? ioTurn().then(() => this.turnTaken(true)) : ioTurn()
  }

  /**
   * Where the turn itself waits (a timer, under Deno: see IO_TURN_WAITS), the millisecond between
   * turns counts from the turn's end: counted from its start, a turn of 1 to 2.5 ms would be taken on
   * every send, and a sender that keeps dropping would send one message a turn. Elsewhere it counts
   * from the start, so that the I/O the turn ran (other sockets' reads) is part of the millisecond.
   */
  private turnTaken(dropped: boolean): void {
    const now = performance.now()
    this.lastTurn = now
    if (dropped) this.lastDropTurn = now
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
          // This loop runs from I/O callbacks: it cannot starve them.
          this.droppedAtHwm = false
          p.resolve()
        }
      } while ((this.sendLoop as Loop) === Loop.Again && this.sendQueue.length > 0)
    } finally {
      this.sendLoop = Loop.Idle
      this.updateHold()
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
    if (this.proxied) return Promise.reject(blockedError())
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
          this.updateHold()
          reject(zerr("EAGAIN"))
        }, this.receiveTimeout)
      }
      this.recvQueue.push(p)
      this.updateHold()
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
      this.updateHold()
    }
  }

  /** Holds the process while a send or receive is pending, and lets it go once none is (lifetime.ts). */
  private updateHold(): void {
    const busy = this.sendQueue.length > 0 || this.recvQueue.length > 0
    if (busy === this.holding) return
    this.holding = busy
    if (busy) hold()
    else release()
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
        if (this.recvQueue.length === 0 && !this.proxied) {
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
   * Closes the socket. Pending sends and receives reject with EAGAIN, as zeromq.js's do. Messages
   * already queued to connected peers are flushed for up to `linger` ms (-1: until written or the
   * peer is gone; 0: not at all); queues of peers not connected are dropped. Nothing keeps the
   * process alive afterwards. During a bind or unbind the socket closes once that settles, as in
   * zeromq.js (`closed` is false until then).
   */
  close(): void {
    if (this.isClosed || this.deferClose()) return
    this.isClosed = true
    for (const p of this.sendQueue.drain()) {
      clearTimeout(p.timer)
      p.reject(zerr("EAGAIN"))
    }
    for (const p of this.recvQueue.drain()) {
      clearTimeout(p.timer)
      p.reject(zerr("EAGAIN"))
    }
    this.updateHold()
    this.closeEndpoints()
    // Nothing is received after close: what pipes that left earlier still held goes too.
    this.discardInbound()
    this.wakeReadable()
    this.events.emit({ type: "end" })
  }

  // ---- hooks for socket types ----------------------------------------------------------------

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

