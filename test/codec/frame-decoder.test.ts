/**
 * Frame decoder and encoder from hex strings (RFC 23 "Framing"). Every vector is decoded as one chunk,
 * byte by byte, and split where fast-check chooses (DESIGN.md house rule 2).
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { FrameDecoder, type DecoderLimits } from "../../src/codec/frame-decoder.js"
import { encodeFrame, encodeMessage, headerSize } from "../../src/codec/frame-encoder.js"
import { ProtocolError } from "../../src/errors.js"
import {
  NO_LIMITS,
  RUNS,
  chunkHolding,
  cutsArb,
  decodeChunks,
  diffEvents,
  forEachChunking,
  hex,
  largestAllocation,
  patterned,
  splitAt,
  type DecodedEvent,
} from "./codec-helpers.js"

/** Decodes `input` three ways and checks the events and the absence of errors every time. */
function expectDecodes(input: Buffer, expected: DecodedEvent[]): void {
  forEachChunking(input, (chunks, how) => {
    const run = decodeChunks(chunks, NO_LIMITS)
    if (run.thrown !== undefined) throw new Error(`${how}: threw ${String(run.thrown)}`)
    if (run.errors.length) throw new Error(`${how}: ${run.errors[0]!.error.code}`)
    const d = diffEvents(run.events, expected)
    if (d) throw new Error(`${how}: ${d}`)
  })
}

/** Decodes `input` three ways and checks exactly one error of `code`, due on octet `at`, after `before` events. */
function expectFails(input: Buffer, code: string, at: number, before: DecodedEvent[] = [], limits: DecoderLimits = NO_LIMITS): void {
  forEachChunking(input, (chunks, how) => {
    const run = decodeChunks(chunks, limits)
    if (run.thrown !== undefined) throw new Error(`${how}: threw ${String(run.thrown)}`)
    if (run.errors.length !== 1) throw new Error(`${how}: ${run.errors.length} errors`)
    const { error, chunk } = run.errors[0]!
    if (!(error instanceof ProtocolError) || error.code !== code) throw new Error(`${how}: ${error.code}, expected ${code}`)
    if (chunk !== chunkHolding(chunks, at)) throw new Error(`${how}: error on chunk ${chunk}, due on octet ${at}`)
    const d = diffEvents(run.events, before)
    if (d) throw new Error(`${how}: ${d}`)
  })
}

const msg = (...frames: Buffer[]): DecodedEvent => ({ kind: "message", frames })
const cmd = (body: Buffer): DecodedEvent => ({ kind: "command", body })

describe("short and long frames", () => {
  it("an empty frame has a size of zero (RFC 23: 'an empty frame has a size of zero')", () => {
    expectDecodes(hex("00 00"), [msg(Buffer.alloc(0))])
    expect(encodeMessage([Buffer.alloc(0)]).toString("hex")).toBe("0000")
  })

  it("255 octets is the largest short frame, 256 the smallest long one", () => {
    // RFC 23: "A short frame has a body of 0 to 255 octets. A long frame has a body of 0 to 2^63-1
    // octets." and LONG: "A value of 1 indicates that the frame size is encoded as a 64-bit unsigned
    // integer in network byte order."
    const b255 = patterned(255, 1)
    const b256 = patterned(256, 2)
    const e255 = encodeMessage([b255])
    const e256 = encodeMessage([b256])
    expect(e255.subarray(0, 2).toString("hex")).toBe("00ff")
    expect(e256.subarray(0, 9).toString("hex")).toBe("020000000000000100")
    expect(headerSize(255)).toBe(2)
    expect(headerSize(256)).toBe(9)
    expectDecodes(e255, [msg(b255)])
    expectDecodes(e256, [msg(b256)])
    // Both in one multipart message: MORE on the first (flags %x01 short, %x03 long on a MORE frame).
    const both = encodeMessage([b256, b255])
    expect(both[0]).toBe(0x03)
    expect(both[9 + 256]).toBe(0x00)
    expectDecodes(both, [msg(b256, b255)])
  })

  it("a long size may describe a small body: 'long-size = 8OCTET' with size 3 decodes", () => {
    expectDecodes(hex("02 0000000000000003 616263"), [msg(Buffer.from("abc"))])
    expectDecodes(hex("06 0000000000000005 0450494e47"), [cmd(hex("0450494e47"))])
  })

  it("encodeFrame returns [header, body] and never copies the body", () => {
    const body = patterned(300, 3)
    const [h, b] = encodeFrame(body, true)
    expect(b).toBe(body)
    expect(h.toString("hex")).toBe("03000000000000012c")
    const [h2] = encodeFrame(Buffer.from("x"), false, true)
    expect(h2.toString("hex")).toBe("0401")
  })

  it("multipart messages with empty frames and commands between them", () => {
    // RFC 23: message-more = ( %x01 short-size | %x03 long-size ) message-body; message-last = ( %x00
    // short-size | %x02 long-size ) message-body; command-size = %x04 short-size | %x06 long-size.
    expectDecodes(hex("01 00 01 02 6869 00 00   04 05 0450494e47   00 01 7a"), [
      msg(Buffer.alloc(0), Buffer.from("hi"), Buffer.alloc(0)),
      cmd(hex("0450494e47")),
      msg(Buffer.from("z")),
    ])
  })

  it("a message is delivered only when its last frame is complete", () => {
    // RFC 23: "an implementation SHALL always send and deliver messages atomically, that is, all the
    // frames of a message, or none of them."
    const run = decodeChunks([hex("01 02 6869 01 00 00 03 61")], NO_LIMITS)
    expect(run.events).toEqual([])
    expect(run.decoder.partialFrames).toBe(2)
    expect(run.decoder.feed(hex("6263"))).toBeUndefined()
    expect(run.events).toHaveLength(1)
    expect(run.decoder.partialFrames).toBe(0)
  })

  it("above 64 KiB, one frame fed three ways", () => {
    const big = patterned(65_537, 9)
    forEachChunking(
      encodeMessage([big, Buffer.from("t")]),
      (chunks, how) => {
        const d = diffEvents(decodeChunks(chunks, NO_LIMITS).events, [msg(big, Buffer.from("t"))])
        if (d) throw new Error(`${how}: ${d}`)
      },
      200,
    )
  })
})

