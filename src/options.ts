/**
 * Socket options: one declarative table. Names, types and defaults follow zeromq.js v6, which reads
 * and writes them with libzmq's option numbers (`getInt32Option(23)` is `sendHighWaterMark`); each
 * option's doc opens with its libzmq name.
 *
 * zeromq.js has every option libzmq 4.3.5 has, whether or not its transport is built in. zmtp has
 * them all too, so that a program written for zeromq.js constructs and configures its sockets
 * unchanged. Three kinds of option are marked in their docs:
 * - **No effect in zmtp**: a tuning knob Node's net module does not expose, or one for a transport
 *   zmtp does not have (PGM/NORM multicast). Accepted, checked as libzmq checks it, read back.
 * - **Refused**: an option whose non-default value would change who may connect or how
 *   (`conflate` on DEALER, `interface`): zmtp does not implement it, and ignoring it would be worse
 *   than saying so, so setting it throws EINVAL.
 * The VMCI options are of the first kind: zeromq.js's libzmq, built without VMCI, answers EINVAL to
 * them; zmtp takes them as a libzmq built with it does (an option that cannot mean anything on
 * Node's sockets exists, and is accepted, ignored and read back).
 */
import { Buffer } from "node:buffer"
import type { SocketTypeName } from "./codec/socket-types.js"
import type { Context } from "./context.js"
import { zerr } from "./errors.js"

