/**
 * The CURVE mechanism (RFC 25 ZMTP-CURVE over RFC 26 CurveZMQ), as libzmq 4.3 speaks it.
 *
 * Handshake: C:HELLO, S:WELCOME (carrying a cookie), C:INITIATE (cookie, vouch, metadata), S:READY
 * (or ERROR). Long-term keys: C/c (client), S/s (server); short-term keys C'/c', S'/s' are made per
 * connection and die with it. After the handshake every frame travels in a MESSAGE boxed with the
 * short-term keys; PING and PONG too (libzmq 4.3 sets the command flag inside the box). As libzmq
 * 4.3 does, a MESSAGE is written as a single-part data frame; one in a command frame is read too.
 *
 * Short nonces are 8-octet network-order counters, one per direction, shared by the handshake
 * commands and the messages that follow (libzmq starts at 1). A received short nonce must be larger
 * than the last one (RFC 26: "SHALL disconnect clients that reuse a short nonce"), so a replayed or
 * reordered command closes the connection. Pure: crypto state lives in this object only.
 */
import { Buffer } from "node:buffer"
import { decodeMetadata, encodeCommand, encodeMetadata, type Command, type Metadata } from "../codec/command.js"
import { FLAG_LONG, headerSize, writeHeader } from "../codec/frame-encoder.js"
import { ProtocolError, type ZmtpErrorCode } from "../errors.js"
import { boxKey, BoxError, nonce, open, random, rawKeyPair, seal } from "./curve-keys.js"
import type { Mechanism, MechanismStep, TrafficCodec } from "./mechanism.js"
import { peerError, violation } from "./mechanism.js"
import { errorReason } from "./plain.js"
import { noZapHandler, readZapReply, refuse, zapRequest, type ZapContext } from "./zap.js"
import { x25519 } from "@noble/curves/ed25519"

type Props = ReadonlyArray<readonly [string, Buffer | string]>

/** zeromq.js codes for libzmq's ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC and _INVALID_SEQUENCE. */
const ERR_CRYPTO: ZmtpErrorCode = "ERR_ZMTP_CRYPTOGRAPHIC"
const ERR_SEQUENCE: ZmtpErrorCode = "ERR_ZMTP_INVALID_SEQUENCE"

/** RFC 26 sizes, command name included (libzmq checks them exactly). */
const HELLO_SIZE = 200
const WELCOME_SIZE = 168
const INITIATE_MIN = 257
const READY_MIN = 30
const MESSAGE_MIN = 33

const MESSAGE_NAME = Buffer.from("\x07MESSAGE", "latin1")

function cryptoError(what: string): ProtocolError {
  return new ProtocolError(ERR_CRYPTO, `CURVE ${what} did not open`)
}

function opened(key: Uint8Array, n: Uint8Array, boxed: Uint8Array, what: string): Buffer {
  try {
    const p = open(key, n, boxed)
    return Buffer.from(p.buffer, p.byteOffset, p.length)
  } catch (e) {
    if (e instanceof BoxError) throw cryptoError(what)
    throw e
  }
}

function shortNonce(v: bigint): Buffer {
  const b = Buffer.allocUnsafe(8)
  b.writeBigUInt64BE(v)
  return b
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!
  return d === 0
}

/** Nonce bookkeeping and the MESSAGE codec shared by both sides. */
abstract class CurveBase implements TrafficCodec {
  readonly name = "CURVE"
  abstract readonly asServer: boolean
  /** Our next short nonce. */
  private ourNonce = 1n
  /** The peer's last short nonce. */
  private peerNonce = 0n
  /** Box key between the short-term keys (crypto_box_beforenm of C'/s' or S'/c'). */
  protected trafficKey: Uint8Array | undefined
  /** The codec: this object itself; the engine uses it only once the handshake is done. */
  readonly codec: TrafficCodec = this

  protected abstract readonly sendPrefix: string
  protected abstract readonly recvPrefix: string

  protected nextNonce(): Buffer {
    return shortNonce(this.ourNonce++)
  }

