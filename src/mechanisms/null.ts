/**
 * The NULL mechanism (RFC 23 "The NULL Security Mechanism"): each peer sends READY with its metadata;
 * the handshake is complete when the peer's READY arrives. Either side may send its READY first.
 *
 * ZAP (RFC 27) for NULL, as libzmq 4.3.5 does it (null_mechanism.cpp): NULL has no client and server,
 * so a socket asks its ZAP handler only when its ZMQ_ZAP_DOMAIN is set (mechanism_base_t::zap_required
 * is "domain not empty"), which keeps naive sockets from sending requests. The request (mechanism
 * "NULL", no credentials) goes out before our own READY, right after the greetings; the peer's READY
 * may arrive meanwhile and is kept. With no handler bound the peer is accepted, unless
 * ZMQ_ZAP_ENFORCE_DOMAIN is set (off by default): then the handshake fails with EFAULT. On 200 our READY goes out; on 400 or 500 an ERROR with the status code instead,
 * on 300 nothing; either refusal fails the handshake once the peer's own READY (or ERROR) is in, as
 * libzmq's status() reports an error only when a command went each way.
 */
import { decodeErrorReason, decodeMetadata, encodeError, encodeReady, type Command, type Metadata } from "../codec/command.js"
import type { Mechanism, MechanismStep } from "./mechanism.js"
import { AuthError, peerError, violation } from "./mechanism.js"
import { noZapHandler, readZapReply, zapRequest, type ZapContext } from "./zap.js"

export class NullMechanism implements Mechanism {
  readonly name = "NULL"
  /** RFC 23: with NULL the as-server field MUST be zero. */
  readonly asServer = false
  private sentReady = false
  /** The peer's READY metadata, once it arrived. */
  private peer: Metadata | undefined
  /** A ZAP request is out and its reply not yet in. */
  private asking = false
  /** The ZAP handler refused the peer: the failure to report once the peer's command is in. */
  private refused: AuthError | undefined

  /**
   * @param zap the connection as a ZAP request describes it; ZAP is used only when its domain is
   * not empty. Left out for connections that must never ask (the ZAP client's own connection).
   */
  constructor(
    private readonly props: ReadonlyArray<readonly [string, Buffer | string]>,
    private readonly zap?: ZapContext,
  ) {}

  start(): MechanismStep {
    if (this.zap && this.zap.domain !== "") {
      this.asking = true
      return { zap: zapRequest(this.zap, "NULL", []) }
    }
    this.sentReady = true
    return { send: [encodeReady(this.props)] }
  }

  onCommand(cmd: Command): MechanismStep {
    if (this.peer) throw violation(`unexpected ${cmd.name} command during the NULL handshake`)
    if (cmd.name === "READY") {
      this.peer = decodeMetadata(cmd.data)
      if (this.refused) return { fail: this.refused }
      if (this.asking) return {}
      return this.sentReady ? { done: this.peer } : { send: [encodeReady(this.props)], done: this.peer }
    }
    if (cmd.name === "ERROR") {
      // RFC 23: an incoming ERROR is fatal, even with a short body. Our own refusal is what this side
      // reports; otherwise a 3xx-5xx reason is the peer's ZAP handler refusing us
      // (handshake:error:auth, libzmq mechanism_base_t::handle_error_reason).
      throw this.refused ?? peerError(decodeErrorReason(cmd.data))
    }
    throw violation(`unexpected ${cmd.name} command during the NULL handshake`)
  }

  onZapReply(reply: Buffer[] | undefined): MechanismStep {
    if (!this.asking) throw violation("ZAP reply out of turn")
    this.asking = false
    // No handler, with ZMQ_ZAP_ENFORCE_DOMAIN: libzmq fails the handshake, sending nothing.
    if (!reply && this.zap?.enforceDomain) return { fail: noZapHandler("NULL") }
    const v = reply ? readZapReply(reply) : undefined
    if (v && v.status !== 200) {
      this.refused = new AuthError(v.status, `ZAP handler refused the peer: ${v.status} ${v.text}`)
      // 300 (temporary) sends nothing, as libzmq's null_mechanism_t does; 400 and 500 send ERROR.
      const send = v.status === 300 ? [] : [encodeError(String(v.status))]
      return this.peer ? { send, fail: this.refused } : { send }
    }
    // 200, or no handler bound (accepted: libzmq 4.3.5 without ZMQ_ZAP_ENFORCE_DOMAIN).
    this.sentReady = true
    const ready = encodeReady(this.props)
    return this.peer ? { send: [ready], done: this.peer } : { send: [ready] }
  }
}
