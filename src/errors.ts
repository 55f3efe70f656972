/**
 * Typed errors. The `code` is the API (libzmq / zeromq.js names where they exist, ERR_ZMTP_* for
 * protocol violations). An error for a libzmq errno looks as zeromq.js makes it: `code`, `errno` (the
 * number libzmq reports on this platform) and libzmq's message text; the endpoint it concerns, if
 * any, in `address`; whatever zmtp knows beyond that in `detail`, never in the message.
 */
import { constants } from "node:os"

/** Error codes raised by zmtp. The socket-level ones match libzmq's errno names as zeromq.js reports them. */
export type ZmtpErrorCode =
  | "EAGAIN"
  | "EFSM"
  | "EHOSTUNREACH"
  | "EBADF"
  | "EBUSY"
  | "ENOTSOCK"
  | "EINVAL"
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "ENODEV"
  | "EPROTONOSUPPORT"
  | "ENOCOMPATPROTO"
  | "ENAMETOOLONG"
  | "ENOENT"
  | "EACCES"
  | "EPERM"
  | "ENOTDIR"
  | "ECONNREFUSED"
  | "ECONNRESET"
  | "EPIPE"
  | "EMSGSIZE"
  | "ETIMEDOUT"
  | "ECANCELED"
  | "EMFILE"
  | "ENFILE"
  | "ENOTSUP"
  | "ERR_ZMTP_GREETING"
  | "ERR_ZMTP_VERSION"
  | "EFAULT"
  | "ERR_ZMTP_AUTH"
  | "ERR_ZMTP_CRYPTOGRAPHIC"
  | "ERR_ZMTP_INVALID_SEQUENCE"
  | "ERR_ZMTP_MECHANISM_MISMATCH"
  | "ERR_ZMTP_UNEXPECTED_COMMAND"
  | "ERR_ZMTP_INVALID_METADATA"
  | "ERR_ZMTP_FRAME"
  | "ERR_ZMTP_COMMAND"
  | "ERR_ZMTP_SOCKET_TYPE"
  | "ERR_ZMTP_MSGSIZE"
  | "ERR_ZMTP_PEER_ERROR"
  | "ERR_ZMTP_HANDSHAKE_TIMEOUT"
  | "ERR_ZMTP_HEARTBEAT_TIMEOUT"

/**
 * The message zeromq.js gives each errno: its own wording for a few (src/util/error.h ErrnoMessage),
 * libzmq's zmq_strerror for the rest, which is the C library's strerror on Linux except for
 * EHOSTUNREACH and libzmq's own codes.
 */
const messages: Record<Exclude<ZmtpErrorCode, `ERR_${string}`>, string> = {
  EAGAIN: "Operation was not possible or timed out",
  EFSM: "Operation cannot be accomplished in current state",
  EHOSTUNREACH: "Host unreachable",
  EBADF: "Socket is closed",
  EBUSY: "Socket is busy",
  ENOTSOCK: "Socket operation on non-socket",
  EINVAL: "Invalid argument",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  ENODEV: "No such device",
  EPROTONOSUPPORT: "Protocol not supported",
  ENOCOMPATPROTO: "The protocol is not compatible with the socket type",
  ENAMETOOLONG: "File name too long",
  ENOENT: "No such endpoint",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ENOTDIR: "Not a directory",
  ECONNREFUSED: "Connection refused",
  ECONNRESET: "Connection reset by peer",
  EPIPE: "Broken pipe",
  EMSGSIZE: "Message too long",
  ETIMEDOUT: "Connection timed out",
  ECANCELED: "Operation canceled",
  ENOTSUP: "Operation not supported",
  EMFILE: "Too many open file descriptors",
  ENFILE: "Too many open files in system",
  EFAULT: "Context is closed",
}

/**
 * libzmq's own errno values (zmq.h: ZMQ_HAUSNUMERO 156384712 + n), for the codes no system defines.
 * Every other code is the platform's number, as libzmq passes it through.
 */
const zmqErrno: Partial<Record<ZmtpErrorCode, number>> = {
  EFSM: 156384763,
  ENOCOMPATPROTO: 156384764,
}

/** The errno zeromq.js reports for `code` on this platform, or undefined for zmtp's own codes. */
export function errnoOf(code: ZmtpErrorCode): number | undefined {
  if (code.startsWith("ERR_")) return undefined
  return zmqErrno[code] ?? (constants.errno as Record<string, number>)[code]
}

/** An error with a stable `code`, and the endpoint it concerns where there is one. */
export class ZmtpError extends Error {
  /** The libzmq errno as zeromq.js reports it (EAGAIN: 11 on Linux); absent for ERR_ZMTP_* codes. */
  declare errno?: number
  /** Stable machine-readable code (EAGAIN, EFSM, ERR_ZMTP_FRAME ...). */
  declare readonly code: ZmtpErrorCode
  /** The endpoint the error concerns, as zeromq.js reports it (bind, unbind, connect, disconnect). */
  declare address?: string
  /** What zmtp knows beyond libzmq's message (which check failed, the system error underneath). */
  declare detail?: string

  /**
   * @param detail Said in `detail`; the message is libzmq's text for the code (for an ERR_ZMTP_*
   *   code, zeromq.js's "ZMTP protocol error").
   */
  constructor(code: ZmtpErrorCode, detail?: string, address?: string) {
    super(code.startsWith("ERR_") ? "ZMTP protocol error" : messages[code as keyof typeof messages])
    // Own properties in zeromq.js's order (errno, code, address); detail after them.
    const errno = errnoOf(code)
    if (errno !== undefined) this.errno = errno
    ;(this as { code: ZmtpErrorCode }).code = code
    if (address !== undefined) this.address = address
    if (detail !== undefined && detail !== this.message) this.detail = detail
  }
}
ZmtpError.prototype.name = "ZmtpError"

/**
 * A violation of the wire protocol by the peer (RFC 23). It closes that one connection; the socket and
 * its other peers carry on. The message is zeromq.js's ("ZMTP protocol error"), what went wrong is
 * in `detail`.
 */
export class ProtocolError extends ZmtpError {
  constructor(code: ZmtpErrorCode, detail: string) {
    super(code, detail)
  }
}
ProtocolError.prototype.name = "ProtocolError"

/** Shorthand used across the code base: `detail` goes to {@link ZmtpError.detail}. */
export function zerr(code: ZmtpErrorCode, detail?: string, address?: string): ZmtpError {
  return new ZmtpError(code, detail, address)
}

/** An error whose message is zeromq.js's own wording for this case rather than the errno's usual text. */
export function zerrWithMessage(code: ZmtpErrorCode, message: string, address?: string): ZmtpError {
  const e = new ZmtpError(code, undefined, address)
  e.message = message
  return e
}

/**
 * zeromq.js's EBUSY for a bind, unbind (or, there, any other call) made while a bind or unbind is
 * still in flight (src/socket.cc ValidateOpen).
 */
export function blockedError(): ZmtpError {
  const e = new ZmtpError("EBUSY")
  e.message = "Socket is blocked by a bind or unbind operation"
  return e
}

/**
 * zeromq.js's error for an unknown option (V8's own text for a property added to its sealed
 * socket or context). zmtp throws it itself, so that the message names the option on every
 * runtime: JavaScriptCore (Bun) words a sealed object's refusal without the property's name.
 */
export function unknownOptionError(key: PropertyKey): TypeError {
  return new TypeError(`Cannot add property ${String(key)}, object is not extensible`)
}
