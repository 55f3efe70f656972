/**
 * `ws://` and `wss://` endpoint syntax (RFC 45 over RFC 6455 URLs), shared by the Node transport
 * (transport/ws.ts) and the browser build's (browser/ws.ts). Pure: no I/O.
 */
import { zerr } from "../errors.js"

/** A parsed `ws://` or `wss://` endpoint. `host` is "" for the wildcard, `port` 0 for an ephemeral one. */
export interface WsEndpoint {
  transport: "ws" | "wss"
  host: string
  port: number
  /** The request path, "/" when the endpoint has none (RFC 45: "Host and path ... MUST be as set"). */
  path: string
}

/**
 * Parses `ws://host:port/path` or `wss://...`. A bind needs a port (`*` or 0 for an ephemeral one)
 * and may have `*` as host; a connect may leave the port out (80, 443), as a URL does.
 */
export function parseWsEndpoint(address: string, forBind: boolean): WsEndpoint {
  const m = /^(wss?):\/\/(\[[^\]]*\]|[^/:]*)(?::([^/]*))?(\/.*)?$/.exec(address)
  if (!m) throw zerr("EINVAL", `malformed endpoint ${JSON.stringify(address)}`, address)
  const transport = m[1] as "ws" | "wss"
  let host = m[2]!.startsWith("[") ? m[2]!.slice(1, -1) : m[2]!
  const portStr = m[3]
  // The query is part of the request target; a fragment never is.
  const path = (m[4] ?? "/").split("#")[0]!
  let port: number
  if (portStr === undefined) {
    if (forBind) throw zerr("EINVAL", `endpoint ${address} has no port`, address)
    port = transport === "wss" ? 443 : 80
  } else if (portStr === "*" || (forBind && portStr === "0")) {
    if (!forBind) throw zerr("EINVAL", `cannot connect to a wildcard port: ${address}`, address)
    port = 0
  } else {
    if (!/^\d{1,5}$/.test(portStr) || Number(portStr) > 65535 || Number(portStr) === 0) throw zerr("EINVAL", `invalid port in ${address}`, address)
    port = Number(portStr)
  }
  if (host === "") throw zerr("ENODEV", `endpoint ${address} has no host`, address)
  if (host === "*") {
    if (!forBind) throw zerr("EINVAL", `cannot connect to a wildcard host: ${address}`, address)
    host = ""
  }
  return { transport, host, port, path }
}

/** Formats a ws endpoint as lastEndpoint reports it (libzmq: `ws://127.0.0.1:5555/path`). */
export function formatWsEndpoint(ep: WsEndpoint, host: string, port: number): string {
  const h = host.includes(":") ? `[${host}]` : host
  return `${ep.transport}://${h}:${port}${ep.path}`
}
