/**
 * The ZWS 2.0 engine (RFC 45): one per WebSocket connection. The counterpart of engine.ts for a
 * transport that carries whole messages: no greeting (the subprotocol chose the mechanism), one
 * WebSocket message per frame with a flag octet, and either a mechanism's handshake (RFC 23/24/26
 * commands) or, for the bare "ZWS2.0" subprotocol, a routing id message first (RFC 45 "No
 * Mechanism"). It shares the mechanisms, the command codec and the pipe with the stream engine.
 *
 * It sees the connection only through {@link MessageTransport} and uses no Node built-in but
 * Buffer, so a browser build can run it on the global WebSocket.
 */
import { Buffer } from "node:buffer"
import { decodeCommand, decodeErrorReason, decodePing, encodePing, encodePong, type Metadata } from "../codec/command.js"
import { HANDSHAKE_MAX_COMMAND_SIZE, MAX_MESSAGE_FRAMES } from "../codec/frame-decoder.js"
import { isCompatible } from "../codec/socket-types.js"
import { decodeZwsFrame, encodeZwsFrame, zmtpFrames, ZWS_COMMAND, ZWS_FINAL, ZWS_MORE } from "../codec/zws.js"
import { ProtocolError, ZmtpError } from "../errors.js"
import { AuthError, type Mechanism, type MechanismStep } from "../mechanisms/mechanism.js"
import { noZapHandler, readZapReply, zapRequest, type ZapContext } from "../mechanisms/zap.js"
import type { Pipe, PipeEngine } from "../pipe/pipe.js"
import { PackedRun, SubscriptionItem } from "../pipe/out-queue.js"
import type { EngineOptions } from "./engine.js"
import type { MessageTransport } from "./message-transport.js"

/** What the engine reports to its socket (the stream engine's EngineHost, for this engine). */
export interface ZwsEngineHost {
  engineReady(engine: ZwsEngine, peer: Metadata): Pipe | ZmtpError
  engineClosed(engine: ZwsEngine, error: ZmtpError | undefined, handshaken: boolean): void
}

const enum State {
  Handshake,
  Traffic,
  Closed,
}

type Timer = ReturnType<typeof setTimeout>

/** Octets the engine lets the transport buffer before it waits for the transport to drain. */
const WRITE_BUDGET = 256 * 1024
/** ms a lingering close waits for the peer's closing handshake after ours. */
const END_GRACE = 1000
/** Octets a CURVE MESSAGE adds to the frame it boxes (name 8, nonce 8, MAC 16, flags 1), rounded up. */
const BOX_OVERHEAD = 64

/** Protocol timers never hold a Node process (lifetime.ts); browsers have no unref. */
function unref(t: Timer): Timer {
  ;(t as { unref?: () => void }).unref?.()
  return t
}

export class ZwsEngine implements PipeEngine {
  private state = State.Handshake
  private pipe: Pipe | undefined
  /** Frames of the message being received (routing prefix first). */
  private frames: Buffer[] = []
  private forgetZap: (() => void) | undefined
  private handshakeTimer: Timer | undefined
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined
  private heartbeatTimeoutTimer: Timer | undefined
  private ttlTimer: Timer | undefined
  private lingerTimer: Timer | undefined
  private peerTtl = 0
  private pendingPong: Buffer | undefined
  private pendingPing = false
  private flushScheduled = false
  private flushing = false
  private waitingDrain = false
  private finishing = false
  private ended = false
  private resumeScheduled = false
  /** The inbound queue reached its high-water mark: the transport is paused until it has room. */
  private inboundFull = false
  private readingHeld = false
  private flushWaiters: (() => void)[] = []
  /** Octets received and sent on this connection (WebSocket payloads). */
  bytesIn = 0
  bytesOut = 0
  /**
   * A NULL client waits for the server's first frame before it sends READY: jszmq 0.1.2 answers
   * "ZWS2.0/NULL" (the first protocol offered, as `ws` picks by default) yet speaks bare "ZWS2.0".
   * Its routing id message (a data frame where READY would be a command) then tells us so, and we
   * answer in that form. A server (ours, libzmq's) sends READY at once, so nothing waits for long.
   */
  private sniffing = false
  /** True once the connection runs bare "ZWS2.0", announced or found by {@link sniffing}. */
  private bare = false
  /** The peer answered a PING of ours (RFC 37 PONG): it heartbeats with ZMTP commands. */
  private pongSeen = false