/** Options common to every socket type (the constructor's argument; read-only ones are left out, as in zeromq.js). */
export interface SocketOptions {
  /**
   * The {@link Context} the socket is made in (constructor only; read back as `socket.context`).
   * Default: the global `context`. A context with `blocky` false gives new sockets linger 0.
   */
  context: Context
  /**
   * ZMQ_ROUTING_ID: identity announced to ROUTER peers: 1-255 octets, a string as UTF-8 (the limit
   * counts octets, not characters), not starting with 0x00 (reserved for generated ids). Read back
   * as zeromq.js reads it: the octets up to the first 0x00, as UTF-8. Default null.
   */
  routingId: string | Buffer | null
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
  /** ZMQ_MAXMSGSIZE: largest inbound frame in octets; a peer sending more is disconnected (negative = no limit). Default -1. */
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
  /** ZMQ_HEARTBEAT_TIMEOUT: ms to wait for traffic after a PING (>= 0; the default -1 means heartbeatInterval). Default -1. */
  heartbeatTimeout: number
  /**
   * ZMQ_HEARTBEAT_TTL: ms the peer should wait for our traffic, sent in PINGs (0 = none). Held in
   * deciseconds as libzmq holds it (0 to 6553599 ms, read back rounded down to 100 ms). Default 0.
   */
  heartbeatTimeToLive: number
  /** ZMQ_PLAIN_SERVER: act as PLAIN server (RFC 24), checking credentials with the ZAP handler. Default false. */
  plainServer: boolean
  /** ZMQ_PLAIN_USERNAME: username a PLAIN client sends (selects PLAIN as client; null selects NULL). Default null. */
  plainUsername: string | Buffer | null
  /** ZMQ_PLAIN_PASSWORD: password a PLAIN client sends (selects PLAIN as client). Default null. */
  plainPassword: string | Buffer | null
  /** ZMQ_CURVE_SERVER: act as CURVE server (RFC 26); needs curveSecretKey. Default false. */
  curveServer: boolean
  /** ZMQ_CURVE_PUBLICKEY: our long-term public key, Z85 (40 characters) or 32 octets; read back as Z85 (zeromq.js cannot read it). Default null. */
  curvePublicKey: string | Uint8Array | null
  /** ZMQ_CURVE_SECRETKEY: our long-term secret key, Z85 or 32 octets; read back as Z85. Default null. */
  curveSecretKey: string | Uint8Array | null
  /** ZMQ_CURVE_SERVERKEY: the server's long-term public key (selects CURVE as client), Z85 or 32 octets. Default null. */
  curveServerKey: string | Uint8Array | null
  /** ZMQ_ZAP_DOMAIN: domain sent in ZAP requests (RFC 27), 1-255 octets; cannot be unset (libzmq >= 4.2.4). Default null. */
  zapDomain: string | Buffer | null
  /** ZMQ_AFFINITY: I/O thread affinity bitmask. No effect in zmtp (no I/O threads; it runs on Node's event loop). Default 0. */
  affinity: number
  /** ZMQ_RATE: multicast data rate in kbit/s (> 0). No effect in zmtp (no PGM/NORM transport). Default 100. */
  rate: number
  /** ZMQ_RECOVERY_IVL: multicast recovery interval in ms (>= 0). No effect in zmtp (no PGM/NORM transport). Default 10000. */
  recoveryInterval: number
  /** ZMQ_MULTICAST_HOPS: multicast time-to-live (> 0). No effect in zmtp (no multicast transport). Default 1. */
  multicastHops: number
  /** ZMQ_MULTICAST_MAXTPDU: largest multicast datagram in octets (> 0). No effect in zmtp (no multicast transport). Default 1500. */
  multicastMaxTransportDataUnit: number
  /** ZMQ_SNDBUF: kernel send buffer size (-1 = the system's). No effect in zmtp (Node's net module cannot set SO_SNDBUF). Default -1. */
  sendBufferSize: number
  /** ZMQ_RCVBUF: kernel receive buffer size (-1 = the system's). No effect in zmtp (Node's net module cannot set SO_RCVBUF). Default -1. */
  receiveBufferSize: number
  /**
   * ZMQ_BACKLOG: listen(2)'s queue of TCP/IPC connections not yet accepted (>= 0), read at bind.
   * 0 gives Node's default, 511 (Node takes 0 as "unset"). Default 100.
   */
  backlog: number
  /**
   * ZMQ_TCP_KEEPALIVE: SO_KEEPALIVE on TCP connections (-1 = the system's, 0 off, 1 on), read at
   * bind for accepted ones and at connect() for connected ones, as libzmq copies options. Default -1.
   */
  tcpKeepalive: number
  /**
   * ZMQ_TCP_KEEPALIVE_CNT (>= -1). No effect in zmtp: Node 20 cannot set TCP_KEEPCNT (its
   * setKeepAlive sets 10 whenever it turns keep-alive on; nodejs/node#63825, merged in 2026, adds a
   * count for the Node release that carries it). Default -1.
   */
  tcpKeepaliveCount: number
  /** ZMQ_TCP_KEEPALIVE_IDLE: TCP_KEEPIDLE in seconds when tcpKeepalive is 1 (>= -1; -1 = the system's). Default -1. */
  tcpKeepaliveIdle: number
  /**
   * ZMQ_TCP_KEEPALIVE_INTVL (>= -1). No effect in zmtp: Node 20 cannot set TCP_KEEPINTVL (its
   * setKeepAlive sets 1 s whenever it turns keep-alive on; see tcpKeepaliveCount). Default -1.
   */
  tcpKeepaliveInterval: number
  /** ZMQ_TCP_MAXRT: TCP_USER_TIMEOUT in ms (>= 0). No effect in zmtp (Node cannot set it). Default 0. */
  tcpMaxRetransmitTimeout: number
  /** ZMQ_TOS: IP type of service (>= 0). No effect in zmtp (Node cannot set IP_TOS on TCP sockets). Default 0. */
  typeOfService: number
  /**
   * ZMQ_IPV6: as in libzmq, a bind to `*` listens on `::`, dual-stack (IPv4 peers arrive
   * IPv4-mapped), an IPv4 address is bound IPv4-mapped, and host names (endpoints and socksProxy)
   * resolve to IPv6 addresses, or IPv4-mapped ones where a host has none. Without it `*` is
   * `0.0.0.0` and host names resolve to IPv4 only. IPv6 literals work either way (libzmq refuses
   * them without it). Default false.
   */
  ipv6: boolean
  /** ZMQ_LOOPBACK_FASTPATH: Windows SIO_LOOPBACK_FAST_PATH. No effect in zmtp (nor in libzmq off Windows). Default false. */
  loopbackFastPath: boolean
  /**
   * ZMQ_TCP_ACCEPT_FILTER: an address (`10.0.0.1`) or network (`10.0.0.0/8`) allowed to connect to
   * this socket's TCP listeners; each set adds one, null clears them. With any set, a TCP connection
   * from elsewhere is closed as soon as it is accepted, as libzmq does (ipc and inproc are not
   * filtered). An IPv6 filter needs `ipv6`, as in libzmq. Not readable (EINVAL), as in zeromq.js.
   * Default: no filter.
   */
  tcpAcceptFilter: string | Buffer | null
  /**
   * ZMQ_SOCKS_PROXY: `host:port` of a SOCKS5 proxy (RFC 1928) that TCP connects go through, read at
   * connect() (an endpoint's reconnects keep what it had then). As libzmq: no authentication offered; the endpoint's host is sent as given (a
   * name unresolved, ATYP 3); events name the proxy (`tcp://host:port`); a refusal or a bad reply
   * fails the attempt ("close", then "connect:retry"). Default null.
   */
  socksProxy: string | Buffer | null
  /**
   * ZMQ_WSS_CERT_PEM: the certificate chain (PEM) a `wss://` bind presents, read at bind. Needs
   * wssKeyPem. Unused for a bind on an https.Server given to bind() (it has its own). Default null.
   */
  wssCertPem: string | Buffer | null
  /** ZMQ_WSS_KEY_PEM: the private key (PEM) of wssCertPem, read at bind. Default null. */
  wssKeyPem: string | Buffer | null
  /**
   * ZMQ_WSS_TRUST_PEM: certificate authorities (PEM) a `wss://` connect trusts, read at connect().
   * When set, only these are trusted unless wssTrustSystem is true; when null, Node's bundled root
   * authorities are (libzmq trusts none then). Default null.
   */
  wssTrustPem: string | Buffer | null
  /**
   * ZMQ_WSS_HOSTNAME: the name a `wss://` connect sends (SNI) and checks the server's certificate
   * against, read at connect(); null uses the endpoint's host. Default null.
   */
  wssHostname: string | Buffer | null
  /** ZMQ_WSS_TRUST_SYSTEM: with wssTrustPem set, trust the system's root authorities too. Default false. */
  wssTrustSystem: boolean
  /**
   * zmtp extension (libzmq has no such option; 1000 is zmtp's number for it): the origins a
   * `ws://` or `wss://` bind accepts upgrades from, read at bind: a comma- or space-separated list
   * of RFC 6454 origins (`https://app.example,http://127.0.0.1:8080`). An upgrade whose `Origin`
   * header is none of them is refused with 403 and an accept:error (EACCES). A browser always sends
   * `Origin` (WebSocket has no same-origin policy, so any page can reach the port); libzmq and
   * other non-browser clients send none, and a request without one is accepted. Default null: any.
   */
  wsOrigins: string | Buffer | null
  /** ZMQ_BINDTODEVICE: network interface to bind to (at most 16 octets). Refused (EINVAL) unless null: Node cannot set SO_BINDTODEVICE. Default null. */
  interface: string | Buffer | null
  /**
   * ZMQ_ZAP_ENFORCE_DOMAIN, as libzmq 4.3.5: with a zapDomain set, a NULL or CURVE server fails the
   * handshake (handshake:error:other, EFAULT) when no ZAP handler is bound, instead of accepting;
   * without a zapDomain a CURVE server does not ask ZAP at all. PLAIN always needs a handler (with
   * true and no domain libzmq aborts the process; zmtp fails the handshake as without it). Default false.
   */
  zapEnforceDomain: boolean
  /**
   * ZMQ_VMCI_BUFFER_SIZE: for `vmci://` endpoints, which Node cannot open. No effect in zmtp:
   * accepted and read back, as libzmq built with VMCI takes it (zeromq.js's libzmq, built without,
   * answers EINVAL). Default 0.
   */
  vmciBufferSize: number
  /** ZMQ_VMCI_BUFFER_MIN_SIZE. No effect in zmtp, as vmciBufferSize. Default 0. */
  vmciBufferMinSize: number
  /** ZMQ_VMCI_BUFFER_MAX_SIZE. No effect in zmtp, as vmciBufferSize. Default 0. */
  vmciBufferMaxSize: number
  /** ZMQ_VMCI_CONNECT_TIMEOUT. No effect in zmtp, as vmciBufferSize. Default -1. */
  vmciConnectTimeout: number
}

