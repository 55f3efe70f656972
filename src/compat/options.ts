/**
 * zeromq.js v5's `setsockopt` / `getsockopt`: which libzmq option numbers the compatibility API
 * accepts, and the zeromq.js v6 property each one reads or writes on the socket underneath. The
 * facts (the numbers accepted, 0/1 for flags read back, what is write only, the refusals and their
 * texts) are zeromq.js 6.8's `zeromq/v5-compat`; test/v5-compat/options.test.ts checks each one side by
 * side with it.
 */
import { Subscriber } from "../index.js"
import { compatError } from "./errors.js"
import * as c from "./constants.js"

/** The socket underneath, seen as a bag of zeromq.js v6 properties. */
export type OptionTarget = Record<string, unknown> & { readonly readable?: boolean; readonly writable?: boolean }

/** How one option number is read and written; a missing side is "Unknown option". */
interface CompatOption {
  get?: (s: OptionTarget) => unknown
  set?: (s: OptionTarget, v: unknown) => void
}

/** A property read and written as it is. */
function same(name: string): CompatOption {
  return {
    get: (s) => s[name],
    set: (s, v) => {
      s[name] = v
    },
  }
}

/** A boolean property: any value sets it by truthiness, and it reads back as 1 or 0 (libzmq's int). */
function flag(name: string, readable = true): CompatOption {
  return {
    get: readable ? (s) => (s[name] ? 1 : 0) : undefined,
    set: (s, v) => {
      s[name] = Boolean(v)
    },
  }
}

/** A refusal with zeromq.js's text; ENOTSUP is zmtp's code for it (zeromq.js's plain Error has none). */
function refuse(message: string): () => never {
  return () => {
    throw compatError("ENOTSUP", message)
  }
}

/**
 * Calls a SUB socket's subscribe/unsubscribe. zeromq.js does this for a Subscriber only (not for an
 * XPUB, whose subscribe in zmtp is something else: manual mode), so the check is on the class.
 */
function subscription(method: "subscribe" | "unsubscribe"): (s: OptionTarget, v: unknown) => void {
  return (s, v) => {
    if (!(s instanceof Subscriber)) throw subscriberRequired()
    s[method](v as string)
  }
}

/** zeromq.js's "Subscriber socket required", as a typed error. */
export function subscriberRequired(): Error {
  return compatError("EINVAL", "Subscriber socket required")
}

/** zeromq.js's "Unknown option", as a typed error (libzmq answers an unknown option with EINVAL). */
export function unknownOption(): Error {
  return compatError("EINVAL", "Unknown option")
}

const mechanisms: Record<string, number> = { plain: 1, curve: 2, gssapi: 3 }

const table = new Map<number, CompatOption>([
  [c.ZMQ_AFFINITY, same("affinity")],
  [c.ZMQ_IDENTITY, same("routingId")],
  [c.ZMQ_SUBSCRIBE, { set: subscription("subscribe") }],
  [c.ZMQ_UNSUBSCRIBE, { set: subscription("unsubscribe") }],
  [c.ZMQ_RATE, same("rate")],
  [c.ZMQ_RECOVERY_IVL, same("recoveryInterval")],
  [c.ZMQ_SNDBUF, same("sendBufferSize")],
  [c.ZMQ_RCVBUF, same("receiveBufferSize")],
  [c.ZMQ_RCVMORE, { get: refuse("ZMQ_RCVMORE is not supported in compatibility mode") }],
  [c.ZMQ_FD, { get: refuse("ZMQ_FD is not supported in compatibility mode") }],
  [c.ZMQ_EVENTS, { get: (s) => (s.readable ? c.ZMQ_POLLIN : 0) | (s.writable ? c.ZMQ_POLLOUT : 0) }],
  [c.ZMQ_TYPE, { get: (s) => s.type }],
  [c.ZMQ_LINGER, same("linger")],
  [c.ZMQ_RECONNECT_IVL, same("reconnectInterval")],
  [c.ZMQ_BACKLOG, same("backlog")],
  [c.ZMQ_RECONNECT_IVL_MAX, same("reconnectMaxInterval")],
  [c.ZMQ_MAXMSGSIZE, same("maxMessageSize")],
  [c.ZMQ_SNDHWM, same("sendHighWaterMark")],
  [c.ZMQ_RCVHWM, same("receiveHighWaterMark")],
  [c.ZMQ_MULTICAST_HOPS, same("multicastHops")],
  [c.ZMQ_RCVTIMEO, same("receiveTimeout")],
  [c.ZMQ_SNDTIMEO, same("sendTimeout")],
  [
    c.ZMQ_IPV4ONLY,
    {
      // zeromq.js reads it back as a boolean, unlike the other flags.
      get: (s) => !s.ipv6,
      set: (s, v) => {
        s.ipv6 = !v
      },
    },
  ],
  [c.ZMQ_LAST_ENDPOINT, { get: (s) => s.lastEndpoint }],
  [c.ZMQ_ROUTER_MANDATORY, flag("mandatory")],
  [c.ZMQ_TCP_KEEPALIVE, same("tcpKeepalive")],
  [c.ZMQ_TCP_KEEPALIVE_CNT, same("tcpKeepaliveCount")],
  [c.ZMQ_TCP_KEEPALIVE_IDLE, same("tcpKeepaliveIdle")],
  [c.ZMQ_TCP_KEEPALIVE_INTVL, same("tcpKeepaliveInterval")],
  [c.ZMQ_TCP_ACCEPT_FILTER, { set: same("tcpAcceptFilter").set }],
  [c.ZMQ_DELAY_ATTACH_ON_CONNECT, flag("immediate")],
  [
    c.ZMQ_XPUB_VERBOSE,
    {
      get: refuse("Reading ZMQ_XPUB_VERBOSE is not supported"),
      set: (s, v) => {
        s.verbosity = v ? "allSubs" : null
      },
    },
  ],
  [c.ZMQ_ROUTER_RAW, { get: refuse("ZMQ_ROUTER_RAW is not supported in compatibility mode"), set: refuse("ZMQ_ROUTER_RAW is not supported in compatibility mode") }],
  [c.ZMQ_IPV6, flag("ipv6")],
  [c.ZMQ_MECHANISM, { get: (s) => mechanisms[s.securityMechanism as string] ?? 0 }],
  [c.ZMQ_PLAIN_SERVER, flag("plainServer")],
  [c.ZMQ_PLAIN_USERNAME, same("plainUsername")],
  [c.ZMQ_PLAIN_PASSWORD, same("plainPassword")],
  [c.ZMQ_CURVE_SERVER, flag("curveServer")],
  [c.ZMQ_CURVE_PUBLICKEY, same("curvePublicKey")],
  [c.ZMQ_CURVE_SECRETKEY, same("curveSecretKey")],
  [c.ZMQ_CURVE_SERVERKEY, same("curveServerKey")],
  [c.ZMQ_ZAP_DOMAIN, same("zapDomain")],
  [c.ZMQ_HEARTBEAT_IVL, same("heartbeatInterval")],
  [c.ZMQ_HEARTBEAT_TTL, same("heartbeatTimeToLive")],
  [c.ZMQ_HEARTBEAT_TIMEOUT, same("heartbeatTimeout")],
  [c.ZMQ_CONNECT_TIMEOUT, same("connectTimeout")],
  [c.ZMQ_ROUTER_HANDOVER, flag("handover", false)],
])