  /** SUB and XSUB on a transport that cannot push back drop at the HWM rather than pause it. */
  private get dropsAtHwm(): boolean {
    return this.transport.cannotPushBack === true && (this.opts.socketType === "SUB" || this.opts.socketType === "XSUB")
  }
  /**
   * Messages that came while the ZAP handler decides on a bare peer, with their binary flag; read
   * once it accepted. The transport is paused meanwhile, so these are at most one read's worth.
   */
  private zapHeld: [Buffer, boolean][] | undefined

  constructor(
    private readonly transport: MessageTransport,
    /** The mechanism the subprotocol selected, or undefined for bare "ZWS2.0". */
    private readonly mechanism: Mechanism | undefined,
    private readonly opts: EngineOptions,
    private readonly host: ZwsEngineHost,
    /** The endpoint this connection belongs to, for events. */
    readonly address: string,
    /** Our routing id, sent first under bare "ZWS2.0" (RFC 45 "No Mechanism"). */
    private readonly identity: Buffer,
    /**
     * The connection as a ZAP request describes it, for bare "ZWS2.0": with a ZAP domain set the
     * peer is put to ZAP as a NULL peer is ({@link bareZap}). Left out, bare peers never ask.
     */
    private readonly zap?: ZapContext,
  ) {}

  /** Starts the handshake. Separate from the constructor: it may close the connection at once. */
  start(): void {
    const { transport, mechanism, opts, identity } = this
    // Before the handshake completes the peer is unauthenticated: one message of at most the
    // command limit (DESIGN "Budgets"), refused by the transport from its header.
    transport.setMaxPayload?.(HANDSHAKE_MAX_COMMAND_SIZE + 1)
    if (opts.handshakeInterval > 0) {
      this.handshakeTimer = unref(
        setTimeout(() => this.close(new ProtocolError("ERR_ZMTP_HANDSHAKE_TIMEOUT", "handshake not completed in time")), opts.handshakeInterval),
      )
    }
    transport.setHandlers({
      message: (data, binary) => this.onMessage(data, binary),
      close: (e) => this.close(e),
      alive: () => this.touchInput(),
    })
    if (this.state !== State.Handshake) return
    this.bare = mechanism === undefined
    if (mechanism && mechanism.name === "NULL" && transport.client && transport.protocol === "ZWS2.0/NULL") this.sniffing = true
    else if (mechanism) this.guard(() => this.applyStep(mechanism.start()))
    // RFC 45 "No Mechanism": "the first message of each side of the connection must be the
    // Routing Id"; sent at once, without waiting for the peer's (as ZMTP/2, RFC 15).
    else this.send(encodeZwsFrame(identity, ZWS_FINAL))
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

  private onMessage(data: Buffer, binary: boolean): void {
    if (this.state === State.Closed) return
    if (this.zapHeld) return void this.zapHeld.push([data, binary])
    this.bytesIn += data.length
    this.touchInput()
    if (this.finishing) return
    this.guard(() => {
      // RFC 45 "Implementation": "ZWS message are binary websocket messages (the message opcode
      // must be binary)".
      if (!binary) throw new ProtocolError("ERR_ZMTP_FRAME", "text WebSocket message (ZWS messages are binary)")
      const f = decodeZwsFrame(data)
      if (this.state === State.Handshake) return this.handshakeFrame(f.body, f.more, f.command)
      if (this.mechanism?.codec) {
        // CURVE traffic: every frame travels boxed in a MESSAGE, as a data frame (libzmq's form,
        // its encoder sees the boxed message as a plain one) or a command frame (RFC 26's).
        if (f.more) throw new ProtocolError("ERR_ZMTP_FRAME", "MORE flag on a CURVE MESSAGE frame")
        return this.codecFrame(f.body)
      }
      if (f.command) {
        // RFC 23: commands come between messages, never inside one.
        if (this.frames.length > 0) throw new ProtocolError("ERR_ZMTP_FRAME", "command inside a multipart message")
        return this.trafficCommand(decodeCommand(f.body))
      }
      this.messageFrame(f.body, f.more)
    })
  }

  private handshakeFrame(body: Buffer, more: boolean, command: boolean): void {
    const m = this.mechanism
    if (this.sniffing) {
      this.sniffing = false
      if (command) this.applyStep(m!.start())
      else {
        this.bare = true
        this.send(encodeZwsFrame(this.identity, ZWS_FINAL))
      }
      if (this.state !== State.Handshake) return
    }
    if (this.bare) {
      // RFC 45 "No Mechanism" BNF: identity = message-last. No socket type is announced, so none is
      // checked (libzmq's ws engine checks none either).
      if (command || more) throw new ProtocolError("ERR_ZMTP_UNEXPECTED_COMMAND", "first ZWS2.0 message must be a single-frame routing id")
      if (body.length > 255) throw new ProtocolError("ERR_ZMTP_INVALID_METADATA", `routing id of ${body.length} octets (at most 255)`)
      const peer: Metadata = new Map([["identity", Buffer.from(body)]])
      if (this.zap && this.zap.domain !== "") return this.bareZap(peer, this.zap)
      return this.handshakeDone(peer, false)
    }
    // RFC 45 "Mechanisms" BNF: handshake = 1*command; a message before it is done is a violation.
    if (!command) throw new ProtocolError("ERR_ZMTP_UNEXPECTED_COMMAND", "message received before the handshake completed")
    if (this.forgetZap) throw new ProtocolError("ERR_ZMTP_UNEXPECTED_COMMAND", "command while the ZAP handler decides")
    this.applyStep(m!.onCommand(m!.parseCommand?.(body) ?? decodeCommand(body)))
  }

  /**
   * A bare "ZWS2.0" peer on a socket with a ZAP domain (review of issue 19, finding 4). RFC 45's no
   * mechanism form has no handshake to refuse a peer in, and libzmq 4.3.5 lets such a peer in without
   * asking ZAP, while it asks for a ZWS2.0/NULL one: a handler that filters by address would be
   * bypassed by offering "ZWS2.0". Where libzmq and the RFCs are silent we take the side that lets
   * no unauthenticated peer in: the peer is put to ZAP exactly as NULL is (RFC 27, mechanism "NULL",
   * no credentials; the NULL rules of null.ts: asked only with a domain, accepted with no handler
   * unless zapEnforceDomain). There is no ERROR command in this form: a refusal closes the connection.
   */
  private bareZap(peer: Metadata, ctx: ZapContext): void {
    // What the peer sends on meanwhile waits, unread: the transport stops reading. RFC 45 lets the
    // peer send messages right after its routing id, so one already in the read is held, not refused
    // for its size; the pause bounds what is held to what the transport had read.
    this.zapHeld = []
    this.transport.pause()
    this.raiseMaxPayload()
    const decide = (reply: Buffer[] | undefined) => {
      this.forgetZap = undefined
      if (this.state !== State.Handshake) return
      this.guard(() => {
        if (!reply && ctx.enforceDomain) throw noZapHandler("NULL")
        const v = reply ? readZapReply(reply) : undefined
        if (v && v.status !== 200) throw new AuthError(v.status, `ZAP handler refused the peer: ${v.status} ${v.text}`)
        const held = this.zapHeld!
        this.zapHeld = undefined
        this.handshakeDone(peer, false)
        // Resumed before the held messages are read, so that a high-water mark they reach pauses it again.
        this.transport.resume()
        for (const [d, b] of held) {
          if (this.state === State.Closed) return
          this.onMessage(d, b)
        }
      })
    }
    const forget = this.opts.zap?.(zapRequest(ctx, "NULL", []), decide)
    if (!forget) return decide(undefined)
    this.forgetZap = forget
  }

  /** A mechanism step: commands to send, a ZAP request, a failure, or the end of the handshake. */
  private applyStep(step: MechanismStep): void {
    this.sendCommands(step.send)
    if (step.fail) return this.close(step.fail, true)
    if (step.zap) {
      const forget = this.opts.zap?.(step.zap, (reply) => {
        this.forgetZap = undefined
        if (this.state !== State.Handshake) return
        this.guard(() => this.applyStep(this.mechanism!.onZapReply!(reply)))
      })
      if (!forget) return this.applyStep(this.mechanism!.onZapReply!(undefined))
      this.forgetZap = forget
      return
    }
    if (step.done) this.handshakeDone(step.done, true)
  }

  private handshakeDone(peer: Metadata, checkType: boolean): void {
    if (checkType) {
      const type = peer.get("socket-type")?.toString("latin1") ?? ""
      // RFC 45 "Socket Compatibility": the same table as RFC 23's.
      if (!isCompatible(this.opts.socketType, type)) {
        throw new ProtocolError("ERR_ZMTP_SOCKET_TYPE", `peer socket type ${JSON.stringify(type)} is not compatible with ${this.opts.socketType}`)
      }
    }
    clearTimeout(this.handshakeTimer)
    this.handshakeTimer = undefined
    const res = this.host.engineReady(this, peer)
    if (res instanceof ZmtpError) throw res
    if (this.state === State.Closed) return
    this.pipe = res
    res.engine = this
    this.state = State.Traffic
    // The peer is authenticated: messages up to maxMessageSize are welcome (boxed ones a little
    // larger), each refused from its header when larger. Commands are held to the same limit: RFC 45
    // subscriptions are messages, and PING, PONG and ERROR are small.
    this.raiseMaxPayload()
    this.startHeartbeats()
    if (res.out.length > 0) this.kick()
  }

  /** The limit of an authenticated peer's messages (see handshakeDone). */
  private raiseMaxPayload(): void {
    const max = this.opts.maxMessageSize
    this.transport.setMaxPayload?.(max >= 0 ? 1 + max + (this.mechanism?.codec ? BOX_OVERHEAD : 0) : 0)
  }

  private messageFrame(body: Buffer, more: boolean): void {
    const max = this.opts.maxMessageSize
    if (max >= 0 && body.length > max) throw new ProtocolError("ERR_ZMTP_MSGSIZE", `frame of ${body.length} octets exceeds the limit of ${max}`)
    const frames = this.frames
    if (frames.length >= MAX_MESSAGE_FRAMES) throw new ProtocolError("ERR_ZMTP_MSGSIZE", `message has more than ${MAX_MESSAGE_FRAMES} frames`)
    if (frames.length === 0 && this.pipe!.inboundPrefix) frames.push(this.pipe!.inboundPrefix)
    frames.push(body)
    if (more) return
    this.frames = []
    this.deliver(frames)
  }

  /** A boxed frame (CURVE MESSAGE): opened, then a frame of a message or a command. */
  private codecFrame(body: Buffer): void {
    const { frame, more, command } = this.mechanism!.codec!.decode(body)
    if (command) {
      if (this.frames.length > 0) throw new ProtocolError("ERR_ZMTP_FRAME", "command inside a multipart message")
      return this.trafficCommand(decodeCommand(frame))
    }
    this.messageFrame(frame, more)
  }

  /**
   * Hands a whole message to the pipe. At the high-water mark the transport pauses; a few messages
   * it had already read may still arrive and are queued past the mark (one network read's worth).
   */
  private deliver(frames: Buffer[]): void {
    // A transport that cannot push back (browser WebSocket) is not paused for a SUB or XSUB: it
    // drops at the high-water mark, as its PUB would under TCP back-pressure (RFC 29; libzmq's PUB
    // drops at its HWM), and keeps its connection.
    if (this.inboundFull && this.dropsAtHwm) return
    if (!this.pipe!.deliver(frames)) {
      this.inboundFull = true
      this.updateReading()
    }
  }

  private trafficCommand(cmd: { name: string; data: Buffer }): void {
    switch (cmd.name) {
      case "PING": {
        // RFC 37, from a peer that heartbeats with ZMTP commands rather than WebSocket pings.
        const { ttl, context } = decodePing(cmd.data)
        this.pendingPong = context
        this.kick()
        if (ttl > 0) {
          this.peerTtl = ttl * 100
          this.armTtl()
        }
        return
      }
      case "ERROR":
        throw new ProtocolError("ERR_ZMTP_PEER_ERROR", `peer sent ERROR: ${decodeErrorReason(cmd.data)}`)
      case "SUBSCRIBE":
      case "CANCEL": {
        // RFC 45 has subscriptions as messages; a peer sending RFC 37's commands is understood too.
        if (this.opts.socketType !== "PUB" && this.opts.socketType !== "XPUB") return
        const m = Buffer.allocUnsafe(1 + cmd.data.length)
        m[0] = cmd.name === "SUBSCRIBE" ? 1 : 0
        cmd.data.copy(m, 1)
        return this.deliver([m])
      }
      default:
        // Unknown commands are ignored, as libzmq does; a PONG proves the peer answers PING.
        if (cmd.name === "PONG") this.pongSeen = true
        return
    }
  }

  /** Runs `f`, turning a throw into closing this connection (never throw from a transport callback). */
  private guard(f: () => void): void {
    try {
      f()
    } catch (e) {
      this.close(e instanceof ZmtpError ? e : new ProtocolError("ERR_ZMTP_FRAME", String(e)))
    }
  }

  /** PipeEngine: the inbound queue has room again; reading resumes in a later microtask, not inside the read. */
  resumeRead(): void {
    if (this.resumeScheduled || this.state === State.Closed || this.finishing) return
    this.resumeScheduled = true
    queueMicrotask(() => {
      this.resumeScheduled = false
      if (this.state === State.Closed) return
      this.inboundFull = false
      this.updateReading()
    })
  }

  /** Reads while the inbound queue has room and (REP) our output is within its budget. */
  private updateReading(): void {
    if (this.state !== State.Traffic || this.finishing) return
    const hold = (this.inboundFull && !this.dropsAtHwm) || (this.waitingDrain && this.opts.holdInputWhileOutputBlocked === true)
    if (hold === this.readingHeld) return
    this.readingHeld = hold
    if (hold) this.transport.pause()
    else this.transport.resume()
  }

  // ---- output --------------------------------------------------------------------------------

  /**
   * PipeEngine: messages wait in the pipe; they are written at the end of this tick, as the stream
   * engine's are. A microtask would run between two awaited send()s of one loop and write one
   * message per flush (bench/ws.mjs: a WebSocket write per message); process.nextTick runs once the
   * microtasks have drained, so a loop's sends go out together (the browser build's process.nextTick
   * is a microtask, src/browser/globals.ts).
   */
  kick(): void {
    if (this.flushScheduled || this.waitingDrain || this.ended || this.state !== State.Traffic) return
    this.flushScheduled = true
    process.nextTick(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  /** PipeEngine: the pipe is full; write what it holds now. */
  flushNow(): void {
    if (!this.waitingDrain) this.flush()
  }

  private flush(): void {
    const pipe = this.pipe
    if (this.state !== State.Traffic || !pipe || this.flushing || this.ended) return
    this.flushing = true
    const wasFull = !pipe.writable
    const start = this.bytesOut
    // The transport's buffered amount is read once: only this loop writes meanwhile.
    const room = WRITE_BUDGET - this.transport.bufferedAmount
    if (room > 0) {
      if (this.pendingPong) {
        this.sendTrafficCommand(encodePong(this.pendingPong))
        this.pendingPong = undefined
      }
      if (this.pendingPing) {
        this.sendTrafficCommand(encodePing(Math.floor(this.opts.heartbeatTimeToLive / 100)))
        this.pendingPing = false
      }
    }
    for (;;) {
      if (this.bytesOut - start >= room) {
        this.waitingDrain = true
        break
      }
      const item = pipe.takeOut()
      if (item === undefined) break
      if (item instanceof PackedRun) for (const m of item.messages()) this.sendMessage(m)
      else if (item instanceof SubscriptionItem) this.sendSubscription(item)
      else this.sendMessage(item)
    }
    this.flushing = false
    if (this.waitingDrain) {
      this.updateReading()
      // Woken once the transport has handed everything to the OS: a peer that never reads keeps
      // us here, holding at most the budget (and what the kernel buffers).
      this.transport.onDrained(() => {
        if (this.state !== State.Traffic) return
        if (this.finishing) this.touchInput()
        this.waitingDrain = false
        this.flush()
        this.updateReading()
      })
    }
    if (wasFull && pipe.writable) pipe.drained()
    if (pipe.out.length > 0 || this.pendingPong || this.pendingPing) {
      if (!this.waitingDrain) this.kick()
    } else if (this.flushWaiters.length > 0) {
      const waiters = this.flushWaiters
      this.flushWaiters = []
      this.transport.onDrained(() => {
        for (const f of waiters) f()
      })
    }
  }

  private send(data: Buffer): void {
    this.bytesOut += data.length
    this.transport.send(data)
  }

  /** RFC 45 "Framing": one WebSocket message per frame; CURVE boxes each frame (as libzmq, a data frame). */
  private sendMessage(frames: readonly Buffer[]): void {
    const codec = this.mechanism?.codec
    if (codec) {
      for (const f of zmtpFrames(codec.encodeMessage(frames))) this.send(encodeZwsFrame(f.body, f.command ? ZWS_COMMAND : ZWS_FINAL))
      return
    }
    const last = frames.length - 1
    for (let i = 0; i <= last; i++) this.send(encodeZwsFrame(frames[i]!, i < last ? ZWS_MORE : ZWS_FINAL))
  }

  /**
   * RFC 45 "Publish-Subscribe": "A SUB socket sends a subscription message as 0x01 byte followed by
   * the subscription body, and unsubscription messages as 0x00 byte" (libzmq's ws encoder too).
   */
  private sendSubscription(item: SubscriptionItem): void {
    const m = Buffer.allocUnsafe(1 + item.topic.length)
    m[0] = item.subscribe ? 1 : 0
    item.topic.copy(m, 1)
    this.sendMessage([m])
  }

  /** Whole ZMTP command frames from a mechanism, re-framed for ZWS. */
  private sendCommands(cmds: Buffer[] | undefined): void {
    if (!cmds) return
    for (const c of cmds) for (const f of zmtpFrames(c)) this.send(encodeZwsFrame(f.body, ZWS_COMMAND))
  }

  /** PING, PONG after the handshake: boxed under CURVE (libzmq 4.3), plain otherwise. */
  private sendTrafficCommand(c: Buffer): void {
    const codec = this.mechanism?.codec
    if (!codec) return this.sendCommands([c])
    for (const f of zmtpFrames(codec.encodeCommand(c))) this.send(encodeZwsFrame(f.body, f.command ? ZWS_COMMAND : ZWS_FINAL))
  }

  /** Resolves once everything queued in the pipe has been handed to the transport and sent. */
  flushed(): Promise<void> {
    if (this.state !== State.Traffic) return Promise.resolve()
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve)
      if (this.waitingDrain) return
      this.kick()
      // kick() does nothing when nothing is queued: check now whether all is sent.
      if (!this.flushScheduled) this.flush()
    })
  }