/** ZMQ_PROBE_ROUTER: send an empty message to each new peer on connect (DEALER, REQ, ROUTER). Default false. */
interface ProbeRouterOption {
  probeRouter: boolean
}

/** DEALER options. */
export interface DealerOptions extends SocketOptions, ProbeRouterOption {
  /** ZMQ_CONFLATE: keep only the last message in each queue. false is accepted; true is refused (EINVAL): zmtp does not conflate yet. Default false. */
  conflate: boolean
}

/** REQ options. */
export interface RequestOptions extends SocketOptions, ProbeRouterOption {
  /** ZMQ_REQ_CORRELATE: tag requests with an id and drop replies that do not match. Default false. */
  correlate: boolean
  /** ZMQ_REQ_RELAXED: allow a new request before the reply, dropping the old one. Default false. */
  relaxed: boolean
}

/** ROUTER options. */
export interface RouterOptions extends SocketOptions, ProbeRouterOption {
  /**
   * ZMQ_CONNECT_ROUTING_ID (zmtp property; zeromq.js reaches it only as `setStringOption(61, id)`):
   * routing id the ROUTER gives the peer of its next connect() call (UTF-8, same rules as routingId).
   * That call takes it, whether it succeeds or throws. Default null.
   */
  connectRoutingId: string | Buffer | null
  /** ZMQ_ROUTER_MANDATORY: reject unroutable sends with EHOSTUNREACH (and full pipes with EAGAIN). Default false. */
  mandatory: boolean
  /** ZMQ_ROUTER_HANDOVER: a new peer with an existing routing id takes it over. Default false. */
  handover: boolean
}

