/**
 * The RPC wire format, on top of REQ/REP (RFC 28). After the REQ envelope a request is two frames,
 * a reply one:
 *
 * ```
 * request: [topic, body]   topic: UTF-8 topic name (the broker routes on it; see broker.ts)
 *                          body:  msgpack [version, kind, id, method, params]
 * reply:   [body]          body:  msgpack [version, status, id, payload]
 * ```
 *
 * - `version` is {@link PROTOCOL_VERSION}; a server answers a request of another version with an
 *   `ERR_RPC_VERSION` error, so old and new peers fail loudly, never by misreading each other.
 * - `kind`: 0 call (reply after the handler finished), 1 cast (reply as soon as the server has the
 *   request; the handler runs afterwards).
 * - `id`: the call id, unique per client and call, and unchanged when a call is retried: the server
 *   keys its outcome cache on it, so a retried call never runs twice, and the client checks that a
 *   reply carries the id it is waiting for.
 * - `status`: 0 result, 1 error (payload is a {@link WireError}), 2 cast acknowledged (payload nil).
 *
 * Bodies are msgpack arrays, not maps, and use no msgpackr extension (records are off), so any
 * msgpack library can read and write them (pyzmq + msgpack in the interop tests does).
 */
import { Packr } from "msgpackr/index-no-eval"
import { RpcError, type WireError } from "./errors.js"

/** The version every message carries. Bump it for any incompatible change of the format above. */
export const PROTOCOL_VERSION = 1
/** The topic a call names, and a broker and server serve, when none is given. */
export const DEFAULT_TOPIC = "default"

export const KIND_CALL = 0
export const KIND_CAST = 1
export const STATUS_OK = 0
export const STATUS_ERROR = 1
export const STATUS_ACK = 2

/** A decoded request body. */
export interface RequestBody {
  version: number
  kind: number
  id: string
  method: string
  params: unknown
}

/** A decoded reply body. */
export interface ReplyBody {
  version: number
  status: number
  id: string
  payload: unknown
}

// useRecords off: plain msgpack, readable by any other implementation. moreTypes off for the same reason.
const packr = new Packr({ useRecords: false, moreTypes: false })

/**
 * msgpack-encodes a value. msgpackr hands out slices of a shared buffer but never writes over a slice
 * it returned (that is REUSE_BUFFER_MODE, which we do not set), so the result may be queued as is.
 */
export function pack(value: unknown): Buffer {
  return packr.pack(value)
}

/** Decodes one msgpack value. Throws on malformed input. */
export function unpack(buf: Buffer): unknown {
  return packr.unpack(buf)
}

/** undefined is an msgpackr extension on the wire; plain msgpack has nil. */
const nil = (v: unknown) => (v === undefined ? null : v)

export function encodeRequest(kind: number, id: string, method: string, params: unknown): Buffer {
  return pack([PROTOCOL_VERSION, kind, id, method, nil(params)])
}

export function encodeReply(status: number, id: string, payload: unknown): Buffer {
  return pack([PROTOCOL_VERSION, status, id, nil(payload)])
}

/** The reply to a request that could not be read at all (no usable id). */
export function encodeError(id: string, err: WireError): Buffer {
  return encodeReply(STATUS_ERROR, id, err)
}

/**
 * Decodes a request body. Throws an RpcError (ERR_RPC_PROTOCOL or ERR_RPC_VERSION) with whatever id
 * could be read attached as `callId`, so the server can still answer it.
 */
export function decodeRequest(buf: Buffer): RequestBody {
  let v: unknown
  try {
    v = unpack(buf)
  } catch (e) {
    throw protocolError(`request is not msgpack: ${(e as Error).message}`, "")
  }
  if (!Array.isArray(v) || v.length < 5) throw protocolError("request is not a [version, kind, id, method, params] array", "")
  const [version, kind, id, method, params] = v as unknown[]
  const callId = typeof id === "string" ? id : ""
  if (version !== PROTOCOL_VERSION) {
    const e = protocolError(`protocol version ${String(version)} is not supported (this server speaks ${PROTOCOL_VERSION})`, callId)
    ;(e as { code: string }).code = "ERR_RPC_VERSION"
    throw e
  }
  if (typeof id !== "string" || id.length === 0) throw protocolError("request has no call id", callId)
  if (kind !== KIND_CALL && kind !== KIND_CAST) throw protocolError(`unknown request kind ${String(kind)}`, callId)
  if (typeof method !== "string") throw protocolError("method must be a string", callId)
  return { version, kind, id, method, params }
}

