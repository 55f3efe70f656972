/**
 * Commands and metadata (RFC 23 "Commands", "The NULL Security Mechanism"; RFC 37 "Connection
 * Heartbeat"). Pure.
 */
import { Buffer } from "node:buffer"
import { ProtocolError } from "../errors.js"
import { FLAG_COMMAND, headerSize, writeHeader } from "./frame-encoder.js"

/** A decoded command: its name and the data after the name. */
export interface Command {
  name: string
  data: Buffer
}

/** Metadata properties; names are kept lower-cased because RFC 23 says case SHALL NOT be significant. */
export type Metadata = Map<string, Buffer>

/** Splits a command body into name and data (RFC 23: command-body = command-name command-data). */
export function decodeCommand(body: Buffer): Command {
  if (body.length < 1) throw new ProtocolError("ERR_ZMTP_COMMAND", "empty command")
  const len = body[0]!
  if (len === 0 || 1 + len > body.length) throw new ProtocolError("ERR_ZMTP_COMMAND", "command name runs past the command")
  return { name: body.toString("latin1", 1, 1 + len), data: body.subarray(1 + len) }
}

/** Encodes a whole command frame (header and body in one buffer). */
export function encodeCommand(name: string, data: Buffer = Buffer.alloc(0)): Buffer {
  const bodyLen = 1 + name.length + data.length
  const out = Buffer.allocUnsafe(headerSize(bodyLen) + bodyLen)
  let o = writeHeader(out, 0, bodyLen, FLAG_COMMAND)
  out[o++] = name.length
  o += out.write(name, o, "latin1")
  data.copy(out, o)
  return out
}

/** Encodes metadata properties (RFC 23: name-size name value-size(4, network order) value). */
export function encodeMetadata(props: ReadonlyArray<readonly [string, Buffer | string]>): Buffer {
  const parts: Buffer[] = []
  for (const [name, v] of props) {
    if (name.length < 1 || name.length > 255) throw new RangeError(`invalid property name ${JSON.stringify(name)}`)
    const value = typeof v === "string" ? Buffer.from(v) : v
    const head = Buffer.allocUnsafe(1 + name.length + 4)
    head[0] = name.length
    head.write(name, 1, "latin1")
    head.writeUInt32BE(value.length, 1 + name.length)
    parts.push(head, value)
  }
  return Buffer.concat(parts)
}

/**
 * Decodes metadata. Every length is checked against what remains before it is used: a property whose
 * length runs past the command is a protocol error, not a crash (zmq.rs #286).
 */
export function decodeMetadata(data: Buffer): Metadata {
  const props: Metadata = new Map()
  let i = 0
  while (i < data.length) {
    const nameLen = data[i]!
    if (nameLen === 0) throw new ProtocolError("ERR_ZMTP_INVALID_METADATA", "zero-sized property name")
    if (i + 1 + nameLen + 4 > data.length) throw new ProtocolError("ERR_ZMTP_INVALID_METADATA", "property name runs past the command")
    const name = data.toString("latin1", i + 1, i + 1 + nameLen).toLowerCase()
    i += 1 + nameLen
    const valueLen = data.readUInt32BE(i)
    i += 4
    if (valueLen > data.length - i) throw new ProtocolError("ERR_ZMTP_INVALID_METADATA", `property ${name} runs past the command`)
    props.set(name, data.subarray(i, i + valueLen))
    i += valueLen
  }
  return props
}

/** READY command with the given properties. */
export function encodeReady(props: ReadonlyArray<readonly [string, Buffer | string]>): Buffer {
  return encodeCommand("READY", encodeMetadata(props))
}

/** ERROR command (RFC 23: error-reason = short-size 0*255VCHAR). */
export function encodeError(reason: string): Buffer {
  const r = Buffer.from(reason.slice(0, 255), "latin1")
  return encodeCommand("ERROR", Buffer.concat([Buffer.from([r.length]), r]))
}

/** Reads the reason of an ERROR command, tolerating a short body. */
export function decodeErrorReason(data: Buffer): string {
  if (data.length < 1) return ""
  return data.toString("latin1", 1, Math.min(data.length, 1 + data[0]!))
}

/**
 * PING (RFC 37): ping-ttl (2 octets, network order, tenths of a second) then up to 16 octets of
 * context.
 */
export function encodePing(ttlDeciseconds: number, context: Buffer = Buffer.alloc(0)): Buffer {
  // RFC 37: the context MUST NOT exceed 16 octets.
  if (context.length > 16) context = context.subarray(0, 16)
  const data = Buffer.allocUnsafe(2 + context.length)
  data.writeUInt16BE(Math.max(0, Math.min(0xffff, ttlDeciseconds)), 0)
  context.copy(data, 2)
  return encodeCommand("PING", data)
}

/** Decodes a PING's TTL and context. */
export function decodePing(data: Buffer): { ttl: number; context: Buffer } {
  if (data.length < 2) throw new ProtocolError("ERR_ZMTP_COMMAND", "PING shorter than its TTL field")
  return { ttl: data.readUInt16BE(0), context: data.subarray(2, 2 + 16) }
}

/** PONG (RFC 37): echoes the PING's context. */
export function encodePong(context: Buffer): Buffer {
  return encodeCommand("PONG", context)
}