  /** Checks that a received short nonce is fresh and records it. */
  protected takePeerNonce(b: Buffer): void {
    const n = b.readBigUInt64BE(0)
    if (n <= this.peerNonce) throw new ProtocolError(ERR_SEQUENCE, `CURVE short nonce ${n} not above ${this.peerNonce}: replayed or reordered`)
    this.peerNonce = n
  }

  /** One frame (or command body) boxed into a whole MESSAGE command frame. */
  private boxFrame(body: Buffer, flags: number): Buffer {
    const n = this.nextNonce()
    const plain = Buffer.allocUnsafe(1 + body.length)
    plain[0] = flags
    body.copy(plain, 1)
    const box = seal(this.trafficKey!, nonce(this.sendPrefix, n), plain)
    const size = 16 + box.length
    const out = Buffer.allocUnsafe(headerSize(size) + size)
    // libzmq 4.3 sends each MESSAGE as a single-part data frame (its encoder sees a plain message
    // once the mechanism has boxed it), and treats a MESSAGE in a command frame as a command after
    // opening it. So MESSAGE goes out as a data frame; both forms are read.
    let o = writeHeader(out, 0, size, 0)
    o += MESSAGE_NAME.copy(out, o)
    o += n.copy(out, o)
    out.set(box, o)
    return out
  }

  encodeMessage(frames: readonly Buffer[]): Buffer {
    const last = frames.length - 1
    if (last === 0) return this.boxFrame(frames[0]!, 0)
    const parts = new Array<Buffer>(frames.length)
    for (let i = 0; i <= last; i++) parts[i] = this.boxFrame(frames[i]!, i < last ? 0x01 : 0)
    return Buffer.concat(parts)
  }

  encodeCommand(frame: Buffer): Buffer {
    // The frame is a whole command frame: strip its header, box the body with the command flag.
    return this.boxFrame(frame.subarray(frame[0]! & FLAG_LONG ? 9 : 2), 0x02)
  }

  decode(body: Buffer): { frame: Buffer; more: boolean; command: boolean } {
    if (body.length < MESSAGE_MIN || !body.subarray(0, 8).equals(MESSAGE_NAME)) {
      throw violation("CURVE traffic must be MESSAGE commands", "ERR_ZMTP_UNEXPECTED_COMMAND")
    }
    const n = body.subarray(8, 16)
    // The box is opened before the nonce is recorded: a forged MESSAGE must not advance the counter.
    const plain = opened(this.trafficKey!, nonce(this.recvPrefix, n), body.subarray(16), "MESSAGE")
    this.takePeerNonce(n)
    if (plain.length < 1) throw violation("empty CURVE MESSAGE", "ERR_ZMTP_COMMAND")
    const flags = plain[0]!
    return { frame: plain.subarray(1), more: (flags & 0x01) !== 0, command: (flags & 0x02) !== 0 }
  }
}

/** CURVE client: knows the server's long-term public key (curveServerKey). */
export class CurveClient extends CurveBase implements Mechanism {
  readonly asServer = false
  protected readonly sendPrefix = "CurveZMQMESSAGEC"
  protected readonly recvPrefix = "CurveZMQMESSAGES"
  private state: "hello" | "welcome" | "ready" | "done" = "hello"
  private readonly short = rawKeyPair()

  constructor(
    private readonly props: Props,
    /** C and c: our long-term key pair. */
    private readonly publicKey: Buffer,
    private readonly secretKey: Buffer,
    /** S: the server's long-term public key. */
    private readonly serverKey: Buffer,
  ) {
    super()
  }

  start(): MechanismStep {
    // RFC 26 HELLO: version 1.0, 72 octets of padding (anti-amplification), C', short nonce, and a
    // box of 64 zero octets from C' to S proving we know S.
    const n = this.nextNonce()
    const box = seal(boxKey(this.serverKey, this.short.sec), nonce("CurveZMQHELLO---", n), new Uint8Array(64))
    const data = Buffer.concat([Buffer.from([1, 0]), Buffer.alloc(72), this.short.pub, n, box])
    this.state = "welcome"
    return { send: [encodeCommand("HELLO", data)] }
  }

