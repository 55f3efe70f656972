/**
 * The engine: one per connection. Greeting, then the mechanism's handshake, then traffic between the
 * transport and one pipe; heartbeats (RFC 37); batched writes. It never throws from a transport
 * callback: any fault closes this one connection and is reported to the host once.
 */
import { Buffer } from "node:buffer"
import type { Socket as NetSocket } from "node:net"
import { encodeGreeting, GreetingParser } from "../codec/greeting.js"
import { DEFAULT_MAX_COMMAND_SIZE, FrameDecoder, HANDSHAKE_MAX_COMMAND_SIZE, MAX_MESSAGE_FRAMES, type DecoderLimits, type DecoderSink } from "../codec/frame-decoder.js"
import { decodeCommand, decodeErrorReason, decodePing, encodeCommand, encodePing, encodePong, type Metadata } from "../codec/command.js"
import { isCompatible, type SocketTypeName } from "../codec/socket-types.js"
import { ProtocolError, ZmtpError } from "../errors.js"
import type { Mechanism, MechanismStep } from "../mechanisms/mechanism.js"
import { EncryptingWriter } from "../mechanisms/encrypting-writer.js"
import type { Pipe, PipeEngine } from "../pipe/pipe.js"
import { PackedRun, SubscriptionItem } from "../pipe/out-queue.js"
import { BatchWriter } from "./batch-writer.js"

/** Settings an engine takes from its socket. */
export interface EngineOptions {
  socketType: SocketTypeName
  maxMessageSize: number
  /** ms; 0 disables. */
  handshakeInterval: number
  /** ms; 0 disables PINGs. */
  heartbeatInterval: number
  /** ms; -1 means heartbeatInterval. */
  heartbeatTimeout: number
  /** ms; 0 sends no TTL. */
  heartbeatTimeToLive: number
  /**
   * Sends a ZAP request (RFC 27, frames from the domain on) and calls `reply` later (never from
   * within this call) with the frames after the request id. Returns a function that forgets the
   * request (a reply that still comes is dropped), or undefined when no handler is bound (the
   * mechanism then decides, as libzmq).
   */
  zap?: (request: Buffer[], reply: (frames: Buffer[] | undefined) => void) => (() => void) | undefined
  /**
   * Stop reading from the peer while our output to it is over the write budget (REP: a peer that
   * does not read its replies cannot make us take more requests). Not for socket types that stream
   * both ways: two such peers that each stop reading while blocked would wait on each other forever.
   */
  holdInputWhileOutputBlocked?: boolean
}

/** What the engine reports to its socket. */
export interface EngineHost {
  /**
   * The handshake completed. Returns the pipe to attach, or an error that refuses the peer (the
   * connection is then closed and nothing it sent is delivered).
   */
  engineReady(engine: Engine, peer: Metadata): Pipe | ZmtpError
  /** The connection is gone. `handshaken` tells whether it ever got past the handshake. */
  engineClosed(engine: Engine, error: ZmtpError | undefined, handshaken: boolean): void
}

const enum State {
  Greeting,
  Handshake,
  Traffic,
  Closed,
}

/** Bytes the engine lets the transport buffer before it waits for 'drain'. */
const WRITE_BUDGET = 256 * 1024
const EMPTY = Buffer.alloc(0)
/** ms a lingering close waits for the peer to close its side after ours. */
const END_GRACE = 1000

export class Engine implements DecoderSink, PipeEngine {
  private state = State.Greeting
  private readonly greeting = new GreetingParser()
  private decoder: FrameDecoder | undefined
  /** A BatchWriter, or for an encrypting mechanism (CURVE) one that boxes each frame. */
  private readonly writer: BatchWriter
  /** Decoder limits, kept to lift the handshake's bounds once it is done. */
  private limits: Required<DecoderLimits> | undefined
  /** Forgets the ZAP request that is out, if one is. */
  private forgetZap: (() => void) | undefined
  /** Frames of a message arriving in MESSAGE commands (CURVE), routing prefix first. */
  private codecFrames: Buffer[] = []
  private flushScheduled = false
  private flushing = false
  private finishing = false
  private lingerTimer: NodeJS.Timeout | undefined
  private waitingDrain = false
  /** A PONG owed to the peer (the context of its latest PING): at most one is ever pending (RFC 37). */
  private pendingPong: Buffer | undefined
  /** A heartbeat PING waiting for room in the write budget. */
  private pendingPing = false
  private resumeScheduled = false
  private pipe: Pipe | undefined
  /** Peer's minor version: PINGs go to 3.1 and later peers only (RFC 37). */
  peerMinor = 0
  private handshakeTimer: NodeJS.Timeout | undefined
  private heartbeatTimer: NodeJS.Timeout | undefined
  private heartbeatTimeoutTimer: NodeJS.Timeout | undefined
  private ttlTimer: NodeJS.Timeout | undefined
  private peerTtl = 0
  /** Octets received and sent on this connection. */
  bytesIn = 0
  bytesOut = 0
  /** Resolves waiters of {@link flushed}. */
  private flushWaiters: (() => void)[] = []

