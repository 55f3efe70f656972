/**
 * ZAP messages (RFC 27 "Message Format"), pure: what a server mechanism asks and how the handler's
 * reply reads. The envelope (delimiter, "1.0", request id) is added by the ZAP client.
 */
import { Buffer } from "node:buffer"
import { ZmtpError } from "../errors.js"
import { encodeError, type Metadata } from "../codec/command.js"
import { decodeMetadata } from "../codec/command.js"
import { AuthError, type MechanismStep } from "./mechanism.js"

/** What the server knows about the connection, for the request. */
export interface ZapContext {
  /** ZMQ_ZAP_DOMAIN; libzmq sends it even when empty. */
  domain: string
  /** The peer's IP address ("" for ipc and inproc). */
  address: string
  /** Our own routing id, as libzmq fills the identity frame (zap_client_t::send_zap_request). */
  identity: Buffer
  /**
   * ZMQ_ZAP_ENFORCE_DOMAIN, as libzmq 4.3.5 reads it: a NULL or CURVE server whose domain is set
   * fails the handshake when no handler is bound (EFAULT), instead of accepting the peer; a CURVE
   * server without a domain then does not ask ZAP at all (the "Stonehouse" pattern).
   */
  enforceDomain?: boolean
}

/** The failure libzmq reports (handshake_failed_no_detail, EFAULT) when ZAP is enforced but no handler is bound. */
export function noZapHandler(mechanism: string): ZmtpError {
  return new ZmtpError("EFAULT", `${mechanism}: zapEnforceDomain is set and no ZAP handler is bound at inproc://zeromq.zap.01`)
}

/** Request frames from the domain on: domain, address, identity, mechanism, credentials. */
export function zapRequest(ctx: ZapContext, mechanism: string, credentials: Buffer[]): Buffer[] {
  return [Buffer.from(ctx.domain), Buffer.from(ctx.address), ctx.identity, Buffer.from(mechanism), ...credentials]
}

/** A reply as the server acts on it. */
export interface ZapVerdict {
  /** 200, 300, 400 or 500. */
  status: number
  text: string
  userId: string
  metadata: Metadata
}

/**
 * Reads the reply frames after the request id: status code, status text, user id, metadata. RFC 27:
 * the status code is "200", "300", "400" or "500". A malformed reply counts as 500 (internal error),
 * so that a broken handler never lets a peer in.
 */
export function readZapReply(frames: Buffer[]): ZapVerdict {
  const internal = (text: string): ZapVerdict => ({ status: 500, text, userId: "", metadata: new Map() })
  if (frames.length !== 4) return internal("malformed ZAP reply")
  const code = frames[0]!.toString("latin1")
  if (!/^[2345]00$/.test(code)) return internal(`invalid ZAP status code ${JSON.stringify(code)}`)
  let metadata: Metadata
  try {
    metadata = decodeMetadata(frames[3]!)
  } catch {
    return internal("malformed ZAP metadata")
  }
  return { status: Number(code), text: frames[1]!.toString(), userId: frames[2]!.toString(), metadata }
}

/**
 * The step a server takes on a refusing verdict. RFC 27 / libzmq 4.3: 400 and 500 are answered with
 * an ERROR command carrying the status code; 300 (temporary) closes silently, as CurveZMQ asks.
 */
export function refuse(v: ZapVerdict): MechanismStep {
  const fail = new AuthError(v.status, `ZAP handler refused the peer: ${v.status} ${v.text}`)
  if (v.status === 300) return { fail }
  return { send: [encodeError(String(v.status))], fail }
}