  onCommand(cmd: Command): MechanismStep {
    if (cmd.name === "ERROR") throw peerError(errorReason(cmd.data))
    if (this.state === "welcome" && cmd.name === "WELCOME") return this.onWelcome(cmd.data)
    if (this.state === "ready" && cmd.name === "READY") return this.onReady(cmd.data)
    throw violation(`unexpected ${cmd.name} command during the CURVE handshake`)
  }

  private onWelcome(d: Buffer): MechanismStep {
    if (1 + 7 + d.length !== WELCOME_SIZE) throw violation("malformed CURVE WELCOME", "ERR_ZMTP_COMMAND")
    // Box [S' + cookie](S->C'), long nonce "WELCOME-".
    const plain = opened(boxKey(this.serverKey, this.short.sec), nonce("WELCOME-", d.subarray(0, 16)), d.subarray(16), "WELCOME")
    const serverShort = plain.subarray(0, 32)
    const cookie = plain.subarray(32, 128)
    this.trafficKey = boxKey(serverShort, this.short.sec)
    // Vouch: Box [C' + S](C->S'), long nonce "VOUCH---": proves C owns this short-term key.
    const vn = random(16)
    const vouch = seal(boxKey(serverShort, this.secretKey), nonce("VOUCH---", vn), Buffer.concat([this.short.pub, this.serverKey]))
    const n = this.nextNonce()
    const box = seal(this.trafficKey, nonce("CurveZMQINITIATE", n), Buffer.concat([this.publicKey, vn, vouch, encodeMetadata(this.props)]))
    this.state = "ready"
    return { send: [encodeCommand("INITIATE", Buffer.concat([cookie, n, box]))] }
  }

  private onReady(d: Buffer): MechanismStep {
    if (1 + 5 + d.length < READY_MIN) throw violation("malformed CURVE READY", "ERR_ZMTP_COMMAND")
    const n = d.subarray(0, 8)
    const plain = opened(this.trafficKey!, nonce("CurveZMQREADY---", n), d.subarray(8), "READY")
    this.takePeerNonce(n)
    this.state = "done"
    return { done: decodeMetadata(plain) }
  }
}

/** CURVE server (curveServer = true): knows its long-term secret key. */
export class CurveServer extends CurveBase implements Mechanism {
  readonly asServer = true
  protected readonly sendPrefix = "CurveZMQMESSAGES"
  protected readonly recvPrefix = "CurveZMQMESSAGEC"
  private state: "hello" | "initiate" | "zap" | "done" = "hello"
  /** S, derived from s. */
  private readonly publicKey: Buffer
  private short: { pub: Buffer; sec: Buffer } | undefined
  /** C' from HELLO. */
  private clientShort: Buffer | undefined
  /** K: keys the cookie; made per connection and forgotten with it. */
  private cookieKey: Buffer | undefined
  private clientKey: Buffer | undefined
  private peerMeta: Metadata | undefined

  constructor(
    private readonly props: Props,
    /** s: our long-term secret key. */
    private readonly secretKey: Buffer,
    private readonly zap: ZapContext,
  ) {
    super()
    this.publicKey = Buffer.from(x25519.getPublicKey(secretKey))
  }

  start(): MechanismStep {
    return {}
  }

  onCommand(cmd: Command): MechanismStep {
    if (this.state === "hello" && cmd.name === "HELLO") return this.onHello(cmd.data)
    if (this.state === "initiate" && cmd.name === "INITIATE") return this.onInitiate(cmd.data)
    throw violation(`unexpected ${cmd.name} command during the CURVE handshake`)
  }

