/**
 * Endpoint strings (libzmq's zmq_bind/zmq_connect syntax): `tcp://host:port`, `tcp://[v6]:port`,
 * `tcp://*:*`, `ipc:///path`, `ipc://@abstract`, `ipc://*`. Errors use libzmq's codes.
 */
import { Buffer } from "node:buffer"
import { randomBytes } from "node:crypto"
import { lookup } from "node:dns/promises"
import { isIP } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { zerr, ZmtpError } from "../errors.js"

/** A parsed TCP endpoint. `host` is "" for the wildcard, `port` 0 for an ephemeral port. */
export interface TcpEndpoint {
  transport: "tcp"
  host: string
  port: number
}

/** A parsed IPC endpoint. `path` starts with "\0" in Linux's abstract namespace. */
export interface IpcEndpoint {
  transport: "ipc"
  path: string
}

export type Endpoint = TcpEndpoint | IpcEndpoint

/** sun_path holds 108 octets including the terminating NUL. */
const MAX_IPC_PATH = 107

/**
 * Transports libzmq knows that zmtp does not carry. libzmq refuses those it was built without with
 * EPROTONOSUPPORT, and `udp` (RADIO/DISH only) with ENOCOMPATPROTO for every socket type zmtp has.
 */
const OTHER_TRANSPORTS = new Set(["pgm", "epgm", "norm", "tipc", "vmci"])

/**
 * The checks libzmq's zmq_bind / zmq_connect / zmq_unbind make on the URI before any transport
 * looks at the address (socket_base_t parse_uri + check_protocol): `scheme://rest` with a non-empty
 * rest, and a scheme it can use. Failing these reports no monitor event. Returns the scheme.
 */
export function checkUri(address: string): string {
  if (typeof address !== "string") throw zerr("EINVAL", "endpoint must be a string", String(address))
  const sep = address.indexOf("://")
  if (sep <= 0 || sep + 3 === address.length) throw zerr("EINVAL", `malformed endpoint ${JSON.stringify(address)}`, address)
  const transport = address.slice(0, sep)
  if (transport === "tcp" || transport === "ipc" || transport === "inproc" || transport === "ws" || transport === "wss") return transport
  if (transport === "udp") throw zerr("ENOCOMPATPROTO", "transport \"udp\" is not supported: it is for RADIO and DISH sockets, which zmtp does not have", address)
  const what = OTHER_TRANSPORTS.has(transport) ? "is a libzmq transport zmtp does not carry" : "is not a ZeroMQ transport"
  throw zerr("EPROTONOSUPPORT", `transport ${JSON.stringify(transport)} ${what}`, address)
}

/**
 * Parses a tcp or ipc endpoint. The URI is checked first ({@link checkUri}); then the address as
 * libzmq's tcp and ipc transports check it (EINVAL for a bad port, ENODEV for no host,
 * ENAMETOOLONG), errors libzmq reports as "bind:error" too.
 */
export function parseEndpoint(address: string, forBind: boolean): Endpoint {
  const transport = checkUri(address)
  const rest = address.slice(transport.length + 3)
  if (transport === "tcp") return parseTcp(rest, address, forBind)
  if (transport === "ipc") return parseIpc(rest, address, forBind)
  throw zerr("EINVAL", "inproc is not a tcp or ipc endpoint", address)
}

function parseTcp(rest: string, address: string, forBind: boolean): TcpEndpoint {
  let host: string
  let portStr: string
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]")
    if (close < 0 || rest[close + 1] !== ":") throw zerr("EINVAL", `malformed IPv6 endpoint ${address}`, address)
    host = rest.slice(1, close)
    portStr = rest.slice(close + 2)
  } else {
    const colon = rest.lastIndexOf(":")
    if (colon < 0) throw zerr("EINVAL", `endpoint ${address} has no port`, address)
    host = rest.slice(0, colon)
    portStr = rest.slice(colon + 1)
  }
  let port: number
  if (portStr === "*" || (forBind && portStr === "0")) {
    if (!forBind) throw zerr("EINVAL", `cannot connect to a wildcard port: ${address}`, address)
    port = 0
  } else {
    if (!/^\d{1,5}$/.test(portStr)) throw zerr("EINVAL", `invalid port in ${address}`, address)
    port = Number(portStr)
    if (port > 65535 || (!forBind && port === 0)) throw zerr("EINVAL", `invalid port in ${address}`, address)
  }
  // libzmq checks the port before it resolves the host, and reports a host it cannot resolve as ENODEV.
  if (host.includes(";")) throw zerr("EINVAL", `source addresses (tcp://source;destination) are not supported: ${address}`, address)
  if (host === "") throw zerr("ENODEV", `endpoint ${address} has no host`, address)
  if (host === "*") {
    if (!forBind) throw zerr("EINVAL", `cannot connect to a wildcard host: ${address}`, address)
    host = ""
  }
  return { transport: "tcp", host, port }
}

function parseIpc(rest: string, address: string, forBind: boolean): IpcEndpoint {
  let path: string
  if (rest === "*") {
    if (!forBind) throw zerr("EINVAL", `cannot connect to a wildcard ipc path: ${address}`, address)
    path = join(tmpdir(), `zmtp-${process.pid}-${randomBytes(6).toString("hex")}.sock`)
  } else if (rest.startsWith("@")) {
    path = "\0" + rest.slice(1)
  } else {
    path = rest
  }
  if (Buffer.byteLength(path) > MAX_IPC_PATH) throw zerr("ENAMETOOLONG", `ipc path too long (${Buffer.byteLength(path)} > ${MAX_IPC_PATH} octets)`, address)
  return { transport: "ipc", path }
}

