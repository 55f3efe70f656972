/**
 * Socket options: one declarative table. Names, types and defaults follow zeromq.js v6; each
 * option's doc opens with its libzmq name.
 */
import { Buffer } from "node:buffer"
import type { Context } from "./context.js"
import { zerr } from "./errors.js"

/** Options common to every socket type. */
export interface SocketOptions {
  /**
   * The {@link Context} the socket is made in (constructor only; read back as `socket.context`).
   * Default: the global `context`. A context with `blocky` false gives new sockets linger 0.
   */
  context: Context
  /**
   * ZMQ_ROUTING_ID: identity announced to ROUTER peers: 1-255 octets, a string as UTF-8 (the limit
   * counts octets, not characters), not starting with 0x00 (reserved for generated ids). Default null.
   */
  routingId: string | null
  /** ZMQ_SNDHWM: outbound messages queued per peer before send waits (0 = no limit). Default 1000. */
  sendHighWaterMark: number
  /** ZMQ_RCVHWM: inbound messages queued per peer before reading from it pauses (0 = no limit). Default 1000. */
  receiveHighWaterMark: number
  /** ZMQ_SNDTIMEO: ms a send waits for room before rejecting with EAGAIN (-1 = forever, 0 = never waits). Default -1. */
  sendTimeout: number
  /** ZMQ_RCVTIMEO: ms a receive waits before rejecting with EAGAIN (-1 = forever). Default -1. */
  receiveTimeout: number
  /** ZMQ_LINGER: ms close() keeps flushing queued messages (-1 = until sent or the peer is gone, 0 = drop). Default -1. */
  linger: number
  /** ZMQ_IMMEDIATE: queue messages only on completed connections. Default false. */
  immediate: boolean
  /** ZMQ_MAXMSGSIZE: largest inbound frame in octets; a peer sending more is disconnected (-1 = no limit). Default -1. */
  maxMessageSize: number
  /** ZMQ_RECONNECT_IVL: ms before reconnecting (-1 = never reconnect). Default 100. */
  reconnectInterval: number
  /** ZMQ_RECONNECT_IVL_MAX: ms cap of the doubling reconnect interval (0 = no doubling). Default 0. */
  reconnectMaxInterval: number
  /** ZMQ_CONNECT_TIMEOUT: ms a TCP connect attempt may take (0 = the system's). Default 0. */
  connectTimeout: number
  /** ZMQ_HANDSHAKE_IVL: ms a new connection has to complete its handshake (0 = no limit). Default 30000. */
  handshakeInterval: number
  /** ZMQ_HEARTBEAT_IVL: ms between PINGs to ZMTP 3.1 peers (0 = none). Default 0. */
  heartbeatInterval: number
  /** ZMQ_HEARTBEAT_TIMEOUT: ms to wait for traffic after a PING (-1 = heartbeatInterval). Default -1. */
  heartbeatTimeout: number
  /** ZMQ_HEARTBEAT_TTL: ms the peer should wait for our traffic, sent in PINGs (0 = none). Default 0. */
  heartbeatTimeToLive: number
  /** ZMQ_PROBE_ROUTER: send an empty message to each new peer on connect (DEALER, REQ, ROUTER). Default false. */
  probeRouter: boolean
  /**
   * ZMQ_CONNECT_ROUTING_ID: routing id a ROUTER gives the peer of its next connect() call (UTF-8, same
   * rules as routingId). That call takes it, whether it succeeds or throws. Default null.
   */
  connectRoutingId: string | null
  /** ZMQ_PLAIN_SERVER: act as PLAIN server (RFC 24), checking credentials with the ZAP handler. Default false. */
  plainServer: boolean
  /** ZMQ_PLAIN_USERNAME: username a PLAIN client sends (selects PLAIN as client). Default null. */
  plainUsername: string | null
  /** ZMQ_PLAIN_PASSWORD: password a PLAIN client sends (selects PLAIN as client). Default null. */
  plainPassword: string | null
  /** ZMQ_CURVE_SERVER: act as CURVE server (RFC 26); needs curveSecretKey. Default false. */
  curveServer: boolean
  /** ZMQ_CURVE_PUBLICKEY: our long-term public key, Z85 (40 characters) or 32 octets; read back as Z85. Default null. */
  curvePublicKey: string | Uint8Array | null
  /** ZMQ_CURVE_SECRETKEY: our long-term secret key, Z85 or 32 octets; read back as Z85. Default null. */
  curveSecretKey: string | Uint8Array | null
  /** ZMQ_CURVE_SERVERKEY: the server's long-term public key (selects CURVE as client), Z85 or 32 octets. Default null. */
  curveServerKey: string | Uint8Array | null
  /** ZMQ_ZAP_DOMAIN: domain sent in ZAP requests (RFC 27). Default "". */
  zapDomain: string
}