  private onHello(d: Buffer): MechanismStep {
    if (1 + 5 + d.length !== HELLO_SIZE) throw violation("malformed CURVE HELLO", "ERR_ZMTP_COMMAND")
    if (d[0] !== 1 || d[1] !== 0) throw violation(`unsupported CURVE version ${d[0]}.${d[1]}`, "ERR_ZMTP_COMMAND")
    const clientShort = Buffer.from(d.subarray(74, 106))
    const n = d.subarray(106, 114)
    // Box [64 zeros](C'->S): the client knows our public key.
    const plain = opened(boxKey(clientShort, this.secretKey), nonce("CurveZMQHELLO---", n), d.subarray(114), "HELLO")
    if (!equal(plain, new Uint8Array(64))) throw cryptoError("HELLO signature")
    this.takePeerNonce(n)
    this.clientShort = clientShort
    this.short = rawKeyPair()
    this.cookieKey = random(32)
    // Cookie: Box [C' + s'](K), long nonce "COOKIE--": what the server needs back in INITIATE.
    const cn = random(16)
    const cookie = Buffer.concat([cn, seal(this.cookieKey, nonce("COOKIE--", cn), Buffer.concat([clientShort, this.short.sec]))])
    const wn = random(16)
    const box = seal(boxKey(clientShort, this.secretKey), nonce("WELCOME-", wn), Buffer.concat([this.short.pub, cookie]))
    this.state = "initiate"
    return { send: [encodeCommand("WELCOME", Buffer.concat([wn, box]))] }
  }

  private onInitiate(d: Buffer): MechanismStep {
    if (1 + 8 + d.length < INITIATE_MIN) throw violation("malformed CURVE INITIATE", "ERR_ZMTP_COMMAND")
    // The cookie must be the one we made for this client's short-term key.
    const cookie = opened(this.cookieKey!, nonce("COOKIE--", d.subarray(0, 16)), d.subarray(16, 96), "cookie")
    if (!equal(cookie.subarray(0, 32), this.clientShort!) || !equal(cookie.subarray(32, 64), this.short!.sec)) throw cryptoError("cookie")
    const n = d.subarray(96, 104)
    this.trafficKey = boxKey(this.clientShort!, this.short!.sec)
    const plain = opened(this.trafficKey, nonce("CurveZMQINITIATE", n), d.subarray(104), "INITIATE")
    this.takePeerNonce(n)
    const clientKey = plain.subarray(0, 32)
    // Vouch: Box [C' + S](C->S'): the long-term key C owns C' and meant this server.
    const vouch = opened(boxKey(clientKey, this.short!.sec), nonce("VOUCH---", plain.subarray(32, 48)), plain.subarray(48, 128), "vouch")
    if (!equal(vouch.subarray(0, 32), this.clientShort!) || !equal(vouch.subarray(32, 64), this.publicKey)) throw cryptoError("vouch")
    this.peerMeta = decodeMetadata(plain.subarray(128))
    this.clientKey = Buffer.from(clientKey)
    this.state = "zap"
    // ZMQ_ZAP_ENFORCE_DOMAIN without a domain: encryption without authentication, ZAP is not asked
    // even if a handler is bound (libzmq 4.3.5 curve_server_t::process_initiate).
    if (this.zap.enforceDomain && this.zap.domain === "") return this.onZapReply(undefined)
    // RFC 27 CURVE credentials: the client's 32-octet long-term public key.
    return { zap: zapRequest(this.zap, "CURVE", [this.clientKey]) }
  }

  onZapReply(reply: Buffer[] | undefined): MechanismStep {
    if (this.state !== "zap") throw violation("ZAP reply out of turn")
    // No handler bound: accepted (Stonehouse), unless ZAP is enforced for a domain.
    if (!reply && this.zap.enforceDomain && this.zap.domain !== "") return { fail: noZapHandler("CURVE") }
    if (reply) {
      const v = readZapReply(reply)
      if (v.status !== 200) return refuse(v)
    }
    const n = this.nextNonce()
    const box = seal(this.trafficKey!, nonce("CurveZMQREADY---", n), encodeMetadata(this.props))
    this.state = "done"
    // The cookie key has served its purpose (RFC 26: the server forgets it).
    this.cookieKey = undefined
    return { send: [encodeCommand("READY", Buffer.concat([n, box]))], done: this.peerMeta! }
  }
}
