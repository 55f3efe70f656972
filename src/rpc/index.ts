/**
 * RPC on top of the sockets: msgpack request/reply through a ROUTER/DEALER broker to REP servers.
 * See protocol.ts for the wire format, client.ts and server.ts for the semantics.
 */
export { RpcClient, RPC_SOCKET_DEFAULTS, type RpcClientOptions, type CallOptions, type RpcClientStats } from "./client.js"
export { RpcServer, type RpcServerOptions, type RpcServerStats, type Handler, type CallContext } from "./server.js"
export { Broker, type BrokerOptions, type BrokerStats } from "./broker.js"
export { RpcError, RemoteError, TimeoutError, type RpcErrorCode, type WireError } from "./errors.js"
export { PROTOCOL_VERSION, DEFAULT_TOPIC } from "./protocol.js"
export { MemoryOutcomeStore, type OutcomeStore, type Claim } from "./outcome-cache.js"