  constructor(
    private readonly socket: NetSocket,
    private readonly mechanism: Mechanism,
    private readonly opts: EngineOptions,
    private readonly host: EngineHost,
    /** The endpoint this connection belongs to, for events. */
    readonly address: string,
  ) {
    this.writer = mechanism.codec ? new EncryptingWriter(mechanism.codec) : new BatchWriter()
    socket.on("data", (chunk: Buffer) => this.onData(chunk))
    socket.on("end", () => this.peerEnded())
    // A reset or broken connection is a plain disconnect, as libzmq reports it.
    socket.on("error", () => this.close(undefined))
    socket.on("close", () => this.peerEnded())
    socket.on("drain", () => {
      // Our output moving proves the peer alive too: a lingering close whose peer reads slowly (and
      // so cannot answer a PING stuck behind our data) is not cut by the heartbeat.
      if (this.finishing) this.touchInput()
      this.waitingDrain = false
      this.flush()
      this.updateReading()
    })
    if (opts.handshakeInterval > 0) {
      this.handshakeTimer = setTimeout(
        () => this.close(new ProtocolError("ERR_ZMTP_HANDSHAKE_TIMEOUT", "handshake not completed in time")),
        opts.handshakeInterval,
      )
    }
    // RFC 23: send our whole greeting at once; never wait for the peer's.
    this.write(encodeGreeting({ mechanism: mechanism.name, asServer: mechanism.asServer, major: 3, minor: 1 }))
  }

  /** True once the handshake completed and until the connection closes. */
  get ready(): boolean {
    return this.state === State.Traffic
  }

  /** The pipe this engine serves, once ready. */
  get attachedPipe(): Pipe | undefined {
    return this.pipe
  }

