/**
 * Buffer ownership at send(), as in zeromq.js (issue 14 item 6): a frame of up to 128 octets is
 * copied when send() is called, so a caller may reuse one buffer for every send, awaited or not; a
 * larger frame is referenced, not copied (zero-copy, documented in the README).
 */
import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import { curveKeyPair, Dealer, Reply, Request, Router } from "../../src/index.js"
import { COPY_THRESHOLD, ownFrames, toFrames, type MessageLike } from "../../src/sockets/message.js"
import { OutQueue, PackedRun } from "../../src/pipe/out-queue.js"
import { encodeMessage } from "../../src/codec/frame-encoder.js"
import { bindEndpoint, cleanupIpc, closeAfterEach, freeEndpoint, ipcEndpoint, within, itLibzmq } from "../helpers.js"

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

describe("the copy holds on every path a small frame can take", () => {
  it("sends that wait for a peer (no pipe yet), un-awaited, from one reused buffer", async () => {
    const rx = track(new Router())
    await rx.bind(bindEndpoint("tcp"))
    const tx = track(new Dealer({ routingId: "tx" }))
    const buf = Buffer.alloc(4)
    const sent: Promise<void>[] = []
    for (let i = 0; i < COUNT; i++) {
      buf.writeUInt32BE(i)
      sent.push(tx.send(buf))
    }
    buf.writeUInt32BE(0xdead)
    tx.connect(rx.lastEndpoint!)
    await Promise.all(sent)
    for (let i = 0; i < COUNT; i++) {
      const [, body] = await within(rx.receive(), 3000, `message ${i}`)
      expect(body!.readUInt32BE(0), `message ${i}`).toBe(i)
    }
  })

  it("CURVE (each packed message boxed on its own), un-awaited, multi-frame, from reused buffers", async () => {
    const server = curveKeyPair()
    const client = curveKeyPair()
    const rx = track(new Router({ curveServer: true, curveSecretKey: server.secretKey }))
    await rx.bind(bindEndpoint("tcp"))
    const tx = track(new Dealer({ routingId: "tx", curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey }))
    tx.connect(rx.lastEndpoint!)
    const a = Buffer.alloc(4)
    const b = Buffer.alloc(100)
    const sent: Promise<void>[] = []
    for (let i = 0; i < 50; i++) {
      a.writeUInt32BE(i)
      b.fill(i)
      sent.push(tx.send(i % 2 ? [a, b] : a))
    }
    a.writeUInt32BE(0xdead)
    b.fill(0xff)
    await Promise.all(sent)
    for (let i = 0; i < 50; i++) {
      const [, x, y] = await within(rx.receive(), 5000, `message ${i}`)
      expect(x!.readUInt32BE(0), `message ${i}`).toBe(i)
      if (i % 2) expect(y!.equals(Buffer.alloc(100, i)), `message ${i} second frame`).toBe(true)
      else expect(y).toBeUndefined()
    }
  })
})

/**
 * What one message of {@link pathMessage} carries: a reused small frame stamped with `i`, an empty
 * frame, a string, and every third message a fresh large frame (zero-copy, never modified).
 */
function pathMessage(small: Buffer, i: number): MessageLike[] {
  stampInto(small, i)
  const m: MessageLike[] = [small, Buffer.alloc(0), `s${i}`]
  if (i % 3 === 0) m.push(Buffer.alloc(300, i))
  return m
}

function checkPathMessage(m: Buffer[], i: number, what: string): void {
  expect(m.length, `${what} message ${i}: frames`).toBe(i % 3 === 0 ? 4 : 3)
  expect(m[0]!.equals(expected(m[0]!.length, i)), `${what} message ${i}: small frame ${m[0]!.toString("hex")}`).toBe(true)
  expect(m[1]!.length, `${what} message ${i}: empty frame`).toBe(0)
  expect(m[2]!.toString(), `${what} message ${i}: string`).toBe(`s${i}`)
  if (i % 3 === 0) expect(m[3]!.equals(Buffer.alloc(300, i)), `${what} message ${i}: large frame`).toBe(true)
}

