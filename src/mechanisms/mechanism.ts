/**
 * Security mechanisms (RFC 23 "Security Mechanisms"). A mechanism is pure: it turns the peer's
 * handshake commands into the commands we answer with, and finally into the peer's metadata. It
 * never touches the network or a timer: a ZAP request (RFC 27) is handed to the engine as frames,
 * and the reply comes back through {@link Mechanism.onZapReply}.
 */
import type { Command, Metadata } from "../codec/command.js"
import { ProtocolError, type ZmtpError, type ZmtpErrorCode } from "../errors.js"

/** One step's outcome. */
export interface MechanismStep {
  /** Whole command frames to send. */
  send?: Buffer[]
  /** Set when the handshake is complete: the peer's metadata. */
  done?: Metadata
  /**
   * Ask the ZAP handler (RFC 27): the request frames from the domain on (domain, address, identity,
   * mechanism, credentials...). The engine adds the envelope and answers with
   * {@link Mechanism.onZapReply}; the mechanism expects no peer command meanwhile.
   */
  zap?: Buffer[]
  /** The handshake failed: `send` goes out first (an ERROR command), then the connection closes. */
  fail?: ZmtpError
}

/**
 * Encrypted traffic (CURVE, RFC 26 "MESSAGE"): after the handshake every frame travels boxed in a
 * MESSAGE command. Mechanisms without a codec (NULL, PLAIN) leave frames untouched, so the engine
 * keeps its zero-copy path for them.
 */
export interface TrafficCodec {
  /** Boxes every frame of one message; returns the MESSAGE command frames as one buffer of wire octets. */
  encodeMessage(frames: readonly Buffer[]): Buffer
  /** Boxes a whole command frame (PING, PONG) into a MESSAGE command frame with the command flag. */
  encodeCommand(frame: Buffer): Buffer
  /**
   * Opens a command body received after the handshake. Returns the frame it carried with its MORE
   * and COMMAND flags; throws a ProtocolError for anything but a MESSAGE that opens with a fresh nonce.
   */
  decode(body: Buffer): { frame: Buffer; more: boolean; command: boolean }
}

/** A security mechanism for one connection. Methods throw a ProtocolError on a violation. */
export interface Mechanism {
  /** Name as it appears in the greeting. */
  readonly name: string
  /** Our as-server flag for the greeting. */
  readonly asServer: boolean
  /** Called once both greetings are exchanged; returns the first commands to send. */
  start(): MechanismStep
  /** A command from the peer during the handshake. */
  onCommand(cmd: Command): MechanismStep
  /**
   * Splits a handshake command body when the mechanism must read a form decodeCommand refuses
   * (libzmq 4.3.5's malformed PLAIN ERROR); undefined to use decodeCommand.
   */
  parseCommand?(body: Buffer): Command | undefined
  /**
   * The ZAP handler's reply to the request of a step (all frames after the request id), or
   * undefined when no handler is bound: libzmq then accepts the peer.
   */
  onZapReply?(reply: Buffer[] | undefined): MechanismStep
  /** Present once the handshake is done if traffic is transformed (CURVE). */
  readonly codec?: TrafficCodec | undefined
}

/** Code of {@link AuthError}. */
export const ERR_ZMTP_AUTH: ZmtpErrorCode = "ERR_ZMTP_AUTH"

/**
 * Authentication failed (zeromq.js "handshake:error:auth"): a ZAP handler refused the peer on our
 * side, or the peer's ERROR carried a ZAP status code. `status` is the ZAP status (300, 400, 500) as
 * zeromq.js reports it.
 */
export class AuthError extends ProtocolError {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(ERR_ZMTP_AUTH, detail)
    // zeromq.js words the event's error by ZAP status (src/observer.cc AuthError).
    this.message = authMessages[status] ?? "Unknown error"
  }
}
AuthError.prototype.name = "AuthError"

const authMessages: Record<number, string> = { 300: "Temporary error", 400: "Authentication failure", 500: "Internal error" }

/**
 * Classifies a peer's ERROR reason as libzmq 4.3 does (zmtp_engine / mechanism handle_error_reason):
 * a three-digit ZAP status 3xx-5xx is an authentication failure, anything else a protocol error.
 */
export function peerError(reason: string): ProtocolError {
  if (/^[345]00$/.test(reason)) return new AuthError(Number(reason), `peer refused authentication: ${reason}`)
  return new ProtocolError("ERR_ZMTP_PEER_ERROR", `peer refused the handshake: ${reason}`)
}

/** Shorthand for a handshake violation. */
export function violation(message: string, code: ZmtpErrorCode = "ERR_ZMTP_UNEXPECTED_COMMAND"): ProtocolError {
  return new ProtocolError(code, message)
}