  // ---- input ---------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length
    // Input proves the peer alive even while we finish: a heartbeat must not cut a lingering close.
    this.touchInput()
    if (this.finishing) return
    try {
      if (this.state === State.Greeting) {
        const used = this.greeting.feed(chunk)
        const g = this.greeting.greeting
        if (!g) return
        if (g.mechanism !== this.mechanism.name) {
          throw new ProtocolError("ERR_ZMTP_MECHANISM_MISMATCH", `peer mechanism ${g.mechanism} does not match ${this.mechanism.name}`)
        }
        // Major > 3 speaks at least 3.1 (RFC 37 version negotiation).
        this.peerMinor = g.major > 3 ? 1 : g.minor
        this.state = State.Handshake
        // Until the handshake completes the peer is unauthenticated and may cost one bounded frame:
        // a message frame fails at its header (RFC 23 has only commands before then; libzmq fails it
        // too, once read), and a command is held to the command limit whatever maxMessageSize allows.
        this.limits = {
          maxMessageSize: this.opts.maxMessageSize,
          maxCommandSize: HANDSHAKE_MAX_COMMAND_SIZE,
          acceptMessages: false,
        }
        this.decoder = new FrameDecoder(this, this.limits)
        this.applyStep(this.mechanism.start())
        if (this.state !== State.Handshake) return
        if (used === chunk.length) return
        chunk = chunk.subarray(used)
      }
      if (this.state === State.Closed) return
      const err = this.decoder!.feed(chunk)
      if (err) this.close(err)
      else this.updateReading()
    } catch (e) {
      this.close(e instanceof ZmtpError ? e : new ProtocolError("ERR_ZMTP_FRAME", String(e)))
    }
  }

  /** DecoderSink: a whole message from the peer. */
  message(frames: Buffer[]): boolean {
    if (this.state !== State.Traffic) {
      // A message before the handshake completed is a violation; nothing of it is delivered.
      throw new ProtocolError("ERR_ZMTP_UNEXPECTED_COMMAND", "message received before the handshake completed")
    }
    if (this.mechanism.codec) {
      // Encrypting mechanism (CURVE): each data frame is one MESSAGE box, as libzmq 4.3 sends it.
      let more = true
      for (const f of frames) more = this.codecCommand(f)
      return more
    }
    return this.pipe!.deliver(frames) || this.peerGone
  }

  /** DecoderSink: a command from the peer. */
  command(body: Buffer): void {
    if (this.state === State.Closed) return
    if (this.state === State.Traffic && this.mechanism.codec) {
      // A MESSAGE in a command frame (RFC 26's form). The decoder cannot stop after a command, so a
      // full queue pauses the transport instead; the queue may pass its mark by one chunk's worth.
      if (!this.codecCommand(body)) {
        this.inboundFull = true
        this.updateReading()
      }
      return
    }
    if (this.state === State.Handshake) {
      this.applyStep(this.mechanism.onCommand(this.mechanism.parseCommand?.(body) ?? decodeCommand(body)))
      return
    }
    this.trafficCommand(decodeCommand(body))
  }

  /** A mechanism step: commands to send, a ZAP request, a failure, or the end of the handshake. */
  private applyStep(step: MechanismStep): void {
    this.sendCommands(step.send)
    if (step.fail) {
      // The ERROR command just written must reach the peer before the connection closes.
      this.close(step.fail, true)
      return
    }
    if (step.zap) {
      const forget = this.opts.zap?.(step.zap, (reply) => {
        this.forgetZap = undefined
        if (this.state !== State.Handshake) return
        this.guard(() => this.applyStep(this.mechanism.onZapReply!(reply)))
      })
      // No handler bound: the mechanism decides at once.
      if (!forget) return this.applyStep(this.mechanism.onZapReply!(undefined))
      // RFC 27 sets the handler no deadline; the handshake timer ends the wait. Input is still read
      // meanwhile, so a peer that leaves is noticed at once, and it cannot pile up: a message frame
      // fails at its header, and the mechanism fails on any command it does not expect while it
      // waits (as libzmq's do), so at most one command, within the command limit, is ever held.
      this.forgetZap = forget
      return
    }
    if (step.done) this.handshakeDone(step.done)
  }

  /** Runs `f`, turning a throw into closing this connection (never throw from a callback). */
  private guard(f: () => void): void {
    try {
      f()
    } catch (e) {
      this.close(e instanceof ZmtpError ? e : new ProtocolError("ERR_ZMTP_FRAME", String(e)))
    }
  }

  /**
   * A command after an encrypting handshake: a MESSAGE carrying one frame or one command (RFC 26,
   * libzmq 4.3 also boxes PING and PONG). Whole messages are delivered as the decoder would.
   */
  private codecCommand(body: Buffer): boolean {
    const { frame, more, command } = this.mechanism.codec!.decode(body)
    if (command) {
      if (this.codecFrames.length > 0) throw new ProtocolError("ERR_ZMTP_FRAME", "command inside a multipart message")
      this.trafficCommand(decodeCommand(frame))
      return true
    }
    const max = this.opts.maxMessageSize
    if (max >= 0 && frame.length > max) {
      throw new ProtocolError("ERR_ZMTP_MSGSIZE", `frame of ${frame.length} octets exceeds the limit of ${max}`)
    }
    const frames = this.codecFrames
    if (frames.length >= MAX_MESSAGE_FRAMES) throw new ProtocolError("ERR_ZMTP_MSGSIZE", `message has more than ${MAX_MESSAGE_FRAMES} frames`)
    if (frames.length === 0 && this.pipe!.inboundPrefix) frames.push(this.pipe!.inboundPrefix)
    frames.push(frame)
    if (more) return true
    this.codecFrames = []
    return this.pipe!.deliver(frames)
  }

  private trafficCommand(cmd: { name: string; data: Buffer }): void {
    switch (cmd.name) {
      case "PING": {
        // RFC 37: answer with PONG carrying the PING's context; a TTL bounds our silence tolerance.
        // The PONG waits for the write budget like data; a newer PING replaces its context, so a
        // peer that sends PINGs and never reads costs one pending PONG, not a queue of them.
        const { ttl, context } = decodePing(cmd.data)
        this.pendingPong = context
        this.kick()
        if (ttl > 0) {
          this.peerTtl = ttl * 100
          this.armTtl()
        }
        return
      }
      case "PONG":
        return
      case "ERROR":
        throw new ProtocolError("ERR_ZMTP_PEER_ERROR", `peer sent ERROR: ${decodeErrorReason(cmd.data)}`)
      case "SUBSCRIBE":
      case "CANCEL": {
        // RFC 37 "Subscriptions": a publisher takes them in order with the messages, in the form a
        // 3.0 peer sends them (0x01/0x00 then the topic, as libzmq hands them to an XPUB), from a
        // peer of any version, as libzmq does. Other socket types ignore them, as unknown commands.
        if (this.opts.socketType !== "PUB" && this.opts.socketType !== "XPUB") return
        const m = Buffer.allocUnsafe(1 + cmd.data.length)
        m[0] = cmd.name === "SUBSCRIBE" ? 1 : 0
        cmd.data.copy(m, 1)
        // The decoder cannot stop after a command: a full queue pauses the transport instead.
        if (!this.pipe!.deliver([m])) {
          this.inboundFull = true
          this.updateReading()
        }
        return
      }
      default:
        // Unknown commands are ignored, as libzmq does (RFC 37 allows new commands).
        return
    }
  }

  private handshakeDone(peer: Metadata): void {
    const type = peer.get("socket-type")?.toString("latin1") ?? ""
    if (!isCompatible(this.opts.socketType, type)) {
      throw new ProtocolError("ERR_ZMTP_SOCKET_TYPE", `peer socket type ${JSON.stringify(type)} is not compatible with ${this.opts.socketType}`)
    }
    clearTimeout(this.handshakeTimer)
    this.handshakeTimer = undefined
    const res = this.host.engineReady(this, peer)
    if (res instanceof ZmtpError) throw res
    // A listener of the socket's events may have closed the socket (and this engine) meanwhile.
    if (this.state === State.Closed) return
    this.pipe = res
    res.engine = this
    // With an encrypting mechanism the routing prefix goes in front of the opened frames instead.
    this.decoder!.prefix = this.mechanism.codec ? undefined : res.inboundPrefix
    this.state = State.Traffic
    // The peer is authenticated: its messages are welcome. Boxed frames (CURVE) arrive as commands,
    // so there the command limit becomes the message limit plus the box overhead; otherwise commands
    // may be as large as messages.
    if (this.limits) {
      const max = this.opts.maxMessageSize
      this.limits.acceptMessages = true
      if (this.mechanism.codec) this.limits.maxCommandSize = this.limits.maxMessageSize = max >= 0 ? max + 64 : -1
      else this.limits.maxCommandSize = Math.max(DEFAULT_MAX_COMMAND_SIZE, max)
    }
    this.startHeartbeats()
    if (res.out.length > 0) this.kick()
  }

  /**
   * PipeEngine: the inbound queue has room again. Decoding resumes on the next tick, not inside the
   * read that made room: data flows up only, never back into a receive loop that is running.
   */
  resumeRead(): void {
    if (this.resumeScheduled || this.state === State.Closed || this.finishing) return
    this.resumeScheduled = true
    process.nextTick(() => {
      this.resumeScheduled = false
      if (this.state === State.Closed || !this.decoder) return
      this.inboundFull = false
      try {
        const err = this.decoder.resume()
        if (err) return this.close(err)
        this.updateReading()
      } catch (e) {
        this.close(e instanceof ZmtpError ? e : new ProtocolError("ERR_ZMTP_FRAME", String(e)))
      }
    })
  }

  /** Set when a boxed message filled the inbound queue (CURVE: the decoder itself cannot stop). */
  private inboundFull = false

  /**
   * Reads from the transport only while the inbound queue has room and (if so configured) our
   * output is within its budget.
   */
  private updateReading(): void {
    if (this.state !== State.Traffic || this.finishing) return
    const hold = this.inboundFull || this.decoder?.paused === true || (this.waitingDrain && this.opts.holdInputWhileOutputBlocked === true)
    // Only a change is passed on: this runs for every chunk read.
    if (hold === this.readingHeld) return
    this.readingHeld = hold
    if (hold) this.socket.pause()
    else this.socket.resume()
  }

  /**
   * The peer closed its side. What the decoder still holds (it stopped at the inbound high-water
   * mark) was received and is delivered first, past the high-water mark: it is input we hold
   * already (what was read before reading paused), so this costs nothing more, and the connection
   * closes now rather than once the application reads.
   */
  private peerEnded(): void {
    if (this.state === State.Traffic && this.decoder?.paused === true && !this.finishing) {
      this.peerGone = true
      try {
        const err = this.decoder.resume()
        if (err) return this.close(err)
      } catch (e) {
        return this.close(e instanceof ZmtpError ? e : new ProtocolError("ERR_ZMTP_FRAME", String(e)))
      }
    }
    this.close(undefined)
  }

  /** Set once a lingering close has written everything and ended its side. */
  private ended = false

  /** Set when the peer closed while the decoder held input: all of it is delivered, whatever the HWM. */
  private peerGone = false

  /** True while {@link updateReading} holds the transport paused. */
  private readingHeld = false

  // ---- output --------------------------------------------------------------------------------

  /** PipeEngine: messages wait in the pipe. Writes are gathered until the current tick ends. */
  kick(): void {
    if (this.flushScheduled || this.waitingDrain || this.ended || this.state !== State.Traffic) return
    this.flushScheduled = true
    process.nextTick(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  /** PipeEngine: the pipe is full; write what it holds now rather than at the end of the tick. */
  flushNow(): void {
    if (!this.waitingDrain) this.flush()
  }

  private flush(): void {
    const pipe = this.pipe
    if (this.state !== State.Traffic || !pipe || this.flushing || this.ended) return
    this.flushing = true
    const wasFull = !pipe.writable
    const w = this.writer
    // Nothing else writes to the transport during this loop: its buffered length is read once.
    const room = WRITE_BUDGET - this.socket.writableLength
    // Commands owed to the peer go first, within the same budget as data (RFC 37 PING/PONG).
    if (room > 0) {
      if (this.pendingPong) {
        w.addRaw(this.encodeTrafficCommand(encodePong(this.pendingPong)))
        this.pendingPong = undefined
      }
      if (this.pendingPing) {
        w.addRaw(this.encodeTrafficCommand(encodePing(Math.floor(this.opts.heartbeatTimeToLive / 100))))
        this.pendingPing = false
      }
    }
    for (;;) {
      // Stop at the budget: the transport then holds more than its high-water mark, so 'drain' follows.
      if (w.bytes >= room) {
        this.waitingDrain = true
        break
      }
      const item = pipe.takeOut()
      if (item === undefined) break
      if (item instanceof PackedRun) w.addPacked(item)
      else if (item instanceof SubscriptionItem) this.addSubscription(item)
      else w.addMessage(item)
    }
    if (w.bytes > 0) {
      const segs = w.take()
      if (segs.length === 1) this.write(segs[0]!)
      else {
        this.socket.cork()
        for (const s of segs) this.write(s)
        this.socket.uncork()
      }
    }
    this.flushing = false
    if (this.waitingDrain) this.updateReading()
    if (wasFull && pipe.writable) pipe.drained()
    if (pipe.out.length > 0 || this.pendingPong || this.pendingPing) {
      if (!this.waitingDrain) this.kick()
    } else if (this.flushWaiters.length > 0) {
      // An empty write's callback runs once everything before it has gone to the kernel.
      const waiters = this.flushWaiters
      this.flushWaiters = []
      this.socket.write(EMPTY, () => {
        for (const f of waiters) f()
      })
    }
  }

  private write(buf: Buffer): void {
    this.bytesOut += buf.length
    this.socket.write(buf)
  }

  /**
   * A subscription as libzmq writes it: a SUBSCRIBE or CANCEL command to a ZMTP 3.1 peer (RFC 37
   * "Subscriptions"), a message of 0x01 or 0x00 and the topic to a 3.0 peer (RFC 23 has no such
   * commands). Boxed like any other command or message under CURVE.
   */
  private addSubscription(item: SubscriptionItem): void {
    if (this.peerMinor >= 1) {
      this.writer.addRaw(this.encodeTrafficCommand(encodeCommand(item.subscribe ? "SUBSCRIBE" : "CANCEL", item.topic)))
      return
    }
    const m = Buffer.allocUnsafe(1 + item.topic.length)
    m[0] = item.subscribe ? 1 : 0
    item.topic.copy(m, 1)
    this.writer.addMessage([m])
  }

  /** Handshake commands (a bounded few) and ERROR, written at once. */
  private sendCommands(cmds: Buffer[] | undefined): void {
    if (!cmds) return
    for (const c of cmds) this.write(c)
  }

  /** After an encrypting handshake, commands (PING, PONG) travel boxed too (libzmq 4.3). */
  private encodeTrafficCommand(c: Buffer): Buffer {
    const codec = this.mechanism.codec
    return codec ? codec.encodeCommand(c) : c
  }

  /** Resolves once everything queued in the pipe has been handed to the transport and written out. */
  flushed(): Promise<void> {
    if (this.state !== State.Traffic) return Promise.resolve()
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve)
      this.kick()
    })
  }

  private notifyFlushed(): void {
    const w = this.flushWaiters
    if (w.length === 0) return
    this.flushWaiters = []
    for (const f of w) f()
  }

  // ---- liveness (RFC 37) ---------------------------------------------------------------------

  private startHeartbeats(): void {
    const ivl = this.opts.heartbeatInterval
    // RFC 37: PING is a 3.1 command; a 3.0 peer would not understand it.
    if (ivl <= 0 || this.peerMinor < 1) return
    this.heartbeatTimer = setInterval(() => {
      if (this.state !== State.Traffic) return
      this.pendingPing = true
      this.kick()
      if (!this.heartbeatTimeoutTimer) {
        const timeout = this.opts.heartbeatTimeout >= 0 ? this.opts.heartbeatTimeout : ivl
        this.heartbeatTimeoutTimer = setTimeout(
          () => this.close(new ProtocolError("ERR_ZMTP_HEARTBEAT_TIMEOUT", "no traffic from peer within heartbeatTimeout")),
          timeout,
        )
      }
    }, ivl)
  }

  /** Any input proves the peer alive. */
  private touchInput(): void {
    if (this.heartbeatTimeoutTimer) {
      clearTimeout(this.heartbeatTimeoutTimer)
      this.heartbeatTimeoutTimer = undefined
    }
    if (this.ttlTimer) this.armTtl()
  }

  private armTtl(): void {
    clearTimeout(this.ttlTimer)
    this.ttlTimer = setTimeout(
      () => this.close(new ProtocolError("ERR_ZMTP_HEARTBEAT_TIMEOUT", "peer silent past the TTL it announced")),
      this.peerTtl,
    )
  }

  // ---- teardown ------------------------------------------------------------------------------

  /**
   * Graceful close for a lingering socket: nothing more is delivered, what the pipe holds is written
   * out, then the connection is ended. `lingerMs` > 0 bounds the whole; -1 waits for the writes.
   */
  finish(lingerMs: number): void {
    if (this.state !== State.Traffic) return this.close(undefined)
    this.finishing = true
    // Keep reading (and discarding) so unread input cannot turn our close into a reset.
    this.socket.resume()
    if (lingerMs > 0) this.lingerTimer = setTimeout(() => this.close(undefined), lingerMs)
    void this.flushed().then(() => {
      if (this.state === State.Closed) return
      // Nothing more goes out: no PING may follow our FIN (a write after end fails the socket, and
      // closing it then could reset the connection before the peer read what we sent).
      this.ended = true
      clearInterval(this.heartbeatTimer)
      clearTimeout(this.heartbeatTimeoutTimer)
      this.heartbeatTimeoutTimer = undefined
      this.socket.end()
      // The peer answers our FIN with its own at once; do not wait for a peer that does not.
      clearTimeout(this.lingerTimer)
      this.lingerTimer = setTimeout(() => this.close(undefined), END_GRACE)
    })
  }

  /**
   * Closes the connection at once. Idempotent; the host hears of it once. `graceful` lets what was
   * written (an ERROR command) reach the peer first.
   */
  close(error: ZmtpError | undefined, graceful = false): void {
    if (this.state === State.Closed) return
    const handshaken = this.state === State.Traffic
    this.state = State.Closed
    clearTimeout(this.handshakeTimer)
    clearInterval(this.heartbeatTimer)
    clearTimeout(this.heartbeatTimeoutTimer)
    clearTimeout(this.ttlTimer)
    clearTimeout(this.lingerTimer)
    // A ZAP reply for this handshake would have nothing to apply to.
    this.forgetZap?.()
    if (graceful) {
      const s = this.socket
      s.end(() => s.destroy())
      // A peer that never reads must not keep the half-closed connection alive.
      setTimeout(() => s.destroy(), 1000).unref()
    } else this.socket.destroy()
    if (this.pipe && this.pipe.engine === this) this.pipe.engine = undefined
    this.notifyFlushed()
    this.host.engineClosed(this, error, handshaken)
  }
}
