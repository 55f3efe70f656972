/**
 * Commands and metadata from hex strings: READY metadata (RFC 23 "The NULL Security Mechanism" and
 * "Connection Metadata"), ERROR, PING and PONG (RFC 37 "Connection Heartbeat"), and decodeCommand on
 * bodies whose lengths lie. Every frame-level vector is also decoded three ways (house rule 2).
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  decodeCommand,
  decodeErrorReason,
  decodeMetadata,
  decodePing,
  encodeCommand,
  encodeError,
  encodeMetadata,
  encodePing,
  encodePong,
  encodeReady,
} from "../../src/codec/command.js"
import { ProtocolError } from "../../src/errors.js"
import { NO_LIMITS, RUNS, decodeChunks, forEachChunking, hex } from "./codec-helpers.js"

const u8ToBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)

/** The error code a call throws, or "none"; anything but a ProtocolError is reported as such. */
function thrownCode(fn: () => unknown): string {
  try {
    fn()
    return "none"
  } catch (e) {
    return e instanceof ProtocolError ? e.code : `not a ProtocolError: ${String(e)}`
  }
}

/** Decodes a whole command frame as the decoder delivers it, three ways, and returns the body. */
function commandBodyOf(frame: Buffer): Buffer {
  let body: Buffer | undefined
  forEachChunking(
    frame,
    (chunks, how) => {
      const run = decodeChunks(chunks, NO_LIMITS)
      if (run.thrown !== undefined || run.errors.length > 0) throw new Error(`${how}: decode failed`)
      const ev = run.events
      if (ev.length !== 1 || ev[0]!.kind !== "command") throw new Error(`${how}: expected one command, got ${ev.length} events`)
      if (body && !body.equals(ev[0]!.body)) throw new Error(`${how}: body differs`)
      body = ev[0]!.body
    },
    200,
  )
  return body!
}

describe("READY and metadata", () => {
  it("encodes READY with Socket-Type and Identity exactly as RFC 23 lays it out", () => {
    // RFC 23: ready = command-size %d5 "READY" metadata; property = name value;
    // name = OCTET 1*255name-char; value = 4OCTET *OCTET ; Size in network byte order.
    const frame = encodeReady([
      ["Socket-Type", "DEALER"],
      ["Identity", ""],
    ])
    const expected = hex(`
      04 29
      05 52 45 41 44 59
      0b 53 6f 63 6b 65 74 2d 54 79 70 65  00 00 00 06  44 45 41 4c 45 52
      08 49 64 65 6e 74 69 74 79           00 00 00 00`)
    expect(frame.toString("hex")).toBe(expected.toString("hex"))
    const cmd = decodeCommand(commandBodyOf(frame))
    expect(cmd.name).toBe("READY")
    const meta = decodeMetadata(cmd.data)
    expect([...meta.keys()]).toEqual(["socket-type", "identity"])
    expect(meta.get("socket-type")!.toString()).toBe("DEALER")
    // RFC 23: "Zero-sized values are allowed."
    expect(meta.get("identity")!.length).toBe(0)
  })

  it("metadata names are case-insensitive: any spelling is found under its lower-case name", () => {
    // RFC 23: "Metadata names SHALL be case-insensitive." and "The case (upper or lower) of names SHALL
    // NOT be significant."
    for (const name of ["Socket-Type", "SOCKET-TYPE", "socket-type", "sOcKeT-tYpE"]) {
      const meta = decodeMetadata(encodeMetadata([[name, "ROUTER"]]))
      expect(meta.get("socket-type")?.toString()).toBe("ROUTER")
    }
  })

  it("a value of 2^31-1 declared but not present, a name running past the body, a zero-size name: ERR_ZMTP_INVALID_METADATA", () => {
    // zmq.rs #286: a property length running past the command must be an error, not a crash.
    // 0b "Socket-Type" then a value size of 6 with only 3 octets present.
    expect(thrownCode(() => decodeMetadata(hex("0b 536f636b65742d54797065 00000006 444541")))).toBe("ERR_ZMTP_INVALID_METADATA")
    // Value size 0x7fffffff (RFC 23: "The value SHALL be 0 to 2,147,483,647 ... octets") with nothing after.
    expect(thrownCode(() => decodeMetadata(hex("01 41 7fffffff")))).toBe("ERR_ZMTP_INVALID_METADATA")
    // Value size 0xffffffff.
    expect(thrownCode(() => decodeMetadata(hex("01 41 ffffffff 00")))).toBe("ERR_ZMTP_INVALID_METADATA")
    // Name size 16 with 3 name octets.
    expect(thrownCode(() => decodeMetadata(hex("10 414243")))).toBe("ERR_ZMTP_INVALID_METADATA")
    // Name complete but the 4-octet value size cut short.
    expect(thrownCode(() => decodeMetadata(hex("01 41 0000")))).toBe("ERR_ZMTP_INVALID_METADATA")
    // RFC 23: "The name SHALL be 1 to 255 characters. Zero-sized names are not valid."
    expect(thrownCode(() => decodeMetadata(hex("00 00000000")))).toBe("ERR_ZMTP_INVALID_METADATA")
    expect(thrownCode(() => decodeMetadata(hex("01 41 00000000 00 00000000")))).toBe("ERR_ZMTP_INVALID_METADATA")
  })

  it("empty metadata is an empty map; a value that ends exactly at the end of the body is fine", () => {
    expect(decodeMetadata(Buffer.alloc(0)).size).toBe(0)
    expect(decodeMetadata(hex("01 41 00000002 4243")).get("a")?.toString()).toBe("BC")
  })

  it("encodeMetadata refuses names of 0 or more than 255 octets", () => {
    expect(() => encodeMetadata([["", "x"]])).toThrow(RangeError)
    expect(() => encodeMetadata([["N".repeat(256), "x"]])).toThrow(RangeError)
    expect(encodeMetadata([["N".repeat(255), ""]])[0]).toBe(255)
  })

  it("property: metadata round trip, names lower-cased, values (including empty ones) kept", () => {
    // RFC 23: name-char = ALPHA | DIGIT | "-" | "_" | "." | "+".
    const nameArb = fc.stringMatching(/^[A-Za-z0-9_.+-]{1,30}$/)
    const propsArb = fc.uniqueArray(fc.tuple(nameArb, fc.uint8Array({ maxLength: 40 }).map(u8ToBuffer)), {
      maxLength: 6,
      selector: ([n]) => n.toLowerCase(),
    })
    fc.assert(
      fc.property(propsArb, (props) => {
        const meta = decodeMetadata(encodeMetadata(props))
        if (meta.size !== props.length) throw new Error(`${meta.size} properties, expected ${props.length}`)
        for (const [name, value] of props) {
          if (!meta.get(name.toLowerCase())?.equals(value)) throw new Error(`property ${name} lost`)
        }
      }),
      { numRuns: RUNS },
    )
  })

  it("property: any metadata body, whole or cut anywhere, decodes or throws ERR_ZMTP_INVALID_METADATA, never anything else", () => {
    const validArb = fc
      .array(fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,12}$/), fc.uint8Array({ maxLength: 12 }).map(u8ToBuffer)), { maxLength: 4 })
      .map((props) => encodeMetadata(props))
    const bodyArb = fc.oneof(
      fc.uint8Array({ maxLength: 48 }).map(u8ToBuffer),
      fc.tuple(validArb, fc.nat()).map(([b, cut]) => b.subarray(0, cut % (b.length + 1))),
      fc.tuple(validArb, fc.uint8Array({ maxLength: 12 })).map(([b, g]) => Buffer.concat([b, g])),
    )
    fc.assert(
      fc.property(bodyArb, (body) => {
        const code = thrownCode(() => decodeMetadata(body))
        if (code !== "none" && code !== "ERR_ZMTP_INVALID_METADATA") throw new Error(code)
      }),
      { numRuns: RUNS },
    )
  })
})