/** Formats an endpoint as libzmq reports it in ZMQ_LAST_ENDPOINT. */
export function formatEndpoint(ep: Endpoint, port?: number, host?: string): string {
  if (ep.transport === "ipc") return ep.path.startsWith("\0") ? `ipc://@${ep.path.slice(1)}` : `ipc://${ep.path}`
  const h = host ?? (ep.host === "" ? "0.0.0.0" : ep.host)
  const p = port ?? ep.port
  return h.includes(":") ? `tcp://[${h}]:${p}` : `tcp://${h}:${p}`
}

/**
 * Maps a system error to the libzmq code zeromq.js would report. Anything may come here, not only a
 * Node errno error: Deno's permission error `NotCapable` (and the older `PermissionDenied`) has a
 * name and no `code`, and is a permission problem (EACCES); a value with neither is EINVAL.
 */
export function systemErrorCode(
  e: unknown,
): "EADDRINUSE" | "EADDRNOTAVAIL" | "ENODEV" | "ENOENT" | "EACCES" | "EPERM" | "ENOTDIR" | "EINVAL" | "ECONNREFUSED" | "EMFILE" | "ENFILE" {
  const { code, name } = (typeof e === "object" && e !== null ? e : {}) as { code?: unknown; name?: unknown }
  if (code === undefined && (name === "NotCapable" || name === "PermissionDenied")) return "EACCES"
  switch (code) {
    case "EADDRINUSE":
    // link(2) of an ipc socket file onto a path that is taken (Listener): the address is in use.
    case "EEXIST":
      return "EADDRINUSE"
    case "EADDRNOTAVAIL":
      return "EADDRNOTAVAIL"
    // A host name that does not resolve: libzmq's tcp_address_t reports ENODEV.
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NODATA":
    case "EAI_NONAME":
      return "ENODEV"
    case "ENOENT":
      return "ENOENT"
    // libzmq passes these errno values through (zeromq.js reports EACCES for an ipc directory
    // without write permission or a privileged port, ENOTDIR for a path under a file, EPERM where
    // the filesystem refuses sockets): a permission problem is not a missing endpoint.
    case "EACCES":
      return "EACCES"
    case "EPERM":
      return "EPERM"
    case "ENOTDIR":
      return "ENOTDIR"
    case "ECONNREFUSED":
      return "ECONNREFUSED"
    // Out of descriptors, at bind or at accept ("accept:error").
    case "EMFILE":
      return "EMFILE"
    case "ENFILE":
      return "ENFILE"
    default:
      return "EINVAL"
  }
}

/** A typed error for whatever a transport threw (see {@link systemErrorCode}); a ZmtpError stays as it is. */
export function systemError(e: unknown, address?: string): ZmtpError {
  if (e instanceof ZmtpError) return e
  const message = typeof e === "object" && e !== null && typeof (e as Error).message === "string" ? (e as Error).message : String(e)
  return zerr(systemErrorCode(e), message, address)
}

/** True for a bind string that does not name one endpoint: an ephemeral tcp port, or `ipc://*`. */
function isWildcardBind(address: string): boolean {
  if (address === "ipc://*") return true
  try {
    const ep = parseEndpoint(address, true)
    return ep.transport === "tcp" && ep.port === 0
  } catch {
    return false
  }
}

/**
 * The key of the bound endpoint that `unbind(address)` names, among `bound` (keyed by the resolved
 * endpoint, as lastEndpoint reports it), or undefined. Tried in turn:
 * - the resolved endpoint itself;
 * - the very string given to bind() (`tcp://localhost:5555`, `tcp://*:5555`), unless it has a
 *   wildcard port or is `ipc://*`, which name no one endpoint (libzmq: ENOENT);
 * - the address resolved as libzmq's socket_base_t::resolve_tcp_addr does (so `tcp://localhost:P`
 *   unbinds a bind to `tcp://127.0.0.1:P`); and `*` as the host, which libzmq cannot resolve and
 *   refuses with ENOENT while the port stays bound: zmtp reads it as 0.0.0.0, as bind() does.
 */
export async function findBound(address: string, bound: ReadonlyMap<string, { given: string }>): Promise<string | undefined> {
  if (typeof address !== "string") return undefined
  if (bound.has(address)) return address
  if (isWildcardBind(address)) return undefined
  for (const [key, l] of bound) if (l.given === address) return key
  let ep: Endpoint
  try {
    ep = parseEndpoint(address, true)
  } catch {
    return undefined
  }
  if (ep.transport === "ipc") return undefined
  let hosts: string[]
  if (ep.host === "" || isIP(ep.host)) hosts = [ep.host === "" ? "0.0.0.0" : ep.host]
  else {
    try {
      hosts = (await lookup(ep.host, { all: true })).map((a) => a.address)
    } catch {
      return undefined
    }
  }
  for (const h of hosts) {
    const key = formatEndpoint(ep, ep.port, h)
    if (bound.has(key)) return key
  }
  return undefined
}
