/** `node:crypto` in the browser build: randomBytes from the Web Crypto API (CURVE keys, RPC ids). */
import { Buffer } from "buffer"

export function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n)
  // getRandomValues fills at most 65536 octets per call.
  for (let o = 0; o < n; o += 65536) globalThis.crypto.getRandomValues(b.subarray(o, Math.min(n, o + 65536)))
  return b
}
