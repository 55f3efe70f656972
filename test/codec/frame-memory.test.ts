/**
 * What a frame costs us while it arrives (issue 14, items 2 and 3): a body trickled in tiny chunks
 * is gathered, not kept as one view per chunk, and a message of endless MORE frames is refused at
 * MAX_MESSAGE_FRAMES. Heap and Buffer growth are generous ceilings, measured after a GC.
 */
import { Buffer } from "node:buffer"
import { expect, it } from "vitest"
import { FrameDecoder, MAX_MESSAGE_FRAMES } from "../../src/codec/frame-decoder.js"
import { getGc, settledHeldMemory } from "../security/helpers.js"

/**
 * Node's pool for small Buffers: 8 KiB up to Node 22, 64 KiB on Node 24.22 (issue 18: the decoder's
 * stages were pool slices there, each keeping its whole pool). Both are tried on every runtime.
 */
const POOL_SIZES = [8 * 1024, 64 * 1024]

for (const poolSize of POOL_SIZES) {
  it(`a 256 KiB frame trickled in one octet per chunk costs about its size, not a view per octet (pool ${poolSize / 1024} KiB)`, () => {
    const gc = getGc()
    const saved = Buffer.poolSize
    Buffer.poolSize = poolSize
    try {
      const size = 256 * 1024
      const messages: Buffer[][] = []
      const d = new FrameDecoder({ message: (m) => void messages.push(m), command: () => {} }, { maxMessageSize: -1, maxCommandSize: -1 })
      const head = Buffer.alloc(9)
      head[0] = 0x02
      head.writeBigUInt64BE(BigInt(size), 1)
      expect(d.feed(head)).toBeUndefined()
      // heapUsed + arrayBuffers on Node, counted once on Bun and Deno too, after a settled GC.
      const before = settledHeldMemory(gc)
      // Each octet in its own chunk, as Node would hand over a peer's one-octet writes. Failures are
      // counted, not expect()ed per chunk: what is measured is the decoder, not the test runner.
      let failures = 0
      for (let i = 0; i < size - 1; i++) if (d.feed(Buffer.from([i & 0xff])) !== undefined) failures++
      const held = settledHeldMemory(gc) - before
      expect(failures).toBe(0)
      expect(held, `held ${held} octets for ${size - 1} received`).toBeLessThan(2 * size)
      d.feed(Buffer.from([(size - 1) & 0xff]))
      expect(messages.length).toBe(1)
      const body = messages[0]![0]!
      expect(body.length).toBe(size)
      for (let i = 0; i < size; i += 4099) expect(body[i]).toBe(i & 0xff)
    } finally {
      Buffer.poolSize = saved
    }
  })
}

it("a message of endless empty MORE frames is refused at MAX_MESSAGE_FRAMES, under any chunking", () => {
  for (const chunking of ["one", "frame"] as const) {
    const d = new FrameDecoder({ message: () => {}, command: () => {} }, { maxMessageSize: 64 * 1024, maxCommandSize: -1 })
    const more = Buffer.from([0x01, 0x00])
    const stream = Buffer.concat(Array.from({ length: MAX_MESSAGE_FRAMES + 10 }, () => more))
    let err
    if (chunking === "one") err = d.feed(stream)
    else for (let i = 0; i < stream.length && !err; i += 2) err = d.feed(stream.subarray(i, i + 2))
    expect(err?.code, chunking).toBe("ERR_ZMTP_MSGSIZE")
  }
  // One frame fewer than the limit is a message like any other.
  const got: Buffer[][] = []
  const d = new FrameDecoder({ message: (m) => void got.push(m), command: () => {} }, { maxMessageSize: -1, maxCommandSize: -1 })
  const frames = Array.from({ length: MAX_MESSAGE_FRAMES - 1 }, () => Buffer.from([0x01, 0x00]))
  frames.push(Buffer.from([0x00, 0x00]))
  expect(d.feed(Buffer.concat(frames))).toBeUndefined()
  expect(got[0]!.length).toBe(MAX_MESSAGE_FRAMES)
})