/**
 * How libzmq holds an option, which decides the JS type of its property and which generic accessor
 * reaches it: `bool`, `int32` and `uint32` are a C int (getBoolOption, getInt32Option and
 * getUint32Option all read it), `int64` and `uint64` eight octets (getInt64Option, getUint64Option),
 * `string` octets (getStringOption).
 */
export type OptionType = "bool" | "int32" | "uint32" | "int64" | "uint64" | "string"

/** One row of the table. */
export interface OptionSpec {
  /** libzmq's option number (zmq.h), the key of the generic accessors. */
  readonly id: number
  readonly type: OptionType
  /** The value of a new socket (a number, boolean, bigint for uint64, or octets/null for strings). */
  readonly default: unknown
  /** libzmq's check of a value after the conversion zeromq.js makes; false means EINVAL. */
  readonly valid?: (v: never) => boolean
  /** What libzmq keeps of a valid value (heartbeatTimeToLive keeps whole deciseconds). */
  readonly keep?: (v: number) => number
  /**
   * How a bool option takes a C int: only 0 and 1 when absent; any int >= 0 (`nonnegative`, the
   * socket-type options) or any int (`any`) otherwise, as libzmq 4.3.5 does.
   */
  readonly relaxed?: "nonnegative" | "any"
  /** A value zmtp cannot honour (EINVAL), see the option's doc. */
  readonly refuse?: (v: never) => boolean
  /** Read-only (a getter without setter, as zeromq.js defines it). */
  readonly readOnly?: boolean
  /** Not readable (zeromq.js cannot read it either): reading throws EINVAL. */
  readonly unreadable?: boolean
  /** libzmq without the transport: EINVAL on reading and setting. */
  readonly unsupported?: boolean
  /**
   * Set after bind or connect without zeromq.js's warning that it takes effect only on the next
   * one (zeromq.js's list: these apply at once).
   */
  readonly immediate?: boolean
  /** The socket types that have it; every type when absent. */
  readonly only?: readonly SocketTypeName[]
  /** The socket types `refuse` applies to; every type when absent. */
  readonly refuseOn?: readonly SocketTypeName[]
}

const range = (min: number, max = 0x7fffffff) => (v: number) => v >= min && v <= max
/** A string option's octets: at least `min` (1 unless given), at most `max`; null allowed when `nullable`. */
const octets = (max: number, nullable: boolean) => (v: Buffer | null) => (v === null ? nullable : v.length >= 1 && v.length <= max)

/** libzmq takes a CURVE key as 32 octets or 40 Z85 characters (41 with a terminating 0x00); not null. */
const curveKey = (v: Buffer | null) => v !== null && (v.length === 32 || v.length === 40 || v.length === 41)

const SOCKETS_WITH_PROBE: readonly SocketTypeName[] = ["DEALER", "REQ", "ROUTER"]

