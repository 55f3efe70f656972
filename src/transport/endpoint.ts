/**
 * Endpoint strings (libzmq's zmq_bind/zmq_connect syntax): `tcp://host:port`, `tcp://[v6]:port`,
 * `tcp://*:*`, `ipc:///path`, `ipc://@abstract`, `ipc://*`. Errors use libzmq's codes.
 */
import { Buffer } from "node:buffer"
import { randomBytes } from "node:crypto"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { zerr } from "../errors.js"

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

/** Parses an endpoint; throws EINVAL, EPROTONOSUPPORT or ENAMETOOLONG as libzmq does. */
export function parseEndpoint(address: string, forBind: boolean): Endpoint {
  if (typeof address !== "string") throw zerr("EINVAL", "endpoint must be a string", String(address))
  const sep = address.indexOf("://")
  if (sep <= 0) throw zerr("EINVAL", `malformed endpoint ${JSON.stringify(address)}`, address)
  const transport = address.slice(0, sep)
  const rest = address.slice(sep + 3)
  if (transport === "tcp") return parseTcp(rest, address, forBind)
  if (transport === "ipc") return parseIpc(rest, address, forBind)
  throw zerr("EPROTONOSUPPORT", `transport ${JSON.stringify(transport)} is not supported`, address)
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
  if (host === "" || (host.includes(";"))) throw zerr("EINVAL", `endpoint ${address} has no usable host`, address)
  let port: number
  if (portStr === "*" || (forBind && portStr === "0")) {
    if (!forBind) throw zerr("EINVAL", `cannot connect to a wildcard port: ${address}`, address)
    port = 0
  } else {
    if (!/^\d{1,5}$/.test(portStr)) throw zerr("EINVAL", `invalid port in ${address}`, address)
    port = Number(portStr)
    if (port > 65535 || (!forBind && port === 0)) throw zerr("EINVAL", `invalid port in ${address}`, address)
  }
  if (host === "*") {
    if (!forBind) throw zerr("EINVAL", `cannot connect to a wildcard host: ${address}`, address)
    host = ""
  }
  return { transport: "tcp", host, port }
}

function parseIpc(rest: string, address: string, forBind: boolean): IpcEndpoint {
  if (rest === "") throw zerr("EINVAL", `empty ipc path in ${address}`, address)
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

/** Maps a Node system error to the libzmq code zeromq.js would report. */
export function systemErrorCode(e: NodeJS.ErrnoException): "EADDRINUSE" | "EADDRNOTAVAIL" | "ENOENT" | "EINVAL" | "ECONNREFUSED" {
  switch (e.code) {
    case "EADDRINUSE":
      return "EADDRINUSE"
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "EADDRNOTAVAIL"
    case "ENOENT":
    case "EACCES":
    case "ENOTDIR":
      return "ENOENT"
    case "ECONNREFUSED":
      return "ECONNREFUSED"
    default:
      return "EINVAL"
  }
}