  // ---- liveness ------------------------------------------------------------------------------

  private startHeartbeats(): void {
    const ivl = this.opts.heartbeatInterval
    if (ivl <= 0) return
    this.heartbeatTimer = setInterval(() => {
      if (this.state !== State.Traffic || this.ended) return
      // libzmq's ws engine heartbeats with WebSocket ping (its peer's pong proves it alive); a
      // transport without pings (a browser's WebSocket) sends RFC 37 PING commands instead.
      if (this.transport.ping) this.transport.ping()
      else {
        this.pendingPing = true
        this.kick()
      }
      // libzmq's ws engine (4.3.5) never answers a PING command: over bare "ZWS2.0" (what a page
      // and libzmq agree on) the timeout applies once the peer has answered one; any traffic
      // still resets it. zmtp's own subprotocols ("ZWS2.0+NULL" ...) are zmtp's, which answers.
      const answers = this.transport.ping !== undefined || !this.bare || this.pongSeen
      if (answers && !this.heartbeatTimeoutTimer) {
        const timeout = this.opts.heartbeatTimeout >= 0 ? this.opts.heartbeatTimeout : ivl
        this.heartbeatTimeoutTimer = unref(
          setTimeout(() => this.close(new ProtocolError("ERR_ZMTP_HEARTBEAT_TIMEOUT", "no traffic from peer within heartbeatTimeout")), timeout),
        )
      }
    }, ivl)
    unref(this.heartbeatTimer as Timer)
  }