describe("decodeCommand", () => {
  it("splits name and data (RFC 23: command-body = command-name command-data)", () => {
    const cmd = decodeCommand(hex("04 50494e47 000a 6869"))
    expect(cmd.name).toBe("PING")
    expect(cmd.data.toString("hex")).toBe("000a6869")
  })

  it("a name size running past the body, a zero-size name, or an empty body: ERR_ZMTP_COMMAND", () => {
    // RFC 23: "command-name = OCTET 1*255command-name-char".
    expect(thrownCode(() => decodeCommand(hex("05 5245414459")))).toBe("none")
    expect(thrownCode(() => decodeCommand(hex("06 5245414459")))).toBe("ERR_ZMTP_COMMAND")
    expect(thrownCode(() => decodeCommand(hex("ff 41")))).toBe("ERR_ZMTP_COMMAND")
    expect(thrownCode(() => decodeCommand(hex("00 41")))).toBe("ERR_ZMTP_COMMAND")
    expect(thrownCode(() => decodeCommand(Buffer.alloc(0)))).toBe("ERR_ZMTP_COMMAND")
  })

  it("property: any command body decodes to a name of the declared size or throws ERR_ZMTP_COMMAND", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }).map(u8ToBuffer), (body) => {
        let cmd: { name: string; data: Buffer } | undefined
        const code = thrownCode(() => (cmd = decodeCommand(body)))
        if (code === "none") {
          if (cmd!.name.length !== body[0] || cmd!.data.length !== body.length - 1 - body[0]!) throw new Error("bad split")
        } else if (code !== "ERR_ZMTP_COMMAND") throw new Error(code)
      }),
      { numRuns: RUNS },
    )
  })

  it("encodeCommand makes a short command frame up to 255 octets of body and a long one above", () => {
    // RFC 23: command-size = %x04 short-size | %x06 long-size.
    expect(encodeCommand("PONG").toString("hex")).toBe("0405" + "04504f4e47")
    const long = encodeCommand("X", Buffer.alloc(254)) // body = 1 + 1 + 254 = 256
    expect(long.subarray(0, 9).toString("hex")).toBe("060000000000000100")
    const short = encodeCommand("X", Buffer.alloc(253)) // body = 255
    expect(short.subarray(0, 2).toString("hex")).toBe("04ff")
    expect(decodeCommand(commandBodyOf(long)).data.length).toBe(254)
    expect(decodeCommand(commandBodyOf(short)).data.length).toBe(253)
  })
})

