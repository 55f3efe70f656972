/**
 * Z85 (RFC 32/Z85): four octets become five printable characters. ZeroMQ writes CURVE keys this way
 * (40 characters for a 32-octet key). Pure.
 */
import { Buffer } from "node:buffer"
import { zerr } from "../errors.js"

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
/** Character code -> digit value, or -1 for a character outside the alphabet. */
const DECODE = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i

/** Encodes octets as Z85. RFC 32: the input length SHALL be a multiple of 4; throws EINVAL otherwise. */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) throw zerr("EINVAL", "Z85 input length must be a multiple of 4")
  let out = ""
  for (let i = 0; i < data.length; i += 4) {
    // Big-endian 32-bit value, then five base-85 digits, most significant first.
    let v = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0
    const chunk = new Array<string>(5)
    for (let j = 4; j >= 0; j--) {
      chunk[j] = ALPHABET[v % 85]!
      v = Math.floor(v / 85)
    }
    out += chunk.join("")
  }
  return out
}

/**
 * Decodes Z85. RFC 32: the input length SHALL be a multiple of 5. Throws EINVAL on a bad length, a
 * character outside the alphabet, or a group above 2^32-1.
 */
export function z85Decode(text: string): Buffer {
  if (typeof text !== "string" || text.length % 5 !== 0) throw zerr("EINVAL", "Z85 input length must be a multiple of 5")
  const out = Buffer.allocUnsafe((text.length / 5) * 4)
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let v = 0
    for (let j = 0; j < 5; j++) {
      const c = text.charCodeAt(i + j)
      const d = c < 128 ? DECODE[c]! : -1
      if (d < 0) throw zerr("EINVAL", `invalid Z85 character ${JSON.stringify(text[i + j])}`)
      v = v * 85 + d
    }
    if (v > 0xffffffff) throw zerr("EINVAL", "Z85 group out of range")
    out.writeUInt32BE(v, o)
  }
  return out
}