/**
 * The table, in zeromq.js's order. Ranges are libzmq 4.3.5's (options.cpp), probed through
 * zeromq.js; `context` is the constructor's, not an option.
 */
export const optionTable = {
  sendBufferSize: { id: 11, type: "int32", default: -1, valid: range(-1) },
  sendHighWaterMark: { id: 23, type: "int32", default: 1000, valid: range(0), immediate: true },
  sendTimeout: { id: 28, type: "int32", default: -1, valid: range(-1), immediate: true },
  multicastHops: { id: 25, type: "int32", default: 1, valid: range(1) },
  receiveBufferSize: { id: 12, type: "int32", default: -1, valid: range(-1) },
  receiveHighWaterMark: { id: 24, type: "int32", default: 1000, valid: range(0), immediate: true },
  receiveTimeout: { id: 27, type: "int32", default: -1, valid: range(-1), immediate: true },
  // zmtp refuses a leading 0x00 where libzmq takes it: its ROUTER reads such an announced id as none.
  routingId: { id: 5, type: "string", default: null, valid: (v: Buffer | null) => octets(255, false)(v) && v![0] !== 0 },
  probeRouter: { id: 51, type: "bool", default: false, relaxed: "nonnegative", immediate: true, only: SOCKETS_WITH_PROBE },
  // zmtp conflates on PUB, SUB, PUSH and PULL; on DEALER it refuses true (see DealerOptions.conflate).
  conflate: { id: 54, type: "bool", default: false, refuse: (v: boolean) => v, refuseOn: ["DEALER"], only: ["DEALER", "PUB", "SUB", "PUSH", "PULL"] },
  affinity: { id: 4, type: "uint64", default: 0n },
  rate: { id: 8, type: "int32", default: 100, valid: range(1) },
  recoveryInterval: { id: 9, type: "int32", default: 10000, valid: range(0) },
  type: { id: 16, type: "int32", default: 0, readOnly: true },
  linger: { id: 17, type: "int32", default: -1, valid: range(-1), immediate: true },
  reconnectInterval: { id: 18, type: "int32", default: 100, valid: range(-1) },
  backlog: { id: 19, type: "int32", default: 100, valid: range(0) },
  reconnectMaxInterval: { id: 21, type: "int32", default: 0, valid: range(0) },
  maxMessageSize: { id: 22, type: "int64", default: -1 },
  lastEndpoint: { id: 32, type: "string", default: null, readOnly: true },
  mandatory: { id: 33, type: "bool", default: false, relaxed: "nonnegative", immediate: true, only: ["ROUTER"] },
  tcpKeepalive: { id: 34, type: "int32", default: -1, valid: range(-1, 1) },
  tcpKeepaliveCount: { id: 35, type: "int32", default: -1, valid: range(-1) },
  tcpKeepaliveIdle: { id: 36, type: "int32", default: -1, valid: range(-1) },
  tcpKeepaliveInterval: { id: 37, type: "int32", default: -1, valid: range(-1) },
  // Checked in the socket: an IPv6 filter needs the ipv6 option.
  tcpAcceptFilter: { id: 38, type: "string", default: null, unreadable: true },
  immediate: { id: 39, type: "bool", default: false },
  ipv6: { id: 42, type: "bool", default: false },
  securityMechanism: { id: 43, type: "int32", default: 0, readOnly: true },
  plainServer: { id: 44, type: "bool", default: false },
  plainUsername: { id: 45, type: "string", default: null, valid: octets(255, true) },
  plainPassword: { id: 46, type: "string", default: null, valid: octets(255, true) },
  // CURVE keys: 32 octets or 40 Z85 characters (41 with a terminating 0x00), checked by the socket.
  curveServer: { id: 47, type: "bool", default: false },
  curvePublicKey: { id: 48, type: "string", default: null, valid: curveKey },
  curveSecretKey: { id: 49, type: "string", default: null, valid: curveKey },
  curveServerKey: { id: 50, type: "string", default: null, valid: curveKey },
  correlate: { id: 52, type: "bool", default: false, relaxed: "nonnegative", immediate: true, only: ["REQ"] },
  relaxed: { id: 53, type: "bool", default: false, relaxed: "nonnegative", immediate: true, only: ["REQ"] },
  zapDomain: { id: 55, type: "string", default: null, valid: octets(255, false) },
  handover: { id: 56, type: "bool", default: false, relaxed: "nonnegative", immediate: true, only: ["ROUTER"] },
  typeOfService: { id: 57, type: "uint32", default: 0, valid: range(0) },
  connectRoutingId: { id: 61, type: "string", default: null, valid: (v: Buffer | null) => octets(255, false)(v) && v![0] !== 0, only: ["ROUTER", "STREAM"] },
  handshakeInterval: { id: 66, type: "int32", default: 30000, valid: range(0) },
  socksProxy: { id: 68, type: "string", default: null, valid: octets(0x7fffffff, true) },
  heartbeatInterval: { id: 75, type: "int32", default: 0, valid: range(0) },
  // libzmq keeps the TTL in deciseconds (it travels so in PING, RFC 37): ms / 100 must fit 16 bits.
  heartbeatTimeToLive: { id: 76, type: "int32", default: 0, valid: (v: number) => Math.trunc(v / 100) >= 0 && Math.trunc(v / 100) <= 0xffff, keep: (v: number) => Math.trunc(v / 100) * 100 },
  heartbeatTimeout: { id: 77, type: "int32", default: -1, valid: range(0) },
  connectTimeout: { id: 79, type: "int32", default: 0, valid: range(0) },
  tcpMaxRetransmitTimeout: { id: 80, type: "int32", default: 0, valid: range(0) },
  threadSafe: { id: 81, type: "bool", default: false, readOnly: true },
  multicastMaxTransportDataUnit: { id: 84, type: "int32", default: 1500, valid: range(1) },
  // libzmq built with VMCI takes any value (do_setsockopt) and starts the timeout at -1.
  vmciBufferSize: { id: 85, type: "uint64", default: 0n },
  vmciBufferMinSize: { id: 86, type: "uint64", default: 0n },
  vmciBufferMaxSize: { id: 87, type: "uint64", default: 0n },
  vmciConnectTimeout: { id: 88, type: "int32", default: -1 },
  // The draft options of libzmq's ws transport (zmq_draft.h); zeromq.js's libzmq, built without
  // wss, answers EINVAL to them.
  wssKeyPem: { id: 103, type: "string", default: null, valid: octets(0x7fffffff, true) },
  wssCertPem: { id: 104, type: "string", default: null, valid: octets(0x7fffffff, true) },
  wssTrustPem: { id: 105, type: "string", default: null, valid: octets(0x7fffffff, true) },
  wssHostname: { id: 106, type: "string", default: null, valid: octets(255, true) },
  wssTrustSystem: { id: 107, type: "bool", default: false },
  // zmtp's own (no libzmq number): see SocketOptions.wsOrigins.
  wsOrigins: { id: 1000, type: "string", default: null, valid: octets(0x7fffffff, true) },
  interface: { id: 92, type: "string", default: null, valid: octets(16, true), refuse: (v: Buffer | null) => v !== null },
  zapEnforceDomain: { id: 93, type: "bool", default: false, relaxed: "any" },
  loopbackFastPath: { id: 94, type: "bool", default: false, relaxed: "any" },
  // Publish-subscribe (RFC 29). libzmq's XPUB takes its bool options as any int >= 0.
  noDrop: { id: 69, type: "bool", default: false, relaxed: "nonnegative", only: ["PUB", "XPUB"] },
  manual: { id: 71, type: "bool", default: false, relaxed: "nonnegative", only: ["XPUB"] },
  // Any octets; none (null or empty) sends no welcome message.
  welcomeMessage: { id: 72, type: "string", default: null, only: ["XPUB"] },
  invertMatching: { id: 74, type: "bool", default: false, relaxed: "any", only: ["PUB", "SUB", "XPUB"] },
  // ZMQ_XPUB_VERBOSE and ZMQ_XPUB_VERBOSER: no properties of their own (zeromq.js folds them into
  // XPublisher.verbosity), reached by the generic accessors and by that property.
  xpubVerbose: { id: 40, type: "bool", default: false, relaxed: "nonnegative", immediate: true, only: ["XPUB"] },
  xpubVerboser: { id: 78, type: "bool", default: false, relaxed: "nonnegative", immediate: true, only: ["XPUB"] },
  // ZMQ_SUBSCRIBE and ZMQ_UNSUBSCRIBE: what Subscriber.subscribe()/unsubscribe() set, as zeromq.js's
  // do (setStringOption(6, prefix)); XPUB takes them in manual mode. Write-only, no property.
  subscription: { id: 6, type: "string", default: null, immediate: true, unreadable: true, only: ["SUB", "XPUB"] },
  unsubscription: { id: 7, type: "string", default: null, immediate: true, unreadable: true, only: ["SUB", "XPUB"] },
  // ZMQ_STREAM_NOTIFY: write-only in libzmq and zeromq.js; read back here like the other write-only
  // socket-type options (noDrop, conflate, manual).
  notify: { id: 73, type: "bool", default: true, only: ["STREAM"] },
} as const satisfies Record<string, OptionSpec>

