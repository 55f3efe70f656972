/**
 * RPC errors. Each has a stable `code` (the API; message text may change), like the socket errors.
 * A caller tells them apart with `instanceof` or by `code`:
 *
 * - {@link RemoteError}: the handler ran and threw; carries the remote error's name, message and code.
 * - {@link TimeoutError} (`ETIMEDOUT`): no reply within the timeout, after every retry.
 * - {@link RpcError} with `ERR_RPC_PROTOCOL` (a reply that is not ours to read), `ERR_RPC_CLOSED`
 *   (the client was closed while the call waited) or `EINVAL` (bad arguments).
 * - Refusals travel back like a handler's error, so they arrive as a {@link RemoteError} with the
 *   refusal's code: `ERR_RPC_NO_METHOD`, `ERR_RPC_TOPIC`, `ERR_RPC_VERSION` from the server,
 *   `ERR_RPC_HANDLER_TIMEOUT` (the server's `handlerTimeout` ran out), and `ERR_RPC_UNAVAILABLE` from
 *   the broker (the topic had too many requests waiting for a server, or none took it in time) or
 *   from the server (its outcome store failed, gave a malformed claim, or did not answer within
 *   `storeTimeout`; the handler did not run for that request).
 */

/** Codes of errors raised by the RPC layer itself (handler errors keep their own code). */
export type RpcErrorCode =
  | "ETIMEDOUT"
  | "EINVAL"
  | "ERR_RPC_REMOTE"
  | "ERR_RPC_PROTOCOL"
  | "ERR_RPC_VERSION"
  | "ERR_RPC_CLOSED"
  | "ERR_RPC_NO_METHOD"
  | "ERR_RPC_TOPIC"
  | "ERR_RPC_ENCODE"
  | "ERR_RPC_UNAVAILABLE"
  | "ERR_RPC_HANDLER_TIMEOUT"

/** Base class of every error the RPC layer raises. */
export class RpcError extends Error {
  /** Stable machine-readable code. */
  readonly code: string

  constructor(code: string, message: string) {
    super(message)
    this.name = "RpcError"
    this.code = code
  }
}

/** What travels back to the caller when a handler throws. */
export interface WireError {
  /** The thrown error's `name` ("TypeError", "RangeError", a custom class name ...). */
  name: string
  message: string
  /** The thrown error's `code`, if it had a string or number one. */
  code?: string | number
  /** The thrown error's `data` property, if any (must be msgpack-serialisable). */
  data?: unknown
}

/**
 * The handler threw. `remoteName`, `message` and `remoteCode` are the remote error's own; `code` is
 * the remote code when there was one, else `ERR_RPC_REMOTE`. `method` and `callId` say which call.
 */
export class RemoteError extends RpcError {
  /** The remote error's `name`. */
  readonly remoteName: string
  /** The remote error's `code`, exactly as thrown (undefined if it had none). */
  readonly remoteCode: string | number | undefined
  /** The remote error's `data`, if it had one. */
  readonly data: unknown
  constructor(
    wire: WireError,
    /** The method that was called. */
    readonly method: string,
    /** The call's id (the server's cache key). */
    readonly callId: string,
  ) {
    super(wire.code === undefined ? "ERR_RPC_REMOTE" : String(wire.code), wire.message)
    this.name = "RemoteError"
    this.remoteName = wire.name
    this.remoteCode = wire.code
    this.data = wire.data
  }
}

/** No reply within the timeout, after `attempts` tries (1 + retries). */
export class TimeoutError extends RpcError {
  constructor(
    readonly method: string,
    readonly callId: string,
    /** The per-attempt timeout in ms. */
    readonly timeout: number,
    /** How many times the request was sent. */
    readonly attempts: number,
  ) {
    super("ETIMEDOUT", `${method}: no reply within ${timeout} ms${attempts > 1 ? ` (${attempts} attempts)` : ""}`)
    this.name = "TimeoutError"
  }
}

/**
 * Turns anything a handler threw into what goes on the wire. Total: it never throws, whatever it is
 * given (an object without a prototype, a revoked Proxy, getters that throw, a non-string message),
 * since the server calls it on values it does not control and a throw here would leave a REP
 * socket without its reply.
 */
export function toWireError(e: unknown): WireError {
  if (isError(e)) {
    const name = read(e, "name")
    const message = read(e, "message")
    const w: WireError = { name: typeof name === "string" ? name : "Error", message: typeof message === "string" ? message : message === undefined ? "" : describe(message) }
    const code = read(e, "code")
    if (typeof code === "string" || typeof code === "number") w.code = code
    const data = read(e, "data")
    if (data !== undefined) w.data = data
    return w
  }
  return { name: "Error", message: typeof e === "string" ? e : `non-error thrown: ${describe(e)}` }
}

/** `e instanceof Error`, false where asking throws (a Proxy whose getPrototypeOf trap throws). */
function isError(e: unknown): e is Error {
  try {
    return e instanceof Error
  } catch {
    return false
  }
}

/** A property, or undefined where reading it throws (a getter, a revoked Proxy). */
function read(o: object, key: string): unknown {
  try {
    return (o as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

/** Some text for any value: String(v), else its tag ("[object Object]"), else a fixed word. */
function describe(v: unknown): string {
  try {
    return String(v)
  } catch {
    try {
      return Object.prototype.toString.call(v)
    } catch {
      return "unprintable value"
    }
  }
}