describe("flags that must be refused", () => {
  it("any reserved bit (7-3) set is ERR_ZMTP_FRAME on the flags octet", () => {
    // RFC 23: "Bits 7-3: Reserved. Bits 7-3 are reserved for future use and MUST be zero."
    for (const bit of [0x08, 0x10, 0x20, 0x40, 0x80]) {
      for (const low of [0x00, 0x01, 0x02, 0x04]) {
        const f = (bit | low).toString(16).padStart(2, "0")
        expectFails(hex(`00 01 41  ${f} 01 41`), "ERR_ZMTP_FRAME", 3, [msg(Buffer.from("A"))])
      }
    }
    expectFails(hex("ff"), "ERR_ZMTP_FRAME", 0)
  })

  it("MORE on a command is ERR_ZMTP_FRAME, short (%x05) or long (%x07)", () => {
    // RFC 23: "Bit 0 (MORE): More frames to follow. ... This bit SHALL be zero on command frames."
    expectFails(hex("05 05 0450494e47"), "ERR_ZMTP_FRAME", 0)
    expectFails(hex("04 05 0450494e47  07 0000000000000005 0450494e47"), "ERR_ZMTP_FRAME", 7, [cmd(hex("0450494e47"))])
  })

  it("after an error the decoder ignores all further input and reports nothing more", () => {
    const run = decodeChunks([hex("08")], NO_LIMITS)
    expect(run.errors).toHaveLength(1)
    expect(run.decoder.error).toBe(run.errors[0]!.error)
    expect(run.decoder.feed(hex("00 00"))).toBeUndefined()
    expect(run.decoder.resume()).toBeUndefined()
    expect(run.events).toEqual([])
  })

  it("a frame declaring 2^63 (above 'a long frame has a body of 0 to 2^63-1 octets') is ERR_ZMTP_MSGSIZE", () => {
    expectFails(hex("02 8000000000000000"), "ERR_ZMTP_MSGSIZE", 8)
    expectFails(hex("02 ffffffffffffffff 41"), "ERR_ZMTP_MSGSIZE", 8)
  })
})

describe("message frames refused (acceptMessages: false, before the handshake completes)", () => {
  const refusing: DecoderLimits = { maxMessageSize: -1, maxCommandSize: -1, acceptMessages: false }

  it("a message frame fails with ERR_ZMTP_UNEXPECTED_COMMAND on its flags octet, before its size is read", () => {
    // RFC 23: the handshake is commands only ("the peers exchange commands"); libzmq fails the
    // connection on a message frame there too, but only once it has read the whole frame.
    for (const v of ["00 03 616263", "01 01 61  00 00", "02 0000000000000003 616263", "03 0000000008000000"]) {
      expectFails(hex(v), "ERR_ZMTP_UNEXPECTED_COMMAND", 0, [], refusing)
    }
  })

  it("commands still pass, and the first message frame after them fails on its flags octet", () => {
    // %x04 size 6 "\x05READY", then a message frame with MORE (%x01) declaring 2^27 octets.
    expectFails(hex("04 06 055245414459  01 ff"), "ERR_ZMTP_UNEXPECTED_COMMAND", 8, [cmd(hex("055245414459"))], refusing)
    expectFails(hex("06 0000000000000006 055245414459  02 0000000008000000"), "ERR_ZMTP_UNEXPECTED_COMMAND", 15, [cmd(hex("055245414459"))], refusing)
  })

  it("reserved flags and MORE on a command are still ERR_ZMTP_FRAME", () => {
    expectFails(hex("08 00"), "ERR_ZMTP_FRAME", 0, [], refusing)
    expectFails(hex("05 00"), "ERR_ZMTP_FRAME", 0, [], refusing)
  })

  it("a refused frame declaring 2^27 octets allocates nothing for it", () => {
    const input = hex("02 0000000008000000 6161")
    let run: ReturnType<typeof decodeChunks> | undefined
    const largest = largestAllocation(() => {
      run = decodeChunks([input], refusing)
    })
    expect(run!.errors.map((e) => e.error.code)).toEqual(["ERR_ZMTP_UNEXPECTED_COMMAND"])
    expect(largest).toBeLessThanOrEqual(input.length)
  })

  it("lifted from the sink's command callback (as the engine does when READY completes the handshake), the next frame passes, in the same chunk", () => {
    const input = hex("04 06 055245414459  01 01 61  00 01 62")
    forEachChunking(input, (chunks, how) => {
      const limits: DecoderLimits = { maxMessageSize: -1, maxCommandSize: -1, acceptMessages: false }
      const events: DecodedEvent[] = []
      const d = new FrameDecoder(
        {
          message: (frames) => void events.push(msg(...frames)),
          command: (body) => {
            events.push(cmd(body))
            limits.acceptMessages = true
          },
        },
        limits,
      )
      for (const c of chunks) if (d.feed(c)) throw new Error(`${how}: ${d.error!.code}`)
      const diff = diffEvents(events, [cmd(hex("055245414459")), msg(Buffer.from("a"), Buffer.from("b"))])
      if (diff) throw new Error(`${how}: ${diff}`)
    })
  })
})