/**
 * The short names v5 gave some options (`sock.linger`, `sock.identity`, `setsockopt("backlog", 5)`),
 * exactly zeromq.js's list: others (`rcvhwm`, `sndhwm` ...) are "Unknown option" there too.
 */
export const shortOptions = {
  _fd: c.ZMQ_FD,
  _ioevents: c.ZMQ_EVENTS,
  _receiveMore: c.ZMQ_RCVMORE,
  _subscribe: c.ZMQ_SUBSCRIBE,
  _unsubscribe: c.ZMQ_UNSUBSCRIBE,
  affinity: c.ZMQ_AFFINITY,
  backlog: c.ZMQ_BACKLOG,
  identity: c.ZMQ_IDENTITY,
  linger: c.ZMQ_LINGER,
  rate: c.ZMQ_RATE,
  rcvbuf: c.ZMQ_RCVBUF,
  last_endpoint: c.ZMQ_LAST_ENDPOINT,
  reconnect_ivl: c.ZMQ_RECONNECT_IVL,
  recovery_ivl: c.ZMQ_RECOVERY_IVL,
  sndbuf: c.ZMQ_SNDBUF,
  mechanism: c.ZMQ_MECHANISM,
  plain_server: c.ZMQ_PLAIN_SERVER,
  plain_username: c.ZMQ_PLAIN_USERNAME,
  plain_password: c.ZMQ_PLAIN_PASSWORD,
  curve_server: c.ZMQ_CURVE_SERVER,
  curve_publickey: c.ZMQ_CURVE_PUBLICKEY,
  curve_secretkey: c.ZMQ_CURVE_SECRETKEY,
  curve_serverkey: c.ZMQ_CURVE_SERVERKEY,
  zap_domain: c.ZMQ_ZAP_DOMAIN,
  heartbeat_ivl: c.ZMQ_HEARTBEAT_IVL,
  heartbeat_ttl: c.ZMQ_HEARTBEAT_TTL,
  heartbeat_timeout: c.ZMQ_HEARTBEAT_TIMEOUT,
  connect_timeout: c.ZMQ_CONNECT_TIMEOUT,
} as const

/** A short option name. */
export type ShortOption = keyof typeof shortOptions

function lookup(option: number | string): CompatOption | undefined {
  const id = typeof option === "number" ? option : Object.prototype.hasOwnProperty.call(shortOptions, option) ? shortOptions[option as ShortOption] : undefined
  return id === undefined ? undefined : table.get(id)
}

/** setsockopt: writes the v6 property behind `option`; "Unknown option" for a number or name v5-compat lacks. */
export function setOption(s: OptionTarget, option: number | string, value: unknown): void {
  const o = lookup(option)
  if (!o?.set) throw unknownOption()
  o.set(s, value)
}

/** getsockopt: reads the v6 property behind `option`; "Unknown option" for a write-only or unknown one. */
export function getOption(s: OptionTarget, option: number | string): unknown {
  const o = lookup(option)
  if (!o?.get) throw unknownOption()
  return o.get(s)
}