/** An option's name. */
export type OptionName = keyof typeof optionTable

/** The option specs by libzmq number. */
export const optionById: ReadonlyMap<number, OptionName> = new Map(
  Object.entries(optionTable).map(([name, spec]) => [spec.id, name as OptionName]),
)

/** The spec of an option (typed loosely, for the accessors). */
export function optionSpec(name: string): OptionSpec | undefined {
  return (optionTable as Record<string, OptionSpec>)[name]
}

/** True if sockets of type `t` have the option. */
export function hasOption(name: string, t: SocketTypeName): boolean {
  const spec = optionSpec(name)
  return spec !== undefined && (spec.only === undefined || spec.only.includes(t))
}

/** Every settable option at its default (what a new socket holds; read-only ones are computed). */
export function optionDefaults(): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(optionTable) as [string, OptionSpec][]) if (!v.readOnly) o[k] = v.default
  return o
}

// ---- the conversions zeromq.js makes (napi) before libzmq sees a value ---------------------------

/** napi_get_value_int32: ToInt32 (NaN and the infinities give 0, larger values wrap). */
export const toInt32 = (v: number): number => v | 0
/** napi_get_value_uint32: ToUint32. */
export const toUint32 = (v: number): number => v >>> 0

const TWO_63 = 2 ** 63
const TWO_64 = 2 ** 64

