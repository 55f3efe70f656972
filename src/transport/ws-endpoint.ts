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
  /**
   * The request path, "/" when the endpoint has none (RFC 45: "Host and path ... MUST be as set"),
   * canonical ({@link canonicalWsPath}); a connect's keeps its query.
   */
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
  const path = canonicalWsPath(m[4] ?? "/", address, forBind)
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

/**
 * The request target as it travels and as routes are matched: percent-encoded where a URL must be
 * (a space, a non-ASCII character: WHATWG URL's path percent-encode set, what every WebSocket client
 * sends), dot segments resolved, and the hex digits of escapes in upper case (RFC 3986 section
 * 6.2.2.1: "%c3" and "%C3" are the same). The server side ({@link wsRoutePath}) reads a request the
 * same way, so a bind on "/a b" and a connect to "/a%20b" or "/a b" meet. RFC 6455 section 3:
 * "Fragment identifiers are meaningless in the context of WebSocket URIs and MUST NOT be used", so
 * a "#" is refused (EINVAL) in both; a query is refused in a bind (a bound path is matched without
 * its query, so "?x=1" there would promise a distinction the server never makes) and kept in a
 * connect's request target (a proxy or gateway in front may want it). libzmq 4.3.5 accepts all of
 * these at bind and then serves every path alike (probed with zeromq.js; README migration table).
 */
export function canonicalWsPath(raw: string, address: string, forBind: boolean): string {
  if (raw.includes("#")) throw zerr("EINVAL", `a ws endpoint has no fragment (RFC 6455 section 3): ${address}`, address)
  if (forBind && raw.includes("?")) throw zerr("EINVAL", `a ws bind serves a path, not a query: ${address}`, address)
  let u: URL
  try {
    // A fixed authority: only the path and query are read back (a path of "//x" stays a path).
    u = new URL(`ws://h${raw}`)
  } catch {
    throw zerr("EINVAL", `malformed path in ${address}`, address)
  }
  return upperEscapes(u.pathname) + upperEscapes(u.search)
}

function upperEscapes(s: string): string {
  return s.includes("%") ? s.replace(/%[0-9a-fA-F]{2}/g, (e) => e.toUpperCase()) : s
}

/**
 * The route a request target (an HTTP request's URL, as Node gives it) is matched against: its path
 * without the query, canonical as {@link canonicalWsPath} makes a bound path. Undefined if unreadable.
 * (A client that writes a path unescaped, as libzmq's does for "ws://host:port/ü", never gets here:
 * Node's HTTP parser refuses that request line, HPE_INVALID_URL. lastEndpoint is escaped.)
 */
export function wsRoutePath(url: string | undefined): string | undefined {
  let raw = url ?? "/"
  const q = raw.search(/[?#]/)
  if (q >= 0) raw = raw.slice(0, q)
  if (!raw.startsWith("/")) raw = `/${raw}`
  try {
    return upperEscapes(new URL(`ws://h${raw}`).pathname)
  } catch {
    return undefined
  }
}

/** Formats a ws endpoint as lastEndpoint reports it (libzmq: `ws://127.0.0.1:5555/path`). */
export function formatWsEndpoint(ep: WsEndpoint, host: string, port: number): string {
  const h = host.includes(":") ? `[${host}]` : host
  return `${ep.transport}://${h}:${port}${ep.path}`
}