/** Decodes a reply body; throws RpcError ERR_RPC_PROTOCOL / ERR_RPC_VERSION. */
export function decodeReply(buf: Buffer): ReplyBody {
  let v: unknown
  try {
    v = unpack(buf)
  } catch (e) {
    throw protocolError(`reply is not msgpack: ${(e as Error).message}`, "")
  }
  if (!Array.isArray(v) || v.length < 4) throw protocolError("reply is not a [version, status, id, payload] array", "")
  const [version, status, id, payload] = v as unknown[]
  if (version !== PROTOCOL_VERSION) {
    const e = protocolError(`reply has protocol version ${String(version)}, expected ${PROTOCOL_VERSION}`, String(id))
    ;(e as { code: string }).code = "ERR_RPC_VERSION"
    throw e
  }
  if (typeof status !== "number" || typeof id !== "string") throw protocolError("reply has no status or id", "")
  return { version, status, id, payload }
}

/**
 * The call id of a request body, read from its first three msgpack items ([version, kind, id, ...])
 * without decoding the rest, so a broker can refuse a request cheaply whatever its params hold.
 * "" if the body does not start that way (the server answers such a request with id "" too).
 */
export function peekCallId(buf: Buffer): string {
  let at = 0
  const need = (n: number) => at + n <= buf.length
  if (!need(1)) return ""
  const head = buf[at++]!
  let items: number
  if (head >= 0x90 && head <= 0x9f) items = head & 0x0f
  else if (head === 0xdc && need(2)) (items = buf.readUInt16BE(at)), (at += 2)
  else if (head === 0xdd && need(4)) (items = buf.readUInt32BE(at)), (at += 4)
  else return ""
  if (items < 3) return ""
  // version and kind: any msgpack integer encoding.
  for (let i = 0; i < 2; i++) {
    if (!need(1)) return ""
    const b = buf[at++]!
    const extra = b <= 0x7f || b >= 0xe0 ? 0 : INT_EXTRA[b]
    if (extra === undefined || !need(extra)) return ""
    at += extra
  }
  if (!need(1)) return ""
  const s = buf[at++]!
  let len: number
  if (s >= 0xa0 && s <= 0xbf) len = s & 0x1f
  else if (s === 0xd9 && need(1)) len = buf[at++]!
  else if (s === 0xda && need(2)) (len = buf.readUInt16BE(at)), (at += 2)
  else if (s === 0xdb && need(4)) (len = buf.readUInt32BE(at)), (at += 4)
  else return ""
  return need(len) ? buf.toString("utf8", at, at + len) : ""
}

/** Bytes after the type byte of the msgpack integer formats (uint8..64, int8..64). */
const INT_EXTRA: Record<number, number> = { 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8 }

function protocolError(message: string, callId: string): RpcError & { callId: string } {
  const e = new RpcError("ERR_RPC_PROTOCOL", message) as RpcError & { callId: string }
  e.callId = callId
  return e
}

/** Reads a WireError back from a reply payload, tolerating peers that send less. */
export function wireErrorOf(payload: unknown): WireError {
  if (payload && typeof payload === "object") {
    const p = payload as Record<string, unknown>
    const w: WireError = {
      name: typeof p.name === "string" ? p.name : "Error",
      message: typeof p.message === "string" ? p.message : String(p.message ?? "remote error"),
    }
    if (typeof p.code === "string" || typeof p.code === "number") w.code = p.code
    if (p.data !== undefined && p.data !== null) w.data = p.data
    return w
  }
  return { name: "Error", message: String(payload) }
}
