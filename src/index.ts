/**
 * zmtp: ZeroMQ (ZMTP 3.x) for Node.js in pure TypeScript. The API mirrors zeromq.js v6 for REQ, REP,
 * DEALER and ROUTER, so switching is a change of import.
 */
export { Dealer } from "./sockets/dealer.js"
export { Proxy, type ProxyStatistics } from "./proxy.js"
export { Router } from "./sockets/router.js"
export { Request } from "./sockets/request.js"
export { Reply } from "./sockets/reply.js"
export { Publisher } from "./sockets/publisher.js"
export { Subscriber } from "./sockets/subscriber.js"
export { XPublisher } from "./sockets/xpublisher.js"
export { XSubscriber } from "./sockets/xsubscriber.js"
export type { PublisherOptions, SubscriberOptions, XPublisherOptions, XSubscriberOptions } from "./options.js"
export { MAX_PEER_SUBSCRIPTIONS, MAX_PEER_SUBSCRIPTION_OCTETS } from "./routing/subscriptions.js"
export { SocketBase as Socket, type SocketStatistics } from "./sockets/socket-base.js"
export type { Message, MessageLike } from "./sockets/message.js"
export { Observer, type EventType, type SocketEvent } from "./events.js"
export { ZmtpError, ProtocolError, type ZmtpErrorCode } from "./errors.js"
export { AuthError } from "./mechanisms/mechanism.js"
export { curveKeyPair, curvePublicKey, type CurveKeyPair } from "./mechanisms/curve-keys.js"
export { z85Encode, z85Decode } from "./mechanisms/z85.js"
export type { SocketOptions, RequestOptions, RouterOptions, ContextOptions } from "./options.js"
export { Context, context } from "./context.js"

/** The ZMTP protocol version zmtp speaks (and announces in its greeting). */
export const version = "3.1"
export * from "./rpc/index.js"