describe("every send path takes ownership of small frames (ROUTER, REQ, REP; at once and waiting; inproc)", () => {
  it("ROUTER to a connected DEALER, un-awaited, tcp and inproc", async () => {
    for (const ep of ["tcp://127.0.0.1:*", "inproc://ownership-router"]) {
      const router = track(new Router())
      await router.bind(ep)
      const dealer = track(new Dealer({ routingId: "d" }))
      dealer.connect(router.lastEndpoint!)
      await dealer.send("hello")
      await within(router.receive(), 3000, "hello")
      const small = Buffer.alloc(6)
      const sent = Array.from({ length: COUNT }, (_, i) => router.send(["d", ...pathMessage(small, i)]))
      stampInto(small, 0xdead)
      await Promise.all(sent)
      for (let i = 0; i < COUNT; i++) checkPathMessage(await within(dealer.receive(), 3000, `${ep} ${i}`), i, ep)
    }
  })

  it("ROUTER mandatory waiting for room (HWM 1, the peer not up yet), un-awaited", async () => {
    const ep = await freeEndpoint("tcp")
    const router = track(new Router({ mandatory: true, sendHighWaterMark: 1 }))
    router.connect(ep, { routingId: "peer" })
    const small = Buffer.alloc(6)
    const sent = Array.from({ length: COUNT }, (_, i) => router.send(["peer", ...pathMessage(small, i)]))
    stampInto(small, 0xdead)
    const peer = track(new Dealer())
    await peer.bind(ep)
    await within(Promise.all(sent), 3000, "sends")
    for (let i = 0; i < COUNT; i++) checkPathMessage(await within(peer.receive(), 3000, `message ${i}`), i, "mandatory")
  })

  it("REQ waiting for a pipe (sent before connect), then at once; REP replies from one reused buffer", async () => {
    const rep = track(new Reply())
    await rep.bind("tcp://127.0.0.1:*")
    const req = track(new Request())
    const small = Buffer.alloc(6)
    for (let i = 0; i < COUNT; i++) {
      const sent = req.send(pathMessage(small, i))
      stampInto(small, 0xdead)
      if (i === 0) req.connect(rep.lastEndpoint!)
      await sent
      checkPathMessage(await within(rep.receive(), 3000, `request ${i}`), i, "request")
      const replied = rep.send(pathMessage(small, i + 100))
      stampInto(small, 0xbeef)
      await replied
      checkPathMessage(await within(req.receive(), 3000, `reply ${i}`), i + 100, "reply")
    }
  })
})

/**
 * The frames of flood message `i`: sizes around the copy threshold (127, 128, 129), the short/long
 * size boundary (255, 256) and the pipe's packing limit (4096 encoded octets: 2,048 empty frames
 * or 32 of 126 octets pack; 2,049 empty frames or 32 of 128 octets do not), interleaved. Messages
 * of 30 frames of 100 octets make packed runs above the engine's 2 KiB copy limit, which go to the
 * transport as views into the pipe's slab while the pipe takes more messages.
 */
function floodSizes(i: number): number[] {
  const many = Array<number>(30).fill(100)
  const shapes: number[][] = [[0], [1], [16], [127], [128], many, [129], [255], [256], many, [4096], [4, 128, 0, 129, 16], [127, 128]]
  const packLimit: number[][] = [Array(2048).fill(0), Array(2049).fill(0), Array(32).fill(126), Array(32).fill(128)]
  // Now and then a large frame, so that the kernel's buffers fill and the transport holds views.
  if (i % 100 === 99) return [256 * 1024]
  return i % 50 === 49 ? packLimit[(i / 50) % packLimit.length | 0]! : shapes[(i * 7) % shapes.length]!
}

/** Fills frame k of message i with its own pattern; small frames come from one reused scratch buffer. */
function floodMessage(scratch: Buffer, i: number): Buffer[] {
  let off = 0
  return floodSizes(i).map((n, k) => {
    let f: Buffer
    if (n <= COPY_THRESHOLD) {
      f = scratch.subarray(off, off + n)
      off += n
    } else f = Buffer.alloc(n)
    for (let j = 0; j < n; j++) f[j] = (i * 31 + k * 7 + j) & 0xff
    return f
  })
}