describe("ERROR", () => {
  it("encodes the reason as a short string (RFC 23: error-reason = OCTET 0*255VCHAR)", () => {
    const frame = encodeError("no")
    expect(frame.toString("hex")).toBe(hex("04 09 05 4552524f52 02 6e6f").toString("hex"))
    const cmd = decodeCommand(commandBodyOf(frame))
    expect(cmd.name).toBe("ERROR")
    expect(decodeErrorReason(cmd.data)).toBe("no")
  })

  it("cuts a reason longer than 255 octets to 255; an empty reason is allowed", () => {
    const cmd = decodeCommand(commandBodyOf(encodeError("r".repeat(300))))
    expect(cmd.data[0]).toBe(255)
    expect(decodeErrorReason(cmd.data)).toBe("r".repeat(255))
    expect(decodeErrorReason(decodeCommand(commandBodyOf(encodeError(""))).data)).toBe("")
  })

  it("reads a short or lying reason without throwing", () => {
    expect(decodeErrorReason(Buffer.alloc(0))).toBe("")
    expect(decodeErrorReason(hex("0a 6162"))).toBe("ab")
  })
})

describe("PING and PONG (RFC 37 Connection Heartbeat)", () => {
  it("PING carries a 16-bit network-order TTL in tenths of a second, then the context", () => {
    // RFC 37: "ping = command-size %d4 "PING" ping-ttl ping-context", "ping-ttl = 2OCTET",
    // "ping-context = 0*16OCTET"; "The ping-ttl is a 16-bit unsigned integer in network order that MAY
    // be zero or MAY contain a time-to-live measured in tenths of seconds."
    expect(encodePing(0).toString("hex")).toBe(hex("04 07 04 50494e47 0000").toString("hex"))
    expect(encodePing(300, Buffer.from("ctx")).toString("hex")).toBe(hex("04 0a 04 50494e47 012c 637478").toString("hex"))
    const ctx16 = Buffer.from("0123456789abcdef")
    const frame = encodePing(0xffff, ctx16)
    expect(frame.toString("hex")).toBe(hex(`04 17 04 50494e47 ffff ${ctx16.toString("hex")}`).toString("hex"))
    const cmd = decodeCommand(commandBodyOf(frame))
    expect(cmd.name).toBe("PING")
    const ping = decodePing(cmd.data)
    expect(ping.ttl).toBe(0xffff)
    expect(ping.context.equals(ctx16)).toBe(true)
  })

  it("a TTL outside 0..65535 is clamped to the 16-bit field ('the maximum TTL is 6553.5 seconds')", () => {
    expect(decodePing(decodeCommand(commandBodyOf(encodePing(70_000))).data).ttl).toBe(0xffff)
    expect(decodePing(decodeCommand(commandBodyOf(encodePing(-5))).data).ttl).toBe(0)
  })

  it("PONG echoes the context (RFC 37: 'respond with a PONG command that echoes the ping-context, which may be empty')", () => {
    expect(encodePong(Buffer.alloc(0)).toString("hex")).toBe(hex("04 05 04 504f4e47").toString("hex"))
    expect(encodePong(Buffer.from("ctx")).toString("hex")).toBe(hex("04 08 04 504f4e47 637478").toString("hex"))
  })

  it("decodePing: shorter than its TTL is ERR_ZMTP_COMMAND; context beyond 16 octets is not echoed", () => {
    // RFC 37: the ping-context "MUST not exceed 16 octets".
    expect(thrownCode(() => decodePing(hex("01")))).toBe("ERR_ZMTP_COMMAND")
    expect(thrownCode(() => decodePing(Buffer.alloc(0)))).toBe("ERR_ZMTP_COMMAND")
    expect(decodePing(hex("0001")).context.length).toBe(0)
    expect(decodePing(Buffer.concat([hex("0001"), Buffer.alloc(20, 7)])).context.length).toBe(16)
  })

  it("property: PING -> frame decoder -> decodeCommand -> decodePing gives back TTL and context; PONG echoes it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 16 }).map(u8ToBuffer), (ttl, ctx) => {
        const run = decodeChunks([encodePing(ttl, ctx)], NO_LIMITS)
        const ev = run.events[0]
        if (run.events.length !== 1 || ev?.kind !== "command") throw new Error("no command decoded")
        const cmd = decodeCommand(ev.body)
        const ping = decodePing(cmd.data)
        if (cmd.name !== "PING" || ping.ttl !== ttl || !ping.context.equals(ctx)) throw new Error("PING changed")
        const pong = decodeCommand(encodePong(ping.context).subarray(2))
        if (pong.name !== "PONG" || !pong.data.equals(ctx)) throw new Error("PONG does not echo the context")
      }),
      { numRuns: RUNS },
    )
  })
})
