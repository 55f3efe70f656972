/**
 * The seam between a message-oriented transport (a WebSocket) and the ZWS engine. The engine sees
 * only this interface, so it runs on `ws` in Node (transport/ws-node.ts) and could run on a
 * browser's global WebSocket with an adapter of a few lines: send, receive, pause, close, and
 * back-pressure from `bufferedAmount`. Nothing here names a Node built-in.
 */
import type { Buffer } from "node:buffer"
import type { ZmtpError } from "../errors.js"

/** What a message transport reports to its engine. */
export interface MessageTransportHandlers {
  /** One whole WebSocket message. `binary` is false for a text message (RFC 45 refuses those). */
  message(data: Buffer, binary: boolean): void
  /**
   * The connection is gone (closed by either side, or broken). Reported once; `error` when the
   * transport itself refused what the peer sent (a message over the size limit, a framing fault).
   */
  close(error?: ZmtpError): void
  /** The peer proved alive without a message (a WebSocket pong): resets heartbeat timeouts. */
  alive(): void
}

/** A connection that carries whole binary messages, after its opening handshake. */
export interface MessageTransport {
  /** Marks the object as a message transport (the socket tells it from a byte stream by this). */
  readonly messageTransport: true
  /** The subprotocol the opening handshake agreed (RFC 45: "ZWS2.0", "ZWS2.0/NULL" ...). */
  readonly protocol: string
  /** True on the side that opened the WebSocket (the client of its opening handshake). */
  readonly client: boolean
  /** The peer's IP address, for ZAP requests (RFC 27 "address"); "" if unknown. */
  readonly remoteAddress: string
  /** Octets handed to `send` and not yet given to the operating system (WebSocket's bufferedAmount). */
  readonly bufferedAmount: number
  /** Installs the engine's handlers; messages that arrived before are delivered now. */
  setHandlers(h: MessageTransportHandlers): void
  /** Sends one binary message. */
  send(data: Buffer): void
  /** Calls `cb` once everything sent so far has been handed to the operating system. */
  onDrained(cb: () => void): void
  /**
   * True where pause() cannot stop the peer sending (a browser's WebSocket reads all that comes):
   * the transport holds what arrives, up to a bound, so a socket that may drop (SUB) is not paused.
   */
  readonly cannotPushBack?: boolean
  /** Stops delivering messages (back-pressure); a few already read may still come. */
  pause(): void
  resume(): void
  /**
   * Sends a WebSocket ping, where the platform can (libzmq's ws transport heartbeats with WebSocket
   * ping and pong, not ZMTP PING); absent on a browser's WebSocket.
   */
  ping?(): void
  /**
   * Largest message the transport accepts from now on, in octets (0: no limit). The transport
   * refuses a larger one from its header, before buffering it. Optional: the engine checks too.
   */
  setMaxPayload?(octets: number): void
  /** Starts the closing handshake after what was sent (`code` per RFC 6455 section 7.4). */
  close(code: number, reason?: string): void
  /** Drops the connection at once. */
  terminate(): void
}

/** True for a {@link MessageTransport} (rather than a byte stream such as a net.Socket). */
export function isMessageTransport(x: unknown): x is MessageTransport {
  return typeof x === "object" && x !== null && (x as { messageTransport?: unknown }).messageTransport === true
}