describe("back-pressure", () => {
  it("sink.message returning false pauses after that message; resume() continues in order", () => {
    // DESIGN.md house rule 8: back-pressure is explicit. The decoder must keep what it has not
    // delivered, in order, until asked to go on.
    const input = hex("00 01 61   04 05 0450494e47   00 01 62   00 01 63")
    forEachChunking(
      input,
      (chunks, how) => {
        const seen: string[] = []
        const d = new FrameDecoder(
          {
            message: (frames) => {
              seen.push(frames[0]!.toString())
              return false
            },
            command: () => {
              seen.push("PING")
            },
          },
          NO_LIMITS,
        )
        for (const c of chunks) if (d.feed(c) !== undefined) throw new Error(`${how}: error`)
        if (seen.join() !== "a" || !d.paused) throw new Error(`${how}: after feeding, saw ${seen.join()}`)
        d.resume()
        if (seen.join() !== "a,PING,b") throw new Error(`${how}: after one resume, saw ${seen.join()}`)
        d.resume()
        d.resume()
        if (seen.join() !== "a,PING,b,c") throw new Error(`${how}: after three resumes, saw ${seen.join()}`)
        // Paused after the last message too; a further resume has nothing to do.
        d.resume()
        if (d.paused) throw new Error(`${how}: still paused with nothing held`)
      },
      2_000,
    )
  })

  it("chunks fed while paused queue behind what is held", () => {
    let allow = false
    const seen: string[] = []
    const d = new FrameDecoder({ message: (f) => (seen.push(f[0]!.toString()), allow), command: () => {} }, NO_LIMITS)
    d.feed(hex("00 01 61  00 01 62"))
    expect(seen).toEqual(["a"])
    expect(d.paused).toBe(true)
    d.feed(hex("00 01 63  00"))
    d.feed(hex("01 64"))
    expect(seen).toEqual(["a"])
    allow = true
    expect(d.resume()).toBeUndefined()
    expect(seen).toEqual(["a", "b", "c", "d"])
    expect(d.paused).toBe(false)
  })

  it("an error found after resume() is returned by resume(), once", () => {
    const d = new FrameDecoder({ message: () => false, command: () => {} }, NO_LIMITS)
    expect(d.feed(hex("00 00  08"))).toBeUndefined()
    const err = d.resume()
    expect(err).toBeInstanceOf(ProtocolError)
    expect(err!.code).toBe("ERR_ZMTP_FRAME")
    expect(d.resume()).toBeUndefined()
  })
})

describe("prefix frame (a ROUTER's routing id)", () => {
  it("property: with a prefix set, every message arrives with it in front, under any chunking", () => {
    const framesArb = fc.array(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 3 }), { maxLength: 4 })
    fc.assert(
      fc.property(framesArb, cutsArb, (messages, cuts) => {
        const bufs = messages.map((m) => m.map((u) => Buffer.from(u)))
        const stream = Buffer.concat(bufs.map(encodeMessage))
        const prefix = Buffer.from([0, 1, 2, 3, 4])
        for (const chunks of [[stream], splitAt(stream, cuts)]) {
          const events: Buffer[][] = []
          const d = new FrameDecoder({ message: (f) => void events.push(f), command: () => {} }, NO_LIMITS)
          d.prefix = prefix
          for (const c of chunks) d.feed(c)
          const d2 = diffEvents(
            events.map((frames) => ({ kind: "message", frames })),
            bufs.map((frames) => ({ kind: "message", frames: [prefix, ...frames] })),
          )
          if (d2) throw new Error(d2)
          if (d.partialFrames !== 0) throw new Error("prefix counted as a partial frame")
        }
      }),
      { numRuns: RUNS },
    )
  })
})
