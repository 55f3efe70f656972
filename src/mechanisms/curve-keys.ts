/**
 * CURVE key material and the NaCl box primitives CurveZMQ uses (RFC 26 "Cryptography"), on the
 * audited pure-JS @noble libraries: X25519 for key agreement, XSalsa20-Poly1305 for boxes. Pure.
 */
import { Buffer } from "node:buffer"
import { x25519 } from "@noble/curves/ed25519"
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa"
import { randomBytes } from "node:crypto"
import { ProtocolError, zerr } from "../errors.js"
import { z85Decode, z85Encode } from "./z85.js"

/** A CURVE key pair as zeromq.js's `curveKeyPair()` returns it: both keys Z85-encoded (40 characters). */
export interface CurveKeyPair {
  publicKey: string
  secretKey: string
}

/** Generates a long-term CURVE key pair (zmq_curve_keypair). */
export function curveKeyPair(): CurveKeyPair {
  const secret = Buffer.from(x25519.utils.randomPrivateKey())
  const pub = Buffer.from(x25519.getPublicKey(secret))
  return { publicKey: z85Encode(pub), secretKey: z85Encode(secret) }
}

/** Derives the public key from a secret key (zmq_curve_public). Accepts Z85 or 32 octets. */
export function curvePublicKey(secretKey: string | Uint8Array): string {
  return z85Encode(x25519.getPublicKey(toKey(secretKey, "secret key")))
}

/**
 * Normalizes a key given as a 40-character Z85 string or 32 octets (libzmq accepts both, and a
 * 41-octet NUL-terminated Z85 string). Throws EINVAL otherwise.
 */
export function toKey(key: string | Uint8Array, what = "key"): Buffer {
  if (typeof key === "string") {
    if (key.length !== 40) throw zerr("EINVAL", `CURVE ${what} must be 40 Z85 characters or 32 octets`)
    return z85Decode(key)
  }
  if (key instanceof Uint8Array) {
    if (key.length === 32) return Buffer.from(key)
    if (key.length === 41 && key[40] === 0) return z85Decode(Buffer.from(key.subarray(0, 40)).toString("latin1"))
    if (key.length === 40) return z85Decode(Buffer.from(key).toString("latin1"))
  }
  throw zerr("EINVAL", `CURVE ${what} must be 40 Z85 characters or 32 octets`)
}

/** A fresh X25519 key pair as raw octets (the short-term keys of one connection). */
export function rawKeyPair(): { pub: Buffer; sec: Buffer } {
  const sec = Buffer.from(x25519.utils.randomPrivateKey())
  return { pub: Buffer.from(x25519.getPublicKey(sec)), sec }
}

const SIGMA = new Uint32Array(new Uint8Array(Buffer.from("expand 32-byte k", "latin1")).buffer)
const ZERO_NONCE = new Uint32Array(4)

function u32(b: Uint8Array): Uint32Array {
  // A copy: hsalsa reads 32-bit little-endian words, and the source may be unaligned.
  return new Uint32Array(new Uint8Array(b).buffer)
}

/**
 * crypto_box_beforenm: HSalsa20 of the X25519 shared secret. The result keys every box between the
 * two parties, so each connection computes it once per key pair.
 *
 * A low-order public key makes the shared secret all zeros whatever our secret (RFC 7748 section
 * 6.1), a key anyone can compute: boxes "from" it could be forged. As libsodium (and so libzmq, with
 * ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC) it is refused: a ProtocolError ERR_ZMTP_CRYPTOGRAPHIC,
 * whether noble refuses the point itself or returns the zeros.
 */
export function boxKey(theirPublic: Uint8Array, ourSecret: Uint8Array): Uint8Array {
  let shared: Uint8Array | undefined
  try {
    shared = x25519.getSharedSecret(ourSecret, theirPublic)
  } catch {
    shared = undefined
  }
  let bits = 0
  if (shared) for (const b of shared) bits |= b
  if (!shared || bits === 0) throw new ProtocolError("ERR_ZMTP_CRYPTOGRAPHIC", "CURVE public key is a low-order point")
  const out = new Uint32Array(8)
  hsalsa(SIGMA, u32(shared), ZERO_NONCE, out)
  return new Uint8Array(out.buffer)
}

/** A box that did not open: tampered, forged or keyed for someone else. */
export class BoxError extends Error {
  constructor() {
    super("box did not open")
  }
}

/** 24-octet nonce: an ASCII prefix then the given octets (RFC 26 short and long nonces). */
export function nonce(prefix: string, tail: Uint8Array): Uint8Array {
  const n = new Uint8Array(24)
  for (let i = 0; i < prefix.length; i++) n[i] = prefix.charCodeAt(i)
  n.set(tail, prefix.length)
  return n
}

/** crypto_box_afternm: returns MAC (16) + ciphertext. */
export function seal(key: Uint8Array, nonce24: Uint8Array, plain: Uint8Array): Uint8Array {
  return xsalsa20poly1305(key, nonce24).encrypt(plain)
}

/** crypto_box_open_afternm; throws {@link BoxError} when the box does not authenticate. */
export function open(key: Uint8Array, nonce24: Uint8Array, boxed: Uint8Array): Uint8Array {
  if (boxed.length < 16) throw new BoxError()
  try {
    return xsalsa20poly1305(key, nonce24).decrypt(boxed)
  } catch {
    throw new BoxError()
  }
}

/** Random octets (long nonces, cookie keys). */
export function random(n: number): Buffer {
  return randomBytes(n)
}
