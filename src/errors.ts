/**
 * Typed errors. The `code` is the API (libzmq / zeromq.js names where they exist, ERR_ZMTP_* for
 * protocol violations); message text may change.
 */

/** Error codes raised by zmtp. The socket-level ones match libzmq's errno names as zeromq.js reports them. */
export type ZmtpErrorCode =
  | "EAGAIN"
  | "EFSM"
  | "EHOSTUNREACH"
  | "EBADF"
  | "ENOTSOCK"
  | "EINVAL"
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "EPROTONOSUPPORT"
  | "ENAMETOOLONG"
  | "ENOENT"
  | "EACCES"
  | "EPERM"
  | "ENOTDIR"
  | "ECONNREFUSED"
  | "ECONNRESET"
  | "EMSGSIZE"
  | "ETIMEDOUT"
  | "ECANCELED"
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

const messages: Partial<Record<ZmtpErrorCode, string>> = {
  EAGAIN: "Operation was not possible or timed out",
  EFSM: "Operation cannot be accomplished in current state",
  EHOSTUNREACH: "Host unreachable",
  EBADF: "Socket is closed",
  ENOTSOCK: "Socket operation on non-socket",
  EINVAL: "Invalid argument",
  EADDRINUSE: "Address already in use",
  EPROTONOSUPPORT: "Protocol not supported",
  ENAMETOOLONG: "File name too long",
}

/** An error with a stable `code`, and the endpoint it concerns where there is one. */
export class ZmtpError extends Error {
  /** Stable machine-readable code (EAGAIN, EFSM, ERR_ZMTP_FRAME ...). */
  readonly code: ZmtpErrorCode
  /** The endpoint the error concerns, as zeromq.js reports it. */
  address?: string

  constructor(code: ZmtpErrorCode, message?: string, address?: string) {
    super(message ?? messages[code] ?? code)
    this.name = "ZmtpError"
    this.code = code
    if (address !== undefined) this.address = address
  }
}

/**
 * A violation of the wire protocol by the peer (RFC 23). It closes that one connection; the socket and
 * its other peers carry on.
 */
export class ProtocolError extends ZmtpError {
  constructor(code: ZmtpErrorCode, message: string) {
    super(code, message)
    this.name = "ProtocolError"
  }
}

/** Shorthand used across the code base. */
export function zerr(code: ZmtpErrorCode, message?: string, address?: string): ZmtpError {
  return new ZmtpError(code, message, address)
}