/** REQ-only options. */
export interface RequestOptions extends SocketOptions {
  /** ZMQ_REQ_CORRELATE: tag requests with an id and drop replies that do not match. Default false. */
  correlate: boolean
  /** ZMQ_REQ_RELAXED: allow a new request before the reply, dropping the old one. Default false. */
  relaxed: boolean
}

/** ROUTER-only options. */
export interface RouterOptions extends SocketOptions {
  /** ZMQ_ROUTER_MANDATORY: reject unroutable sends with EHOSTUNREACH (and full pipes with EAGAIN). Default false. */
  mandatory: boolean
  /** ZMQ_ROUTER_HANDOVER: a new peer with an existing routing id takes it over. Default false. */
  handover: boolean
}

type Kind = "number" | "boolean" | "id" | "string" | "key"

/** How one option is checked: its kind, default and lower bound. */
type Spec = { default: unknown; kind: Kind; min?: number }

/** The table: default and value kind of every socket option (`context` is the constructor's, not an option). */
export const optionTable: Record<Exclude<keyof RequestOptions | keyof RouterOptions, "context">, Spec> = {
  routingId: { default: null, kind: "id" },
  sendHighWaterMark: { default: 1000, kind: "number", min: 0 },
  receiveHighWaterMark: { default: 1000, kind: "number", min: 0 },
  sendTimeout: { default: -1, kind: "number", min: -1 },
  receiveTimeout: { default: -1, kind: "number", min: -1 },
  linger: { default: -1, kind: "number", min: -1 },
  immediate: { default: false, kind: "boolean" },
  maxMessageSize: { default: -1, kind: "number", min: -1 },
  reconnectInterval: { default: 100, kind: "number", min: -1 },
  reconnectMaxInterval: { default: 0, kind: "number", min: 0 },
  connectTimeout: { default: 0, kind: "number", min: 0 },
  handshakeInterval: { default: 30000, kind: "number", min: 0 },
  heartbeatInterval: { default: 0, kind: "number", min: 0 },
  heartbeatTimeout: { default: -1, kind: "number", min: -1 },
  heartbeatTimeToLive: { default: 0, kind: "number", min: 0 },
  probeRouter: { default: false, kind: "boolean" },
  connectRoutingId: { default: null, kind: "id" },
  plainServer: { default: false, kind: "boolean" },
  plainUsername: { default: null, kind: "string" },
  plainPassword: { default: null, kind: "string" },
  curveServer: { default: false, kind: "boolean" },
  curvePublicKey: { default: null, kind: "key" },
  curveSecretKey: { default: null, kind: "key" },
  curveServerKey: { default: null, kind: "key" },
  zapDomain: { default: "", kind: "string" },
  correlate: { default: false, kind: "boolean" },
  relaxed: { default: false, kind: "boolean" },
  mandatory: { default: false, kind: "boolean" },
  handover: { default: false, kind: "boolean" },
}

/** Context options: declared with the Context, whose checks are libzmq's zmq_ctx_set (src/context.ts). */
export type { ContextOptions } from "./context.js"

