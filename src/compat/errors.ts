/**
 * The errors the compatibility API raises itself. They are made from the ZmtpError that zmtp's
 * main entry exports, not from a copy of it, so that `err instanceof ZmtpError` holds whichever
 * entry (`zmtp` or `zmtp/v5-compat`) the application imported it from: dist/v5-compat.* loads
 * dist/index.* (tsup.config.ts).
 */
import { ZmtpError, type ZmtpErrorCode } from "../index.js"

/** A typed error with zeromq.js's text for the case (its compatibility layer's plain Errors carry none). */
export function compatError(code: ZmtpErrorCode, message: string): ZmtpError {
  const e = new ZmtpError(code)
  e.message = message
  return e
}

/** An errno error with libzmq's text (EBADF "Socket is closed", ENOTSOCK ...). */
export function errnoError(code: ZmtpErrorCode): ZmtpError {
  return new ZmtpError(code)
}

/** zeromq.js's EBUSY for a bind or unbind while another is in flight. */
export function busyError(): ZmtpError {
  return compatError("EBUSY", "Socket is blocked by a bind or unbind operation")
}