/** napi_get_value_int64: NaN and the infinities give 0, the rest is truncated and clamped to 64 bits. */
export function toInt64(v: number): bigint {
  if (!Number.isFinite(v)) return 0n
  if (v >= TWO_63) return (1n << 63n) - 1n
  if (v <= -TWO_63) return -(1n << 63n)
  return BigInt(Math.trunc(v))
}

/**
 * zeromq.js's uint64 conversion: negative gives 0, 2^64 and beyond (and +Infinity) the largest
 * value, NaN 2^63 (what the C cast yields on x86-64). Beyond Number.MAX_SAFE_INTEGER zeromq.js also
 * warns; the caller does.
 */
export function toUint64(v: number): bigint {
  if (Number.isNaN(v)) return 1n << 63n
  if (v < 0) return 0n
  if (v >= TWO_64) return (1n << 64n) - 1n
  return BigInt(Math.trunc(v))
}

/** The process warning zeromq.js emits for a uint64 value a double cannot hold exactly. */
export const UINT64_WARNING = "Value is larger than Number.MAX_SAFE_INTEGER and may have been rounded inaccurately."

/** The process warning zeromq.js emits when an option is set on a socket already bound or connected. */
export const LATE_OPTION_WARNING = "Socket option will not take effect until next connect/bind."

/** A string option's value as octets (a string is UTF-8, a Buffer or other view its bytes), or null. */
export function toOctets(v: string | ArrayBufferView | null): Buffer | null {
  if (v === null) return null
  if (typeof v === "string") return Buffer.from(v, "utf8")
  return Buffer.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
}

/**
 * A string option read back as zeromq.js reads it: libzmq hands over C octets, which zeromq.js turns
 * into a JS string up to the first 0x00 (UTF-8, invalid sequences as U+FFFD); none at all is null.
 */
export function fromOctets(v: Buffer | null): string | null {
  if (v === null || v.length === 0) return null
  const nul = v.indexOf(0)
  return (nul < 0 ? v : v.subarray(0, nul)).toString("utf8")
}

