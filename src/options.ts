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

type Kind = "number" | "boolean" | "id" | "string" | "key" | "bytes" | "verbosity"

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

/**
 * Context options (zeromq.js `Context`, libzmq's zmq_ctx_set). Only what is simple is accepted:
 * `blocky` takes effect; the others are accepted and read back but change nothing yet (zmtp runs on
 * Node's event loop, with no I/O threads and no socket table).
 */
export interface ContextOptions {
  /**
   * ZMQ_BLOCKY: when false, sockets made in this context from then on start with linger 0 instead of
   * -1, as libzmq's do (an explicit `linger` option still wins). Sockets made before keep theirs.
   * Default true.
   */
  blocky: boolean
  /** ZMQ_IO_THREADS: size of libzmq's I/O thread pool (>= 0). Accepted and read back; no effect in zmtp. Default 1. */
  ioThreads: number
  /** ZMQ_MAX_SOCKETS: most sockets the context may hold (>= 1). Accepted and read back; not enforced yet. Default 1023. */
  maxSockets: number
}

/** The context options' table, checked like the sockets'. */
export const contextOptionTable: Record<keyof ContextOptions, Spec> = {
  blocky: { default: true, kind: "boolean" },
  ioThreads: { default: 1, kind: "number", min: 0 },
  maxSockets: { default: 1023, kind: "number", min: 1 },
}

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
    case "bytes":
      // ZMQ_XPUB_WELCOME_MSG: any octets (a string as UTF-8), copied; empty or null means none.
      if (value === null || value === undefined) return null
      if (typeof value === "string") return Buffer.from(value, "utf8")
      if (value instanceof Uint8Array) return Buffer.from(value)
      throw zerr("EINVAL", `option ${name} must be a string, a Buffer or null`)
    case "verbosity":
      // zeromq.js XPublisher.verbosity: ZMQ_XPUB_VERBOSE (allSubs) / ZMQ_XPUB_VERBOSER (allSubsUnsubs).
      if (value === null || value === undefined) return null
      if (value !== "allSubs" && value !== "allSubsUnsubs") throw zerr("EINVAL", `option ${name} must be null, "allSubs" or "allSubsUnsubs"`)
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
// ---- publish-subscribe (RFC 29) ----------------------------------------------------------------

/** PUB options (zeromq.js `Publisher`). */
export interface PublisherOptions extends SocketOptions {
  /**
   * ZMQ_XPUB_NODROP: when a matching subscriber's queue is full, the send waits for room (up to
   * `sendTimeout`, then EAGAIN) instead of dropping the message for that subscriber. Default false.
   */
  noDrop: boolean
  /**
   * ZMQ_CONFLATE: each subscriber's outbound queue keeps only the newest message, whatever the
   * high-water mark (zmtp keeps the whole message; libzmq keeps one frame of a multipart one).
   * Default false.
   */
  conflate: boolean
  /** ZMQ_INVERT_MATCHING: send each message to the subscribers whose subscriptions do NOT match it. Default false. */
  invertMatching: boolean
}

/** SUB options (zeromq.js `Subscriber`). */
export interface SubscriberOptions extends SocketOptions {
  /** ZMQ_CONFLATE: each publisher's inbound queue keeps only the newest message; reading never pauses. Default false. */
  conflate: boolean
  /** ZMQ_INVERT_MATCHING: deliver the messages that match none of the subscriptions. Default false. */
  invertMatching: boolean
}

/** XPUB options (zeromq.js `XPublisher`). */
export interface XPublisherOptions extends SocketOptions {
  /** ZMQ_XPUB_NODROP: as {@link PublisherOptions.noDrop}. Default false. */
  noDrop: boolean
  /**
   * ZMQ_XPUB_MANUAL: subscriptions from peers are handed to the application (every one) but not
   * applied; the application applies them with `subscribe()` / `unsubscribe()`, which act on the peer
   * of the last subscription message received. Default false.
   */
  manual: boolean
  /**
   * ZMQ_XPUB_WELCOME_MSG: a message sent to each new subscriber as it joins (a string as UTF-8, or
   * octets); null or empty for none. Default null.
   */
  welcomeMessage: string | Buffer | null
  /** ZMQ_INVERT_MATCHING: as {@link PublisherOptions.invertMatching}. Default false. */
  invertMatching: boolean
  /**
   * ZMQ_XPUB_VERBOSE / ZMQ_XPUB_VERBOSER: which subscription messages reach the application: null,
   * a subscription only when it is the first for its topic and an unsubscription only when it is the
   * last; "allSubs", every subscription; "allSubsUnsubs", every subscription and unsubscription.
   * Default null.
   */
  verbosity: null | "allSubs" | "allSubsUnsubs"
}

/** XSUB options (zeromq.js `XSubscriber`): the common ones. */
export type XSubscriberOptions = SocketOptions

/** The publish-subscribe options' rows of the table (merged into {@link optionTable}). */
export const pubSubOptionTable: Record<"noDrop" | "conflate" | "invertMatching" | "manual" | "welcomeMessage" | "verbosity", Spec> = {
  noDrop: { default: false, kind: "boolean" },
  conflate: { default: false, kind: "boolean" },
  invertMatching: { default: false, kind: "boolean" },
  manual: { default: false, kind: "boolean" },
  welcomeMessage: { default: null, kind: "bytes" },
  verbosity: { default: null, kind: "verbosity" },
}
Object.assign(optionTable, pubSubOptionTable)
