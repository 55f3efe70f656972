/**
 * How the CLI reports failures: one line on stderr, `zmtp: ...`, never a stack trace for something
 * the user can fix (a bad endpoint, a port in use, no peer answering, a bad flag). Exit code 2 for a
 * usage mistake, 1 for a failure at run time. Set ZMTP_DEBUG=1 to see stacks of unexpected errors.
 */
import { RemoteError, TimeoutError } from "../rpc/errors.js"

/** A mistake in how the command was invoked; its message is shown as is, with exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help to point at. */
    readonly command?: string,
  ) {
    super(message)
    this.name = "UsageError"
  }
}

/** A failure the user should read as one sentence (exit code 1). */
export class CliError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "CliError"
  }
}

const ENDPOINT_CODES = new Set(["EINVAL", "EPROTONOSUPPORT", "ENOCOMPATPROTO", "ENODEV", "ENAMETOOLONG"])

/** One line describing `e`, and the exit code to use. */
export function describeError(e: unknown, command?: string): { line: string; exitCode: number } {
  // A ZmtpError's message is libzmq's text; what zmtp knows beyond it is in `detail`, better for a person.
  const err = e as { code?: unknown; address?: string; message?: string; detail?: string }
  const text = err?.detail ?? err?.message
  if (e instanceof UsageError) {
    const cmd = e.command ?? command
    return { line: `${e.message} (see: zmtp ${cmd ? `${cmd} ` : ""}--help)`, exitCode: 2 }
  }
  if (typeof err?.code === "string" && err.code.startsWith("ERR_PARSE_ARGS")) {
    return { line: `${err.message} (see: zmtp ${command ? `${command} ` : ""}--help)`, exitCode: 2 }
  }
  if (e instanceof CliError) return { line: e.message, exitCode: 1 }
  if (e instanceof TimeoutError) return { line: e.message, exitCode: 1 }
  if (e instanceof RemoteError) {
    const code = e.remoteCode !== undefined ? ` [${String(e.remoteCode)}]` : ""
    return { line: `remote error from ${e.method}: ${e.remoteName}${code}: ${e.message}`, exitCode: 1 }
  }
  const code = typeof err?.code === "string" ? err.code : undefined
  if (code === "EADDRINUSE") return { line: `cannot bind ${err.address ?? "endpoint"}: address already in use (EADDRINUSE)`, exitCode: 1 }
  if (code === "EADDRNOTAVAIL") return { line: `cannot bind ${err.address ?? "endpoint"}: address not available on this host (EADDRNOTAVAIL)`, exitCode: 1 }
  if (code === "EACCES" || code === "ENOENT") return { line: `cannot use ${err.address ?? "endpoint"}: ${text} (${code})`, exitCode: 1 }
  if (code && ENDPOINT_CODES.has(code) && err.address !== undefined) {
    return { line: `bad endpoint: ${text} (${code})`, exitCode: 2 }
  }
  if (code) return { line: `${text ?? String(e)} (${code})`, exitCode: 1 }
  const stack = process.env.ZMTP_DEBUG ? `\n${(e as Error)?.stack ?? ""}` : ""
  return { line: `unexpected error: ${(e as Error)?.message ?? String(e)}${stack}`, exitCode: 1 }
}