  private touchInput(): void {
    if (this.heartbeatTimeoutTimer) {
      clearTimeout(this.heartbeatTimeoutTimer)
      this.heartbeatTimeoutTimer = undefined
    }
    if (this.ttlTimer) this.armTtl()
  }

  private armTtl(): void {
    clearTimeout(this.ttlTimer)
    this.ttlTimer = unref(setTimeout(() => this.close(new ProtocolError("ERR_ZMTP_HEARTBEAT_TIMEOUT", "peer silent past the TTL it announced")), this.peerTtl))
  }

  // ---- teardown ------------------------------------------------------------------------------

  /** Graceful close for a lingering socket: what the pipe holds is sent, then the closing handshake. */
  finish(lingerMs: number): void {
    if (this.state !== State.Traffic) return this.close(undefined)
    this.finishing = true
    // Keep reading (and discarding), so that the peer's closing handshake is seen.
    this.transport.resume()
    if (lingerMs > 0) this.lingerTimer = unref(setTimeout(() => this.close(undefined), lingerMs))
    void this.flushed().then(() => {
      if (this.state === State.Closed) return
      this.ended = true
      clearInterval(this.heartbeatTimer)
      clearTimeout(this.heartbeatTimeoutTimer)
      this.heartbeatTimeoutTimer = undefined
      // RFC 6455 7.4.1: 1000, normal closure. The peer answers with its own Close.
      this.transport.close(1000)
      clearTimeout(this.lingerTimer)
      this.lingerTimer = unref(setTimeout(() => this.close(undefined), END_GRACE))
    })
  }

