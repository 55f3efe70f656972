/**
 * The numeric constants zeromq.js v5's callback API exports (`zmq.ZMQ_LINGER`, `zmq.ZMQ_PUSH` ...),
 * with libzmq's values from zmq.h, so that `sock.setsockopt(zmq.ZMQ_SNDHWM, 10)` and code comparing
 * `getsockopt(zmq.ZMQ_TYPE)` with them work unchanged. Only the names zeromq.js 6.8's
 * `zeromq/v5-compat` exports are here (a test compares the two lists).
 */

// ---- socket options (zmq_setsockopt / zmq_getsockopt numbers) -------------------------------------
/** ZMQ_AFFINITY: I/O thread affinity (accepted and read back; zmtp has no I/O threads). */
export const ZMQ_AFFINITY = 4
/** ZMQ_IDENTITY (now ZMQ_ROUTING_ID): the socket's routing id. */
export const ZMQ_IDENTITY = 5
/** ZMQ_SUBSCRIBE: add a SUB subscription (write only). */
export const ZMQ_SUBSCRIBE = 6
/** ZMQ_UNSUBSCRIBE: remove a SUB subscription (write only). */
export const ZMQ_UNSUBSCRIBE = 7
/** ZMQ_RATE: multicast data rate (no multicast in zmtp: accepted and read back). */
export const ZMQ_RATE = 8
/** ZMQ_RECOVERY_IVL: multicast recovery interval (accepted and read back). */
export const ZMQ_RECOVERY_IVL = 9
/** ZMQ_RECOVERY_IVL_MSEC: libzmq 2's name, the same number as {@link ZMQ_RECOVERY_IVL} since libzmq 3. */
export const ZMQ_RECOVERY_IVL_MSEC = 9
/** ZMQ_SNDBUF: kernel send buffer size. */
export const ZMQ_SNDBUF = 11
/** ZMQ_RCVBUF: kernel receive buffer size. */
export const ZMQ_RCVBUF = 12
/** ZMQ_RCVMORE: more frames follow (not readable in the compatibility API: messages arrive whole). */
export const ZMQ_RCVMORE = 13
/** ZMQ_FD: the socket's file descriptor (not readable in the compatibility API). */
export const ZMQ_FD = 14
/** ZMQ_EVENTS: {@link ZMQ_POLLIN} and {@link ZMQ_POLLOUT} bits. */
export const ZMQ_EVENTS = 15
/** ZMQ_TYPE: the socket type number ({@link ZMQ_REQ} ...). */
export const ZMQ_TYPE = 16
/** ZMQ_LINGER: how long (ms) unsent messages are kept after close. */
export const ZMQ_LINGER = 17
/** ZMQ_RECONNECT_IVL: reconnection interval (ms). */
export const ZMQ_RECONNECT_IVL = 18
/** ZMQ_BACKLOG: listen backlog. */
export const ZMQ_BACKLOG = 19
/** ZMQ_RECONNECT_IVL_MAX: upper bound of the reconnection back-off (ms). */
export const ZMQ_RECONNECT_IVL_MAX = 21
/** ZMQ_MAXMSGSIZE: largest inbound message (octets), -1 for none. */
export const ZMQ_MAXMSGSIZE = 22
/** ZMQ_SNDHWM: outbound high-water mark (messages). */
export const ZMQ_SNDHWM = 23
/** ZMQ_RCVHWM: inbound high-water mark (messages). */
export const ZMQ_RCVHWM = 24
/** ZMQ_MULTICAST_HOPS: multicast TTL (accepted and read back). */
export const ZMQ_MULTICAST_HOPS = 25
/** ZMQ_RCVTIMEO: receive timeout (ms); each expiry is an "error" event in the compatibility API. */
export const ZMQ_RCVTIMEO = 27
/** ZMQ_SNDTIMEO: send timeout (ms); an expiry goes to the send callback or "error". */
export const ZMQ_SNDTIMEO = 28
/** ZMQ_IPV4ONLY: the inverse of {@link ZMQ_IPV6} (read back as a boolean, as zeromq.js does). */
export const ZMQ_IPV4ONLY = 31
/** ZMQ_LAST_ENDPOINT: the endpoint last bound or connected (read only). */
export const ZMQ_LAST_ENDPOINT = 32
/** ZMQ_ROUTER_MANDATORY: ROUTER fails (EHOSTUNREACH) rather than drop an unroutable message. */
export const ZMQ_ROUTER_MANDATORY = 33
/** ZMQ_TCP_KEEPALIVE. */
export const ZMQ_TCP_KEEPALIVE = 34
/** ZMQ_TCP_KEEPALIVE_CNT. */
export const ZMQ_TCP_KEEPALIVE_CNT = 35
/** ZMQ_TCP_KEEPALIVE_IDLE. */
export const ZMQ_TCP_KEEPALIVE_IDLE = 36
/** ZMQ_TCP_KEEPALIVE_INTVL. */
export const ZMQ_TCP_KEEPALIVE_INTVL = 37
/** ZMQ_TCP_ACCEPT_FILTER (write only). */
export const ZMQ_TCP_ACCEPT_FILTER = 38
/** ZMQ_DELAY_ATTACH_ON_CONNECT (now ZMQ_IMMEDIATE). */
export const ZMQ_DELAY_ATTACH_ON_CONNECT = 39
/** ZMQ_XPUB_VERBOSE (write only). */
export const ZMQ_XPUB_VERBOSE = 40
/** ZMQ_ROUTER_RAW (refused, as in zeromq.js: use a "stream" socket). */
export const ZMQ_ROUTER_RAW = 41
/** ZMQ_IPV6. */
export const ZMQ_IPV6 = 42
/** ZMQ_MECHANISM: 0 NULL, 1 PLAIN, 2 CURVE, 3 GSSAPI (read only). */
export const ZMQ_MECHANISM = 43
/** ZMQ_PLAIN_SERVER. */
export const ZMQ_PLAIN_SERVER = 44
/** ZMQ_PLAIN_USERNAME. */
export const ZMQ_PLAIN_USERNAME = 45
/** ZMQ_PLAIN_PASSWORD. */
export const ZMQ_PLAIN_PASSWORD = 46
/** ZMQ_CURVE_SERVER. */
export const ZMQ_CURVE_SERVER = 47
/** ZMQ_CURVE_PUBLICKEY. */
export const ZMQ_CURVE_PUBLICKEY = 48
/** ZMQ_CURVE_SECRETKEY. */
export const ZMQ_CURVE_SECRETKEY = 49
/** ZMQ_CURVE_SERVERKEY. */
export const ZMQ_CURVE_SERVERKEY = 50
/** ZMQ_ZAP_DOMAIN. */
export const ZMQ_ZAP_DOMAIN = 55
/** ZMQ_ROUTER_HANDOVER (write only). */
export const ZMQ_ROUTER_HANDOVER = 56
/** ZMQ_HEARTBEAT_IVL. */
export const ZMQ_HEARTBEAT_IVL = 75
/** ZMQ_HEARTBEAT_TTL. */
export const ZMQ_HEARTBEAT_TTL = 76
/** ZMQ_HEARTBEAT_TIMEOUT. */
export const ZMQ_HEARTBEAT_TIMEOUT = 77
/** ZMQ_CONNECT_TIMEOUT. */
export const ZMQ_CONNECT_TIMEOUT = 79

