/**
 * `node:buffer` in the browser build: the `buffer` package (feross/buffer 6, the Buffer bundlers
 * have long shipped), so frames are Buffers in a page as in Node. It is bundled into zmtp's build as
 * a private copy; the one encoding it lacks that zmtp uses, "base64url" (RFC 4648 section 5, Node
 * has it since 15.7), is added to that copy's toString and from.
 */
import { Buffer } from "buffer"

type Enc = Parameters<Buffer["toString"]>[0]

const toString = Buffer.prototype.toString
Buffer.prototype.toString = function (this: Buffer, encoding?: string, start?: number, end?: number): string {
  if (encoding !== "base64url") return toString.call(this, encoding as Enc, start, end)
  return toString.call(this, "base64", start, end).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

const from = Buffer.from as (...a: unknown[]) => Buffer
;(Buffer as unknown as { from: unknown }).from = function (value: unknown, encodingOrOffset?: unknown, length?: unknown): Buffer {
  if (typeof value === "string" && encodingOrOffset === "base64url") return from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64")
  return from(value, encodingOrOffset, length)
}

export { Buffer }