/** Checks one option value; throws a typed EINVAL as zeromq.js rejects a wrongly typed or out-of-range value. */
export function checkOption(name: string, value: unknown, table: Record<string, Spec> = optionTable): unknown {
  const spec = table[name]
  if (!spec) throw zerr("EINVAL", `unknown option ${JSON.stringify(name)}`)
  switch (spec.kind) {
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) throw zerr("EINVAL", `option ${name} must be a number`)
      // zeromq.js truncates a fractional value.
      value = Math.trunc(value)
      if (spec.min !== undefined && (value as number) < spec.min) throw zerr("EINVAL", `option ${name} must be at least ${spec.min}`)
      return value
    case "boolean":
      if (typeof value !== "boolean") throw zerr("EINVAL", `option ${name} must be a boolean`)
      return value
    case "id": {
      // Kept as octets: a string is UTF-8, as zeromq.js hands it to libzmq; a Buffer is taken as is
      // (copied). The property reads them back as UTF-8 (see defineOptions).
      if (value === null || value === undefined) return null
      const b = typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.isBuffer(value) ? Buffer.from(value) : undefined
      if (!b) throw zerr("EINVAL", `option ${name} must be a string or a Buffer`)
      // RFC 23 "The Identity Property": identity = 0*255OCTET; libzmq refuses an empty one.
      if (b.length < 1 || b.length > 255) throw zerr("EINVAL", `option ${name} must be 1 to 255 octets (UTF-8 for a string), not ${b.length}`)
      // zmq_setsockopt(3): "Identities starting with a zero byte are reserved for use by the 0MQ
      // infrastructure" (a ROUTER's generated ids are 0x00 + uint32). libzmq 4.3.5 lets one be set
      // anyway; zmtp refuses it, since its ROUTER reads an announced id starting with 0x00 as none.
      if (b[0] === 0) throw zerr("EINVAL", `option ${name} must not start with a zero octet (reserved for generated routing ids)`)
      return b
    }
    case "string":
      // PLAIN credentials and the ZAP domain: at most 255 octets (RFC 24 short strings, libzmq).
      if (value === null || value === undefined) return null
      if (typeof value !== "string" || Buffer.byteLength(value) > 255) throw zerr("EINVAL", `option ${name} must be a string of at most 255 octets`)
      return value
    case "key":
      // CURVE keys: checked and normalized by the socket (Z85 or 32 octets).
      if (value === null || value === undefined) return null
      if (typeof value !== "string" && !(value instanceof Uint8Array)) throw zerr("EINVAL", `option ${name} must be a Z85 string or 32 octets`)
      return value
  }
}

/** Options every socket type has. */
export const commonOptions: (keyof SocketOptions)[] = [
  "routingId", "sendHighWaterMark", "receiveHighWaterMark", "sendTimeout", "receiveTimeout", "linger", "immediate",
  "maxMessageSize", "reconnectInterval", "reconnectMaxInterval", "connectTimeout", "handshakeInterval",
  "heartbeatInterval", "heartbeatTimeout", "heartbeatTimeToLive", "probeRouter", "connectRoutingId",
]

/** Every option at its default. */
export function optionDefaults(): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(optionTable)) o[k] = v.default
  return o
}

/**
 * Puts a checked accessor for each named option on a socket prototype: assigning a wrongly typed or
 * out-of-range value throws EINVAL and keeps the old value; any access on a closed socket throws
 * ENOTSOCK, as in zeromq.js.
 */
export function defineOptions(proto: object, names: readonly string[]): void {
  for (const name of names) {
    const octets = optionTable[name as keyof typeof optionTable]?.kind === "id"
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: true,
      get(this: { opts: Record<string, unknown> }) {
        const v = this.opts[name]
        // Routing ids are held as octets and read back as a UTF-8 string, as zeromq.js reads them.
        return octets && v !== null ? (v as Buffer).toString("utf8") : v
      },
      set(this: { opts: Record<string, unknown>; closed: boolean }, v: unknown) {
        if (this.closed) throw zerr("ENOTSOCK")
        this.opts[name] = checkOption(name, v)
      },
    })
  }
}