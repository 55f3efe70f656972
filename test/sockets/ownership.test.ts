/**
 * Buffer ownership at send(), as in zeromq.js (issue 14 item 6): a frame of up to 128 octets is
 * copied when send() is called, so a caller may reuse one buffer for every send, awaited or not; a
 * larger frame is referenced, not copied (zero-copy, documented in the README).
 */
import { afterEach, describe, expect, it } from "vitest"
import { Dealer, Router } from "../../src/index.js"
import { COPY_THRESHOLD, toFrames, type MessageLike } from "../../src/sockets/message.js"
import { bindEndpoint, cleanupIpc, closeAfterEach, within } from "../helpers.js"

afterEach(cleanupIpc)
const track = closeAfterEach()

type Kind = "Buffer" | "Uint8Array" | "ArrayBuffer"
const kinds: Kind[] = ["Buffer", "Uint8Array", "ArrayBuffer"]

/**
 * A reusable frame of `size` octets of kind `kind`, and a function that stamps a value into it in
 * place. Buffer and Uint8Array frames are views at an offset into a larger ArrayBuffer, so that a
 * copy must honour the offset; an ArrayBuffer frame is the whole buffer.
 */
function reusable(kind: Kind, size: number): { frame: MessageLike; stamp: (i: number) => void; bytes: () => Buffer } {
  let frame: MessageLike
  let view: Uint8Array
  if (kind === "ArrayBuffer") {
    frame = new ArrayBuffer(size)
    view = new Uint8Array(frame)
  } else {
    const backing = new ArrayBuffer(size + 8)
    view = new Uint8Array(backing, 3, size)
    frame = kind === "Buffer" ? Buffer.from(backing, 3, size) : view
  }
  return { frame, stamp: (i) => stampInto(view, i), bytes: () => Buffer.from(view) }
}

/** Writes `i` into the frame: big-endian u32 at the start when it fits, and in the last octet. */
function stampInto(b: Uint8Array, i: number): void {
  b.fill(0xaa)
  if (b.length >= 4) new DataView(b.buffer, b.byteOffset, b.length).setUint32(0, i)
  b[b.length - 1] = i & 0xff
}

function expected(size: number, i: number): Buffer {
  const b = Buffer.alloc(size)
  stampInto(b, i)
  return b
}

async function pair(transport: "tcp" | "ipc"): Promise<{ tx: Dealer; rx: Router }> {
  const rx = track(new Router())
  const tx = track(new Dealer({ routingId: "tx" }))
  await rx.bind(bindEndpoint(transport))
  tx.connect(rx.lastEndpoint!)
  return { tx, rx }
}

const COUNT = 5
const smallSizes = [1, 2, 3, 4, 5, 16, 64, 100, 127, 128]

describe("frames of up to 128 octets are copied at send(): one reused buffer delivers every value", () => {
  for (const awaited of [true, false]) {
    for (const kind of kinds) {
      it(`${awaited ? "awaited" : "un-awaited"} send loop, ${kind}, sizes ${smallSizes.join(", ")}`, async () => {
        const { tx, rx } = await pair("tcp")
        for (const size of smallSizes) {
          const r = reusable(kind, size)
          const sent: Promise<void>[] = []
          for (let i = 0; i < COUNT; i++) {
            r.stamp(i + size * 10)
            const p = tx.send(r.frame)
            if (awaited) await p
            else sent.push(p)
          }
          // Scribble over the buffer once more before anything can have been written out.
          r.stamp(0xdead)
          await Promise.all(sent)
          for (let i = 0; i < COUNT; i++) {
            const [id, body] = await within(rx.receive(), 3000, `message ${i} of size ${size}`)
            expect(id!.toString()).toBe("tx")
            expect(body!.equals(expected(size, i + size * 10)), `size ${size} message ${i}: got ${body!.toString("hex")}`).toBe(true)
          }
        }
      })
    }
  }

  it("each small frame of a multi-frame message is copied too (ipc, un-awaited, mixed with strings and a large frame)", async () => {
    const { tx, rx } = await pair("ipc")
    const small = Buffer.alloc(8)
    const large = Buffer.alloc(4096, 0x42) // never modified: large frames are the caller's to keep intact
    const sent: Promise<void>[] = []
    for (let i = 0; i < COUNT; i++) {
      stampInto(small, i)
      sent.push(tx.send([small, `s${i}`, large, small]))
    }
    stampInto(small, 99)
    await Promise.all(sent)
    for (let i = 0; i < COUNT; i++) {
      const [, a, s, l, b] = await within(rx.receive(), 3000, `message ${i}`)
      expect(a!.equals(expected(8, i))).toBe(true)
      expect(s!.toString()).toBe(`s${i}`)
      expect(l!.equals(large)).toBe(true)
      expect(b!.equals(expected(8, i))).toBe(true)
    }
  })
})

describe("frames above 128 octets are zero-copy: each arrives as it was when written out", () => {
  const largeSizes = [129, 130, 1000, 5000, 70000]
  for (const awaited of [true, false]) {
    it(`${awaited ? "awaited" : "un-awaited"}, Buffer / Uint8Array / ArrayBuffer at offsets, sizes ${largeSizes.join(", ")}: a fresh buffer per send arrives intact`, async () => {
      const { tx, rx } = await pair("ipc")
      const want: Buffer[] = []
      const sent: Promise<void>[] = []
      for (const kind of kinds) {
        for (const size of largeSizes) {
          const r = reusable(kind, size)
          r.stamp(want.length)
          want.push(r.bytes())
          const p = tx.send(r.frame)
          if (awaited) await p
          else sent.push(p)
        }
      }
      await Promise.all(sent)
      for (let i = 0; i < want.length; i++) {
        const [, body] = await within(rx.receive(), 3000, `message ${i}`)
        expect(body!.equals(want[i]!), `message ${i}`).toBe(true)
      }
    })
  }
})

describe("toFrames: copy at and below the threshold, zero-copy above it", () => {
  it("the threshold is zeromq.js's: 128 octets", () => {
    expect(COPY_THRESHOLD).toBe(128)
  })

  for (const kind of kinds) {
    it(`${kind}: sizes 0..128 get private memory; 129, 130, 1024, 65536 share the caller's memory`, () => {
      for (let size = 0; size <= 130; size++) checkSharing(kind, size)
      for (const size of [1024, 65536]) checkSharing(kind, size)
    })
  }

  it("strings become fresh UTF-8 buffers at any length", () => {
    for (const s of ["", "wörker", "工".repeat(100)]) {
      const [f] = toFrames(s)
      expect(f!.equals(Buffer.from(s, "utf8"))).toBe(true)
    }
  })
})

function checkSharing(kind: Kind, size: number): void {
  const r = reusable(kind, size)
  r.stamp(7)
  const [f] = toFrames(r.frame)
  expect(f!.length, `${kind} ${size}`).toBe(size)
  expect(f!.equals(r.bytes()), `${kind} ${size} content`).toBe(true)
  if (size === 0) return
  r.stamp(8)
  // Below the threshold the frame keeps what it had at send(); above it, it sees the caller's change.
  const shares = f!.equals(r.bytes())
  expect(shares, `${kind} ${size} shares the caller's memory`).toBe(size > COPY_THRESHOLD)
}