// ---- context options (zmq_ctx_set numbers) --------------------------------------------------------
/** ZMQ_IO_THREADS (see {@link Context.setMaxThreads}). */
export const ZMQ_IO_THREADS = 1
/** ZMQ_MAX_SOCKETS (see {@link Context.setMaxSockets}). */
export const ZMQ_MAX_SOCKETS = 2

// ---- socket types (zmq.h; RFC 28-31) --------------------------------------------------------------
/** ZMQ_PAIR (RFC 31). */
export const ZMQ_PAIR = 0
/** ZMQ_PUB (RFC 29). */
export const ZMQ_PUB = 1
/** ZMQ_SUB (RFC 29). */
export const ZMQ_SUB = 2
/** ZMQ_REQ (RFC 28). */
export const ZMQ_REQ = 3
/** ZMQ_REP (RFC 28). */
export const ZMQ_REP = 4
/** ZMQ_DEALER (RFC 28). */
export const ZMQ_DEALER = 5
/** ZMQ_XREQ: the old name of {@link ZMQ_DEALER}. */
export const ZMQ_XREQ = 5
/** ZMQ_ROUTER (RFC 28). */
export const ZMQ_ROUTER = 6
/** ZMQ_XREP: the old name of {@link ZMQ_ROUTER}. */
export const ZMQ_XREP = 6
/** ZMQ_PULL (RFC 30). */
export const ZMQ_PULL = 7
/** ZMQ_PUSH (RFC 30). */
export const ZMQ_PUSH = 8
/** ZMQ_XPUB (RFC 29). */
export const ZMQ_XPUB = 9
/** ZMQ_XSUB (RFC 29). */
export const ZMQ_XSUB = 10
/** ZMQ_STREAM (raw TCP). */
export const ZMQ_STREAM = 11

// ---- poll states, send flags, capabilities, socket states -----------------------------------------
/** ZMQ_POLLIN: a message can be read (a bit of {@link ZMQ_EVENTS}). */
export const ZMQ_POLLIN = 1
/** ZMQ_POLLOUT: a message can be sent (a bit of {@link ZMQ_EVENTS}). */
export const ZMQ_POLLOUT = 2
/** ZMQ_POLLERR. */
export const ZMQ_POLLERR = 4
/** ZMQ_SNDMORE: `send(frames, ZMQ_SNDMORE)` holds the frames back until a send without it. */
export const ZMQ_SNDMORE = 2
/** zeromq.js v5's capability flags: monitor, disconnect, unbind and context settings all work. */
export const ZMQ_CAN_MONITOR = 1
/** See {@link ZMQ_CAN_MONITOR}. */
export const ZMQ_CAN_DISCONNECT = 1
/** See {@link ZMQ_CAN_MONITOR}. */
export const ZMQ_CAN_UNBIND = 1
/** See {@link ZMQ_CAN_MONITOR}. */
export const ZMQ_CAN_SET_CTX = 1
/** zeromq.js v5's socket states (exported for old code that compares with them). */
export const STATE_READY = 0
/** See {@link STATE_READY}. */
export const STATE_BUSY = 1
/** See {@link STATE_READY}. */
export const STATE_CLOSED = 2
