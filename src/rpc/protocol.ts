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
 * Bodies are msgpack arrays, not maps, and plain msgpack throughout, so any msgpack library reads
 * and writes them (interop/rpc-msgpack.test.ts checks msgpack-python both ways). What a JS value
 * becomes on the wire:
 *
 * - `undefined`: left out of a plain object (as JSON.stringify does), nil everywhere else (an array
 *   element, a Map value, params or a result). msgpackr's own undefined (the extension d4 00 00) is
 *   never written.
 * - numbers: an integer within ±2^53 is a msgpack int of the smallest width that holds it, never a
 *   float (-0 is int 0). Other numbers (fractions, NaN, ±Infinity, integers beyond 2^53, which JS no
 *   longer holds exactly) are float 64. A BigInt is an int 64 (or uint 64), and out of that range
 *   ERR_RPC_ENCODE.
 * - strings are str, Buffers and typed arrays bin, arrays and Sets arrays, plain objects, class
 *   instances (their own enumerable properties) and Maps maps.
 * - a Date is the msgpack timestamp extension (type -1), the one extension the msgpack spec defines
 *   (msgpack-python reads it as msgpack.Timestamp). No other extension is written (records off).
 * - an Error is the array [name, message, nil] and a RegExp the array [source, flags] (msgpackr's
 *   plain forms, no extension).
 *
 * Reading: an int beyond ±2^53 becomes a BigInt (so a 64-bit id from another language keeps its
 * value, and goes back out as the same int); a float with a whole value (3.0) becomes a number
 * like 3, which then goes out as an int; bin becomes a Buffer; a map becomes a plain object (keys
 * as strings); the timestamp extension becomes a Date. A body with any other extension type, or a
 * map keyed by arrays or maps, is refused as ERR_RPC_PROTOCOL.
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

/**
 * msgpackr, set up for plain msgpack (see the header): records and moreTypes off (both are msgpackr
 * extensions), undefined skipped in objects and nil elsewhere, and 64-bit ints read as numbers while
 * exact, else as BigInt. `skipValues` and int64AsType "auto" are msgpackr options its typings lack.
 */
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  encodeUndefinedAsNil: true,
  skipValues: [undefined],
  int64AsType: "auto",
} as unknown as ConstructorParameters<typeof Packr>[0])

/** msgpackr writes integers beyond 32 bits as float 64; these are the ones that must become ints. */
const INT32_MIN = -0x80000000
const UINT32_MAX = 0xffffffff
const INT53 = 2 ** 53

/**
 * msgpack-encodes a value (see the header for what each JS value becomes). msgpackr hands out slices
 * of a shared buffer but never writes over a slice it returned (that is REUSE_BUFFER_MODE, which we
 * do not set), so the result may be queued as is.
 */
export function pack(value: unknown): Buffer {
  return packr.pack(wideIntsAsBigInt(value))
}

/**
 * The value with every integer beyond 32 bits and within ±2^53 replaced by the same BigInt, which
 * msgpackr writes as an int 64 where it would write a number as a float 64. Copy on write: a value
 * with no such integer is returned as it is, after one walk, and only the containers on the path to
 * one are copied (the caller's value is never changed). Walks what msgpackr walks: arrays, Sets,
 * Maps, plain objects and class instances (own enumerable properties); not byte arrays or Dates.
 */
function wideIntsAsBigInt(v: unknown): unknown {
  if (typeof v === "number") {
    return (v > UINT32_MAX || v < INT32_MIN) && v <= INT53 && v >= -INT53 && Number.isInteger(v) ? BigInt(v) : v
  }
  if (typeof v !== "object" || v === null) return v
  if (Array.isArray(v)) {
    let out: unknown[] | undefined
    for (let i = 0; i < v.length; i++) {
      const x = v[i] as unknown
      const y = wideIntsAsBigInt(x)
      if (y !== x && !out) out = v.slice(0, i)
      if (out) out.push(y)
    }
    return out ?? v
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp || v instanceof Error) return v
  if (v instanceof Map) {
    let changed = false
    const entries: [unknown, unknown][] = []
    for (const [k, x] of v) {
      const k2 = wideIntsAsBigInt(k)
      const x2 = wideIntsAsBigInt(x)
      if (k2 !== k || x2 !== x) changed = true
      entries.push([k2, x2])
    }
    return changed ? new Map(entries) : v
  }
  if (v instanceof Set) {
    const list = [...v]
    const out = wideIntsAsBigInt(list)
    return out === list ? v : out
  }
  const o = v as Record<string, unknown>
  let out: Record<string, unknown> | undefined
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue
    const x = o[k]
    const y = wideIntsAsBigInt(x)
    if (y !== x) {
      if (!out) {
        // The keys so far, in order; the rest follow as the loop goes on.
        out = {}
        for (const k0 in o) {
          if (k0 === k) break
          if (Object.prototype.hasOwnProperty.call(o, k0)) out[k0] = o[k0]
        }
      }
      out[k] = y
    } else if (out) out[k] = x
  }
  return out ?? v
}

/** Decodes one msgpack value. Throws on malformed input. */
export function unpack(buf: Buffer): unknown {
  return packr.unpack(buf)
}

/** undefined params or payload: nil (encodeUndefinedAsNil does it too; this keeps the array's shape explicit). */
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

/**
 * The `data` of a broker's own ERR_RPC_UNAVAILABLE refusal (see broker.ts). It tells a refusal that
 * proves the request never reached a server (the broker refused it before handing it to its
 * backend) from a server's ERR_RPC_UNAVAILABLE (e.g. its outcome store failed), which the client must
 * not treat as "never delivered". A client resends only the former at once to another broker.
 */
export const BROKER_REFUSAL = { refusedBy: "broker" } as const

/** True for a broker's refusal ({@link BROKER_REFUSAL}): the request was never handed to a server. */
export function isBrokerRefusal(w: WireError): boolean {
  return w.code === "ERR_RPC_UNAVAILABLE" && typeof w.data === "object" && w.data !== null && (w.data as { refusedBy?: unknown }).refusedBy === "broker"
}
