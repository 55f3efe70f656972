/**
 * Bounded output to a peer that does not read (issue 14, item 3). A raw NULL peer completes the
 * handshake, then never reads while it floods us with PINGs, with requests, or with messages; what
 * the connection makes us hold must stay within HWM × message size + the write budget + one frame.
 * We check the socket's queues (statistics) exactly, and process memory as a generous ceiling: what
 * the process still holds after a settled GC, while the connection is open (heap plus Buffers,
 * settledHeldMemory), not RSS. RSS counts pages the allocator has not returned: the same 64 MiB
 * flood through raw `net` with no zmtp grew RSS by up to 27 MiB on Node 20.20 and 13 MiB on Node
 * 24.22 while holding under 0.5 MiB (scratch/probe-flood-rss.mjs), and zmtp's ROUTER run grew it by
 * 78 MB on Node 24 (issue 18).
 */
import { Buffer } from "node:buffer"
import { connect, type Socket } from "node:net"
import * as fc from "fast-check"
import { expect, it } from "vitest"
import { encodePing, encodeReady } from "../../src/codec/command.js"
import { encodeGreeting } from "../../src/codec/greeting.js"
import { Dealer, Reply, Router } from "../../src/index.js"
import { sleep } from "../helpers.js"
import { getGc, settledHeldMemory } from "../security/helpers.js"

// Each run floods for up to 64 MiB, so it has its own knob rather than FUZZ_RUNS (tens of thousands).
const RUNS = Number(process.env.BOUNDS_RUNS ?? 6)
/** BOUNDS_SEED replays a seed fast-check reported. */
const SEED = process.env.BOUNDS_SEED === undefined ? undefined : Number(process.env.BOUNDS_SEED)
const HWM = 16
const FRAME = 32 * 1024

/** A raw NULL DEALER peer that never reads: greeting and READY, then whatever `chunk` the test pumps. */
async function mutePeer(endpoint: string): Promise<Socket> {
  const url = new URL(endpoint.replace("tcp://", "http://"))
  const sock = connect({ host: url.hostname, port: Number(url.port) })
  sock.on("error", () => {})
  sock.pause()
  await new Promise<void>((r) => sock.once("connect", () => r()))
  sock.write(encodeGreeting({ mechanism: "NULL", asServer: false, major: 3, minor: 1 }))
  sock.write(encodeReady([["Socket-Type", "DEALER"]]))
  return sock
}

/** Writes `chunk` repeatedly for `bytes` in total or until the transport stays blocked for 300 ms. */
async function pump(sock: Socket, chunk: Buffer, bytes: number): Promise<number> {
  let written = 0
  while (written < bytes && !sock.destroyed) {
    written += chunk.length
    // One chunk per turn of the event loop: in one process, a write the kernel takes completes
    // without one, and the subject would never get to read.
    await new Promise<void>((r) => setImmediate(r))
    if (!sock.write(chunk)) {
      const drained = await Promise.race([new Promise((r) => sock.once("drain", () => r(true))), sleep(300).then(() => false)])
      if (!drained) break
    }
  }
  return written
}

function frame(body: Buffer, more = false): Buffer {
  const head = Buffer.alloc(9)
  head[0] = 0x02 | (more ? 1 : 0)
  head.writeBigUInt64BE(BigInt(body.length), 1)
  return Buffer.concat([head, body])
}

const behaviours = ["pings", "requests", "messages"] as const

it("whatever a peer that never reads sends, one connection holds at most HWM messages each way plus the write budget", async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...behaviours), fc.constantFrom("REP", "DEALER", "ROUTER"), async (behaviour, type) => {
      // sendTimeout: a DEALER whose peer never reads would otherwise wait in send() for good.
      const opts = { sendHighWaterMark: HWM, receiveHighWaterMark: HWM, linger: 0, sendTimeout: 100 }
      const subject = type === "REP" ? new Reply(opts) : type === "DEALER" ? new Dealer(opts) : new Router(opts)
      await subject.bind("tcp://127.0.0.1:*")
      const sock = await mutePeer(subject.lastEndpoint!)
      // The subject answers every message it receives with a FRAME-sized reply the peer never reads.
      let answering = true
      const answer = (async () => {
        subject.receiveTimeout = 200
        while (answering) {
          try {
            const m = await subject.receive()
            if (type === "REP") await subject.send(Buffer.alloc(FRAME))
            else if (type === "ROUTER") await subject.send([m[0]!, Buffer.alloc(FRAME)])
            else await subject.send(Buffer.alloc(FRAME)).catch(() => {})
          } catch {
            // EAGAIN: nothing to read for a while.
          }
        }
      })()
      const gc = getGc()
      const before = settledHeldMemory(gc)
      const rss0 = process.memoryUsage().rss
      const chunk =
        behaviour === "pings"
          ? Buffer.concat(Array.from({ length: 512 }, () => encodePing(0, Buffer.from("ctx-ctx-ctx-ctx"))))
          : behaviour === "requests"
            ? Buffer.concat([frame(Buffer.alloc(0), true), frame(Buffer.alloc(FRAME))])
            : frame(Buffer.alloc(FRAME))
      const written = await pump(sock, chunk, 64 * 1024 * 1024)
      const stats = subject.statistics
      for (const q of stats.queues) {
        expect(q.out, "outbound queue within the HWM").toBeLessThanOrEqual(HWM)
        expect(q.in, "inbound queue within the HWM").toBeLessThanOrEqual(HWM)
      }
      const rss = process.memoryUsage().rss - rss0
      const held = settledHeldMemory(gc) - before
      if (process.env.BOUNDS_VERBOSE) console.log(`${behaviour} ${type}: wrote ${written}, held ${held}, rss ${rss}`)
      answering = false
      await answer
      sock.destroy()
      subject.close()
      // Generous: HWM × 32 KiB each way is 1 MiB, the write budget 256 KiB, Node's paused read one
      // chunk; the kernel's buffers are not ours.
      expect(held, `held ${held} octets more after the peer wrote ${written} (rss grew ${rss})`).toBeLessThan(16 * 1024 * 1024)
      // A REP whose replies are not read stops reading requests: the peer is held back.
      if (type === "REP" && behaviour === "requests") expect(written).toBeLessThan(64 * 1024 * 1024)
    }),
    { numRuns: RUNS, seed: SEED },
  )
}, 300_000)

it("a peer streaming empty MORE frames after the handshake is disconnected long before 1 MiB, and costs little", async () => {
  const subject = new Router({ maxMessageSize: 64 * 1024, linger: 0 })
  await subject.bind("tcp://127.0.0.1:*")
  try {
    const sock = await mutePeer(subject.lastEndpoint!)
    const closed = new Promise<void>((r) => sock.once("close", () => r()))
    const gc = getGc()
    const before = settledHeldMemory(gc)
    const more = Buffer.concat(Array.from({ length: 8192 }, () => Buffer.from([0x01, 0x00])))
    const written = await pump(sock, more, 8 * 1024 * 1024)
    const held = settledHeldMemory(gc) - before
    await closed
    expect(written, "octets the peer pushed before it was closed").toBeLessThan(1024 * 1024)
    expect(held, `held ${held} octets more`).toBeLessThan(16 * 1024 * 1024)
    expect(subject.statistics.protocolErrors).toBe(1)
  } finally {
    subject.close()
  }
})
