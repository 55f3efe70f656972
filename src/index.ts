/**
 * zmtp: ZeroMQ (ZMTP 3.x) for Node.js in pure TypeScript. The API mirrors zeromq.js v6 for REQ, REP,
 * DEALER, ROUTER, PUB, SUB, XPUB, XSUB, PUSH, PULL, PAIR and STREAM, so switching is a change of import.
 */
export { Dealer } from "./sockets/dealer.js"
export { Proxy, type ProxyStatistics } from "./proxy.js"
export { Router } from "./sockets/router.js"
export { Request } from "./sockets/request.js"
export { Reply } from "./sockets/reply.js"
export { Socket } from "./sockets/socket.js"
export type { SocketStatistics } from "./sockets/socket-base.js"
export { Publisher } from "./sockets/publisher.js"
export { Subscriber } from "./sockets/subscriber.js"
export { XPublisher } from "./sockets/xpublisher.js"
export { XSubscriber } from "./sockets/xsubscriber.js"
export { Stream, type StreamConnectOptions } from "./sockets/stream.js"
export type { StreamOptions } from "./options.js"
export type { PublisherOptions, SubscriberOptions, XPublisherOptions, XSubscriberOptions } from "./options.js"
export { Push } from "./sockets/push.js"
export { Pull } from "./sockets/pull.js"
export { Pair } from "./sockets/pair.js"
export type { PushOptions, PullOptions, PairOptions } from "./options.js"
export { MAX_PEER_SUBSCRIPTIONS, MAX_PEER_SUBSCRIPTION_OCTETS } from "./routing/subscriptions.js"
export type { Message, MessageLike } from "./sockets/message.js"
export { Observer, type EventType, type SocketEvent } from "./events.js"
export { ZmtpError, ProtocolError, type ZmtpErrorCode } from "./errors.js"
export { AuthError } from "./mechanisms/mechanism.js"
export { curveKeyPair, curvePublicKey, type CurveKeyPair } from "./mechanisms/curve-keys.js"
export { z85Encode, z85Decode } from "./mechanisms/z85.js"
export type { SocketOptions, DealerOptions, RequestOptions, RouterOptions, ContextOptions } from "./options.js"
export { Context, context } from "./context.js"
export type { BindOptions, WebServer } from "./transport/ws.js"

/**
 * The libzmq version whose behaviour zmtp follows, in zeromq.js's `version` format: code that gates
 * features on `semver.satisfies(zmq.version, ">= 4.2")` works unchanged. zmtp speaks ZMTP 3.1 (RFC
 * 37) on the wire, as libzmq 4.3 does; its own release is {@link zmtpVersion}.
 */
export const version = "4.3.5"

/** zmtp's own version, as in its package.json (a test keeps the two equal). */
export const zmtpVersion = "0.1.0"

/**
 * What this build can do, with zeromq.js's keys. `ipc` where Unix domain sockets exist (not on
 * Windows, whose Node has named pipes instead); `curve` always (pure TypeScript); the multicast
 * (`pgm`, `norm`) and `tipc` transports, GSSAPI and libzmq's draft socket types zmtp does not have.
 */
export const capability: Readonly<{ ipc: boolean; pgm: boolean; tipc: boolean; norm: boolean; curve: boolean; gssapi: boolean; draft: boolean }> = Object.freeze({
  ipc: process.platform !== "win32",
  pgm: false,
  tipc: false,
  norm: false,
  curve: true,
  gssapi: false,
  draft: false,
})
export * from "./rpc/index.js"