describe("un-awaited floods reach libzmq byte for byte and in order", () => {
  for (const [hwm, curve, transport] of [[1, false, "tcp"], [7, false, "ipc"], [1000, false, "tcp"], [1000, false, "ipc"], [1000, true, "tcp"]] as const) {
    itLibzmq(`HWM ${hwm}, ${transport}${curve ? ", CURVE" : ""}: sizes around 128, 256 and the packing limit, from a reused buffer`, async () => {
      const server = curveKeyPair()
      const client = curveKeyPair()
      // A small receive HWM: libzmq stops reading while the test has not taken its messages yet.
      const rx = track(new zmq.Router({ linger: 0, receiveHighWaterMark: 10, ...(curve ? { curveServer: true, curveSecretKey: server.secretKey } : {}) }))
      await rx.bind(transport === "ipc" ? ipcEndpoint() : "tcp://127.0.0.1:*")
      const tx = track(
        new Dealer({
          sendHighWaterMark: hwm,
          ...(curve ? { curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey } : {}),
        }),
      )
      tx.connect(rx.lastEndpoint!)
      const N = 1200
      const scratch = Buffer.alloc(8192)
      const sent: Promise<void>[] = []
      for (let i = 0; i < N; i++) {
        sent.push(tx.send(floodMessage(scratch, i)))
        scratch.fill(0xee)
      }
      const check = (async () => {
        for (let i = 0; i < N; i++) {
          const [, ...m] = await within(rx.receive(), 5000, `message ${i}`)
          const sizes = floodSizes(i)
          expect(m.length, `message ${i}: frames`).toBe(sizes.length)
          for (let k = 0; k < sizes.length; k++) {
            const f = m[k]!
            expect(f.length, `message ${i} frame ${k}: length`).toBe(sizes[k])
            for (let j = 0; j < f.length; j++) {
              if (f[j] !== ((i * 31 + k * 7 + j) & 0xff)) expect.fail(`message ${i} frame ${k} octet ${j}: ${f[j]}`)
            }
          }
        }
      })()
      await Promise.all([check, within(Promise.all(sent), 10000, "sends")])
    })
  }
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

describe("taking ownership: copy at and below the threshold, zero-copy above it", () => {
  it("the threshold is zeromq.js's: 128 octets", () => {
    expect(COPY_THRESHOLD).toBe(128)
  })

  for (const kind of kinds) {
    it(`${kind}, queued in a pipe: sizes 0..128 get private memory; 129, 130, 1024, 65536 share the caller's memory`, () => {
      for (let size = 0; size <= 130; size++) checkSharing(kind, size, viaOutQueue)
      for (const size of [1024, 65536]) checkSharing(kind, size, viaOutQueue)
    })
    it(`${kind}, a send waiting for room (ownFrames): the same rule`, () => {
      for (let size = 0; size <= 130; size++) checkSharing(kind, size, (m) => ownFrames(toFrames(m))[0]!)
      for (const size of [1024, 65536]) checkSharing(kind, size, (m) => ownFrames(toFrames(m))[0]!)
    })
  }

  it("toFrames alone converts without copying; strings become fresh UTF-8 buffers at any length", () => {
    const b = Buffer.from("abc")
    expect(toFrames(b)[0]).toBe(b)
    for (const s of ["", "wörker", "工".repeat(100)]) {
      const [f] = toFrames(s)
      expect(f!.equals(Buffer.from(s, "utf8"))).toBe(true)
    }
  })

  it("a pipe's queue packs runs of small messages and gives back exactly what was queued, in order", () => {
    const q = new OutQueue()
    const want: Buffer[][] = []
    const scratch = Buffer.alloc(13000)
    // Small single- and multi-frame messages (packed), with a large-frame message and a message too
    // big to pack (many small frames) in between, all from one reused scratch buffer.
    for (let i = 0; i < 3000; i++) {
      let m: Buffer[]
      if (i % 500 === 7) m = [Buffer.alloc(0), Buffer.alloc(2000, i & 0xff)]
      else if (i % 777 === 5) m = Array.from({ length: 100 }, (_, k) => scratch.subarray(k * 100, k * 100 + 100).fill((i + k) & 0xff))
      else {
        const n = 1 + (i % 3)
        m = []
        for (let k = 0; k < n; k++) {
          const len = (i * 7 + k * 13) % 129
          m.push(scratch.subarray(k * 130, k * 130 + len).fill((i * 3 + k) & 0xff))
        }
      }
      want.push(m.map((f) => Buffer.from(f)))
      q.push(m)
      scratch.fill(0xee) // the caller reuses its buffer at once
      expect(q.length).toBe(want.length)
    }
    const taken: Buffer[][] = []
    let runs = 0
    for (let item = q.shift(); item !== undefined; item = q.shift()) {
      if (item instanceof PackedRun) {
        runs++
        const ms = item.messages()
        expect(ms.length).toBe(item.count)
        // The run's octets are the RFC 23 framing of its messages.
        expect(item.bytes().equals(Buffer.concat(ms.map((m) => encodeMessage(m))))).toBe(true)
        taken.push(...ms)
      } else taken.push(item as Buffer[])
    }
    expect(q.length).toBe(0)
    expect(taken.length).toBe(want.length)
    for (let i = 0; i < want.length; i++) {
      expect(taken[i]!.length, `message ${i}`).toBe(want[i]!.length)
      for (let k = 0; k < want[i]!.length; k++) expect(taken[i]![k]!.equals(want[i]![k]!), `message ${i} frame ${k}`).toBe(true)
    }
    // Packing happened: far fewer runs than messages.
    expect(runs).toBeGreaterThan(0)
    expect(runs).toBeLessThan(want.length / 10)
  })
})

/** Queues a one-frame message in a pipe's outbound queue and returns the frame as the engine would get it. */
function viaOutQueue(m: MessageLike): Buffer {
  const q = new OutQueue()
  q.push(toFrames(m))
  const item = q.shift()!
  return item instanceof PackedRun ? item.messages()[0]![0]! : (item as Buffer[])[0]!
}

function checkSharing(kind: Kind, size: number, own: (m: MessageLike) => Buffer): void {
  const r = reusable(kind, size)
  r.stamp(7)
  const f = own(r.frame)
  expect(f.length, `${kind} ${size}`).toBe(size)
  expect(f.equals(r.bytes()), `${kind} ${size} content`).toBe(true)
  if (size === 0) return
  r.stamp(8)
  // Below the threshold the frame keeps what it had at send(); above it, it sees the caller's change.
  const shares = f.equals(r.bytes())
  expect(shares, `${kind} ${size} shares the caller's memory`).toBe(size > COPY_THRESHOLD)
}
