/**
 * ZWS 2.0 framing (RFC 45 "Framing"): each ZeroMQ frame is one binary WebSocket message, a FLAG
 * octet then the frame body. There is no size field (the WebSocket message has one) and no
 * greeting (RFC 45 "Handshake": the mechanism is chosen by the WebSocket subprotocol). Pure: no I/O.
 */
import { Buffer } from "node:buffer"
import { ProtocolError } from "../errors.js"
import { FLAG_LONG } from "./frame-encoder.js"

/** RFC 45 "Framing": the frame is the last of its message. */
export const ZWS_FINAL = 0x00
/** RFC 45 "Framing": more frames of this message follow. */
export const ZWS_MORE = 0x01
/** RFC 45 "Framing": the frame is a command (name-size, name, data as in RFC 23). */
export const ZWS_COMMAND = 0x02

/**
 * The subprotocols RFC 45 "Handshake" defines that zmtp speaks ("ZWS2.0/BEARER" has no spec yet),
 * and zmtp's token-safe aliases of the mechanism forms (see {@link ZWS_TOKEN_ALIASES}).
 */
export type ZwsProtocol = "ZWS2.0" | "ZWS2.0/NULL" | "ZWS2.0/PLAIN" | "ZWS2.0/CURVE" | "ZWS2.0+NULL" | "ZWS2.0+PLAIN" | "ZWS2.0+CURVE"

/**
 * Token-safe names for RFC 45's mechanism subprotocols. A browser's WebSocket constructor (WHATWG
 * WebSockets, "new WebSocket(url, protocols)") throws a SyntaxError for a protocol that is not an
 * RFC 6455 section 4.1 / RFC 2616 `token`, and "/" is a separator, not a token character: a page
 * cannot offer "ZWS2.0/CURVE" at all. "+" is a token character that the name has nowhere else
 * ("." would read as a third version component, "ZWS2.0.CURVE"), so "ZWS2.0+CURVE" is the alias.
 * zmtp's servers accept both spellings and answer with the one the client offered; the browser
 * build offers the aliases (and bare "ZWS2.0" for NULL, which libzmq and jszmq servers speak).
 */
export const ZWS_TOKEN_ALIASES: Readonly<Record<"ZWS2.0/NULL" | "ZWS2.0/PLAIN" | "ZWS2.0/CURVE", ZwsProtocol>> = Object.freeze({
  "ZWS2.0/NULL": "ZWS2.0+NULL",
  "ZWS2.0/PLAIN": "ZWS2.0+PLAIN",
  "ZWS2.0/CURVE": "ZWS2.0+CURVE",
})

/**
 * The subprotocols a client whose WebSocket allows only RFC 6455 tokens (a browser's) offers, most
 * preferred first: the token-safe alias of {@link offeredProtocols}' names, and bare "ZWS2.0" for NULL.
 */
export function offeredTokenProtocols(mechanism: "plain" | "curve" | null): ZwsProtocol[] {
  return offeredProtocols(mechanism).map((p) => (p === "ZWS2.0" ? p : ZWS_TOKEN_ALIASES[p as keyof typeof ZWS_TOKEN_ALIASES]))
}

/**
 * The subprotocols a socket offers as a client, most preferred first, for its mechanism (null is
 * NULL). As libzmq's ws_engine offers them: NULL offers the NULL mechanism, then no mechanism.
 * CURVE is not in RFC 45; libzmq's draft transport offers "ZWS2.0/CURVE" and so do we.
 */
export function offeredProtocols(mechanism: "plain" | "curve" | null): ZwsProtocol[] {
  if (mechanism === "plain") return ["ZWS2.0/PLAIN"]
  if (mechanism === "curve") return ["ZWS2.0/CURVE"]
  return ["ZWS2.0/NULL", "ZWS2.0"]
}

/**
 * The server's choice among the client's `Sec-WebSocket-Protocol` values (RFC 45: "Server must
 * choose one of the client protocols"): the first the client lists that our mechanism speaks, as
 * libzmq takes them; undefined if none (the upgrade is then refused). `header` is the raw header
 * value (a comma-separated list, possibly given more than once, so joined by the HTTP parser).
 */
export function chooseProtocol(header: string | undefined, mechanism: "plain" | "curve" | null): ZwsProtocol | undefined {
  if (header === undefined) return undefined
  const ours = [...offeredProtocols(mechanism), ...offeredTokenProtocols(mechanism)] as string[]
  for (const p of header.split(",")) {
    const t = p.trim()
    if (ours.includes(t)) return t as ZwsProtocol
  }
  return undefined
}

/** The mechanism a subprotocol selects ("NULL", "PLAIN", "CURVE"), or undefined for "ZWS2.0" (no mechanism). */
export function protocolMechanism(p: string): string | undefined {
  // "ZWS2.0/" and the alias prefix "ZWS2.0+" have the same length.
  return p === "ZWS2.0" ? undefined : p.slice("ZWS2.0/".length)
}

/** One ZWS frame: the flag octet and the body in one buffer (one WebSocket message). */
export function encodeZwsFrame(body: Uint8Array, flags: number): Buffer {
  const out = Buffer.allocUnsafe(1 + body.length)
  out[0] = flags
  out.set(body, 1)
  return out
}

/** A decoded ZWS frame: the body is a view into the message. */
export interface ZwsFrame {
  more: boolean
  command: boolean
  body: Buffer
}

/**
 * Decodes one WebSocket message as a ZWS frame. An empty message or a flag octet other than the
 * three RFC 45 defines is a protocol violation (ERR_ZMTP_FRAME): the other bits are unassigned, as
 * RFC 23's reserved flag bits are, and a peer setting them speaks something else.
 */
export function decodeZwsFrame(msg: Buffer): ZwsFrame {
  if (msg.length === 0) throw new ProtocolError("ERR_ZMTP_FRAME", "empty ZWS message (no flag octet)")
  const flags = msg[0]!
  if (flags !== ZWS_FINAL && flags !== ZWS_MORE && flags !== ZWS_COMMAND) {
    throw new ProtocolError("ERR_ZMTP_FRAME", `invalid ZWS flag octet 0x${flags.toString(16).padStart(2, "0")}`)
  }
  return { more: flags === ZWS_MORE, command: flags === ZWS_COMMAND, body: msg.subarray(1) }
}

/**
 * Splits buffers of whole ZMTP frames (RFC 23 framing: flags, 1- or 8-octet size, body), as the
 * mechanisms produce them for the stream transports, into their bodies and command bits, so that
 * one mechanism serves both framings.
 */
export function zmtpFrames(wire: Buffer): { body: Buffer; command: boolean }[] {
  const out: { body: Buffer; command: boolean }[] = []
  let o = 0
  while (o < wire.length) {
    const flags = wire[o]!
    let size: number
    let start: number
    if (flags & FLAG_LONG) {
      size = wire.readUInt32BE(o + 1) * 0x100000000 + wire.readUInt32BE(o + 5)
      start = o + 9
    } else {
      size = wire[o + 1]!
      start = o + 2
    }
    out.push({ body: wire.subarray(start, start + size), command: (flags & 0x04) !== 0 })
    o = start + size
  }
  return out
}
