/**
 * Deno's permissions, asked before a transport opens anything. Deno refuses an operation the program
 * was not granted with a `NotCapable` error that has no `code`; for a listening socket its node:net
 * throws it from a nextTick inside `listen()`, where no caller can catch it, so the process dies
 * instead of the bind rejecting. Asking first turns a missing permission into a typed EACCES whose
 * message names the flag to add. Elsewhere (Node, Bun) there is nothing to ask and every check passes.
 */
import { zerrWithMessage, type ZmtpError } from "../errors.js"

type Descriptor = { name: "net"; host: string } | { name: "read" | "write"; path: string }
interface DenoPermissions {
  querySync(d: Descriptor): { state: string }
  requestSync(d: Descriptor): { state: string }
}

const permissions = (globalThis as { Deno?: { permissions?: DenoPermissions } }).Deno?.permissions

/**
 * True if granted. A permission in the "prompt" state is requested, as Deno itself would at the
 * operation: on a terminal the user is asked, without one (or under --no-prompt) it is denied.
 */
function granted(d: Descriptor): boolean {
  if (!permissions) return true
  try {
    if (permissions.querySync(d).state === "granted") return true
    return permissions.requestSync(d).state === "granted"
  } catch {
    // A descriptor this Deno does not understand: let the operation itself decide.
    return true
  }
}

function denied(flags: string[], address: string | undefined): ZmtpError {
  const e = zerrWithMessage("EACCES", `Permission denied: Deno needs ${flags.join(" and ")}`, address)
  e.detail = `Deno permission not granted: run with ${flags.join(" ")}`
  return e
}

/** EACCES unless Deno may open a TCP socket to or on `host:port` (an IP address or a name). */
export function denoNetDenied(host: string, port: number, address?: string): ZmtpError | undefined {
  const hostPort = `${host.includes(":") ? `[${host}]` : host}:${port}`
  return granted({ name: "net", host: hostPort }) ? undefined : denied([`--allow-net=${hostPort}`], address)
}

/** EACCES unless Deno may read and write `path` (a Unix domain socket: bind and connect need both). */
export function denoPathDenied(path: string, address?: string): ZmtpError | undefined {
  // The abstract namespace (a leading NUL) is no file: Deno checks nothing there.
  if (path.startsWith("\0")) return undefined
  const flags: string[] = []
  if (!granted({ name: "read", path })) flags.push(`--allow-read=${path}`)
  if (!granted({ name: "write", path })) flags.push(`--allow-write=${path}`)
  return flags.length ? denied(flags, address) : undefined
}