/** The TypeError zeromq.js throws for a value of the wrong JS type, by option type. */
export function typeMismatch(type: OptionType, value: unknown): TypeError | undefined {
  switch (type) {
    case "bool":
      return typeof value === "boolean" ? undefined : new TypeError("Option value must be a boolean")
    case "string":
      return typeof value === "string" || value === null || ArrayBuffer.isView(value) ? undefined : new TypeError("Option value must be a string or buffer")
    default:
      return typeof value === "number" ? undefined : new TypeError("Option value must be a number")
  }
}

/**
 * Checks a value given for a socket option the way zeromq.js and libzmq do, and returns what the
 * socket keeps: TypeError for the wrong JS type (zeromq.js's text), EINVAL for a value libzmq refuses
 * or zmtp cannot honour. Strings come back as octets, uint64 as bigint.
 */
export function checkSocketOption(name: string, value: unknown, type?: SocketTypeName): unknown {
  const spec = optionSpec(name)
  if (!spec || spec.readOnly) throw zerr("EINVAL")
  const bad = typeMismatch(spec.type, value)
  if (bad) throw bad
  if (spec.unsupported) throw zerr("EINVAL")
  let v: unknown
  switch (spec.type) {
    case "bool":
      v = value
      break
    case "int32":
      v = toInt32(value as number)
      break
    case "uint32":
      // libzmq reads the four octets as a C int.
      v = toInt32(toUint32(value as number))
      break
    case "int64":
      v = Number(toInt64(value as number))
      break
    case "uint64":
      v = toUint64(value as number)
      break
    case "string":
      v = toOctets(value as string | ArrayBufferView | null)
      break
  }
  return finishOption(spec, v, type)
}

/** libzmq's range check, what it keeps, then zmtp's refusals. */
export function finishOption(spec: OptionSpec, v: unknown, type?: SocketTypeName): unknown {
  if (spec.valid && !(spec.valid as (x: unknown) => boolean)(v)) throw zerr("EINVAL")
  if (spec.keep) v = spec.keep(v as number)
  const refused = spec.refuseOn === undefined || (type !== undefined && spec.refuseOn.includes(type))
  if (refused && spec.refuse && (spec.refuse as (x: unknown) => boolean)(v)) throw zerr("EINVAL")
  return v
}

type Kind = "number" | "boolean" | "id" | "string" | "key"

/** How one context option is checked: its kind, default and lower bound. */
type Spec = { default: unknown; kind: Kind; min?: number }

/** Context options: declared with the Context, whose checks are libzmq's zmq_ctx_set (src/context.ts). */
export type { ContextOptions } from "./context.js"

/**
 * Checks one option value. With a table (the context's), a wrongly typed or out-of-range value throws
 * a typed EINVAL; without, it is a socket option, checked by {@link checkSocketOption}.
 */
export function checkOption(name: string, value: unknown, table?: Record<string, Spec>): unknown {
  if (!table) return checkSocketOption(name, value)
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

// ---- raw TCP (libzmq's ZMQ_STREAM) --------------------------------------------------------------

/** STREAM options (zeromq.js `Stream`). */
export interface StreamOptions extends SocketOptions {
  /**
   * ZMQ_STREAM_NOTIFY: deliver `[routing id, ""]` (an empty frame) when a peer connects and when it
   * disconnects. zeromq.js cannot read it back (write-only in libzmq); zmtp can. Default true.
   */
  notify: boolean
}

// ---- pipeline (RFC 30) and exclusive pair (RFC 31) ---------------------------------------------

/** PUSH options (zeromq.js `Push`). */
export interface PushOptions extends SocketOptions {
  /**
   * ZMQ_CONFLATE: each peer's outbound queue keeps only the newest message, whatever the high-water
   * mark, so a send never waits once there is a peer (zmtp keeps the whole message; libzmq keeps one
   * frame of a multipart one). Default false.
   */
  conflate: boolean
}

/** PULL options (zeromq.js `Pull`). */
export interface PullOptions extends SocketOptions {
  /** ZMQ_CONFLATE: each pusher's inbound queue keeps only the newest message; reading never pauses. Default false. */
  conflate: boolean
}

/** PAIR options (zeromq.js `Pair`): the common ones. */
export type PairOptions = SocketOptions