  /** Closes the connection at once; idempotent. `graceful` lets an ERROR just sent reach the peer. */
  close(error: ZmtpError | undefined, graceful = false): void {
    if (this.state === State.Closed) return
    const handshaken = this.state === State.Traffic
    this.state = State.Closed
    clearTimeout(this.handshakeTimer)
    clearInterval(this.heartbeatTimer)
    clearTimeout(this.heartbeatTimeoutTimer)
    clearTimeout(this.ttlTimer)
    clearTimeout(this.lingerTimer)
    this.forgetZap?.()
    if (graceful) {
      // RFC 6455 7.4.1: 1002, protocol error; the Close frame follows the ERROR command.
      this.transport.close(1002)
      const t = this.transport
      unref(setTimeout(() => t.terminate(), END_GRACE))
    } else if (error) {
      // A violation: the peer gets a Close with 1002 (or 1009 for a message too big) where the
      // transport can still send one; then the connection is dropped.
      this.transport.close(error.code === "ERR_ZMTP_MSGSIZE" ? 1009 : 1002)
      const t = this.transport
      unref(setTimeout(() => t.terminate(), END_GRACE))
    } else this.transport.terminate()
    if (this.pipe && this.pipe.engine === this) this.pipe.engine = undefined
    const w = this.flushWaiters
    this.flushWaiters = []
    for (const f of w) f()
    this.host.engineClosed(this, error, handshaken)
  }
}
