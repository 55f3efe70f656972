/**
 * Property (c) of the codec issue: the greeting (RFC 23 / RFC 37 "The Greeting") round-trips through
 * encodeGreeting and GreetingParser under any chunking, and version negotiation is right for every
 * major/minor pair. zmtp does not downgrade: anything older than ZMTP 3.0 is refused with
 * ERR_ZMTP_VERSION as soon as the octet that reveals it arrives.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { GREETING_SIZE, GreetingParser, encodeGreeting, type Greeting } from "../../src/codec/greeting.js"
import { ProtocolError } from "../../src/errors.js"
import { RUNS, bytewise, chunkHolding, cutsArb, hex, splitAt, threeWays } from "./codec-helpers.js"

interface ParseRun {
  greeting: Greeting | undefined
  consumed: number
  error: unknown
  /** Index of the chunk whose feed threw. */
  errorChunk: number
}

function parseChunks(chunks: readonly Buffer[]): ParseRun {
  const p = new GreetingParser()
  let consumed = 0
  for (let c = 0; c < chunks.length; c++) {
    try {
      const used = p.feed(chunks[c]!)
      if (used < 0 || used > chunks[c]!.length) throw new Error(`feed returned ${used} for ${chunks[c]!.length} octets`)
      consumed += used
    } catch (error) {
      return { greeting: p.greeting, consumed, error, errorChunk: c }
    }
  }
  return { greeting: p.greeting, consumed, error: undefined, errorChunk: -1 }
}

/** A 64-octet greeting with the given version; the rest as encodeGreeting makes it for NULL. */
function greetingWithVersion(major: number, minor: number): Buffer {
  const b = encodeGreeting({ mechanism: "NULL" })
  b[10] = major
  b[11] = minor
  return b
}

const isVersionError = (e: unknown) => e instanceof ProtocolError && e.code === "ERR_ZMTP_VERSION"

/** RFC 23: "mechanism-char = "A"-"Z" | DIGIT | "-" | "_" | "." | "+" | %x0". encodeGreeting takes A-Z, 0-9, "-", "_". */
const mechanismArb = fc.oneof(
  fc.constantFrom("NULL", "PLAIN", "CURVE", "GSSAPI"),
  fc.stringMatching(/^[A-Z0-9_-]{1,20}$/),
)

describe("encodeGreeting", () => {
  it("writes the RFC 37 greeting for NULL, octet for octet", () => {
    // RFC 37: signature = %xFF padding %x7F; version-major = %x03; version-minor = %x01;
    // mechanism = 20 null-padded octets; as-server = %x00 | %x01; filler = 31%x00.
    const expected = hex(`
      ff 00 00 00 00 00 00 00 00 7f   03 01
      4e 55 4c 4c 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
      00
      ${"00 ".repeat(31)}`)
    expect(encodeGreeting({ mechanism: "NULL" }).toString("hex")).toBe(expected.toString("hex"))
    expect(GREETING_SIZE).toBe(64)
  })

  it("sets as-server to %x01 when asked, and writes the version given", () => {
    const b = encodeGreeting({ mechanism: "PLAIN", asServer: true, major: 3, minor: 0 })
    expect([b[10], b[11], b[32]]).toEqual([3, 0, 1])
    expect(b.subarray(12, 32).toString("latin1")).toBe("PLAIN" + "\0".repeat(15))
  })

  it("refuses a mechanism name that does not fit the 20-octet field", () => {
    expect(() => encodeGreeting({ mechanism: "X".repeat(21) })).toThrow(RangeError)
    expect(() => encodeGreeting({ mechanism: "" })).toThrow(RangeError)
  })
})

describe("property (c): greeting round trip under any chunking", () => {
  it("encodeGreeting -> GreetingParser gives back version, mechanism and as-server; octets after 64 are left over", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 255 }),
        fc.nat(255),
        mechanismArb,
        fc.boolean(),
        fc.uint8Array({ maxLength: 20 }),
        cutsArb,
        (major, minor, mechanism, asServer, tail, cuts) => {
          const wire = Buffer.concat([encodeGreeting({ major, minor, mechanism, asServer }), tail])
          for (const [how, chunks] of threeWays(wire, cuts)) {
            const run = parseChunks(chunks)
            if (run.error !== undefined) throw new Error(`${how}: ${String(run.error)}`)
            const g = run.greeting
            if (!g || g.major !== major || g.minor !== minor || g.mechanism !== mechanism || g.asServer !== asServer) {
              throw new Error(`${how}: parsed ${JSON.stringify(g)}`)
            }
            // The frames that follow the greeting in the same chunk are not swallowed.
            if (run.consumed !== GREETING_SIZE) throw new Error(`${how}: consumed ${run.consumed}`)
          }
        },
      ),
      { numRuns: RUNS },
    )
  })

  it("any 64 octets: accepted exactly when the signature and major version allow, refused on the revealing octet", () => {
    // A greeting built from parts, each sometimes valid and sometimes not; padding (RFC 23: "padding =
    // 8OCTET ; Not significant") and filler are random, so non-zero filler must be accepted.
    const greetingArb = fc
      .record({
        first: fc.oneof({ weight: 4, arbitrary: fc.constant(0xff) }, { weight: 1, arbitrary: fc.nat(255) }),
        padding: fc.uint8Array({ minLength: 8, maxLength: 8 }),
        ninth: fc.oneof({ weight: 4, arbitrary: fc.constant(0x7f) }, { weight: 1, arbitrary: fc.nat(255) }),
        major: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 3, max: 255 }) }, { weight: 1, arbitrary: fc.nat(255) }),
        minor: fc.nat(255),
        mechanism: mechanismArb,
        asServer: fc.nat(255),
        filler: fc.uint8Array({ minLength: 31, maxLength: 31 }),
      })
      .map((p) => {
        const b = Buffer.alloc(64)
        b[0] = p.first
        b.set(p.padding, 1)
        b[9] = p.ninth
        b[10] = p.major
        b[11] = p.minor
        b.write(p.mechanism, 12, "latin1")
        b[32] = p.asServer
        b.set(p.filler, 33)
        return { b, p }
      })
    fc.assert(
      fc.property(greetingArb, cutsArb, ({ b, p }, cuts) => {
        // RFC 23 "Detecting ZMTP 1.0 and 2.0 Peers": "If this first octet is not %FF, then the other peer
        // is using ZMTP 1.0"; "inspect the last octet (the 10th in total). If the least significant bit
        // is 0, then the other peer is using ZMTP 1.0"; "We read a further octet, which indicates the
        // ZMTP version. If this is 1 or 2, we have a ZMTP 2.0 peer."
        const failAt = p.first !== 0xff ? 0 : (p.ninth & 1) === 0 ? 9 : p.major < 3 ? 10 : -1
        for (const [how, chunks] of threeWays(b, cuts)) {
          const run = parseChunks(chunks)
          if (failAt >= 0) {
            if (!isVersionError(run.error)) throw new Error(`${how}: expected ERR_ZMTP_VERSION, got ${String(run.error)}`)
            if (run.errorChunk !== chunkHolding(chunks, failAt)) throw new Error(`${how}: refused on chunk ${run.errorChunk}`)
            if (run.greeting !== undefined) throw new Error(`${how}: a refused greeting was parsed`)
          } else {
            if (run.error !== undefined) throw new Error(`${how}: ${String(run.error)}`)
            const g = run.greeting!
            if (g.major !== p.major || g.minor !== p.minor || g.mechanism !== p.mechanism || g.asServer !== (p.asServer === 1)) {
              throw new Error(`${how}: parsed ${JSON.stringify(g)}`)
            }
          }
        }
      }),
      { numRuns: RUNS },
    )
  })
})

describe("version negotiation, every major/minor pair 0..255 x 0..255", () => {
  it("major >= 3 is accepted with its minor; major < 3 is refused after the 11th octet (whole, byte by byte, 11 + 53)", () => {
    // RFC 23: "A peer MUST accept higher protocol versions as valid. That is, a ZMTP peer MUST accept
    // protocol versions greater or equal to 3.0." RFC 23 "Version Negotiation": "The peer SHALL then
    // read the first eleven octets of greeting sent by the other peer, and determine whether to
    // downgrade or not." zmtp never downgrades, so 1.x and 2.x peers are refused there.
    // The third chunking is the one libzmq uses (signature and major first, then the rest); the
    // fast-check property above covers chunkings fast-check chooses.
    const failures: string[] = []
    for (let major = 0; major < 256; major++) {
      for (let minor = 0; minor < 256; minor++) {
        const b = greetingWithVersion(major, minor)
        const ways: Array<[string, Buffer[]]> = [
          ["one chunk", [b]],
          ["byte by byte", bytewise(b)],
          ["11 + 53", splitAt(b, [11])],
        ]
        for (const [how, chunks] of ways) {
          const run = parseChunks(chunks)
          if (major >= 3) {
            const g = run.greeting
            if (run.error !== undefined || !g || g.major !== major || g.minor !== minor || g.mechanism !== "NULL") {
              failures.push(`${major}.${minor} ${how}: ${String(run.error ?? JSON.stringify(g))}`)
            }
          } else if (!isVersionError(run.error) || run.errorChunk !== chunkHolding(chunks, 10) || run.greeting) {
            failures.push(`${major}.${minor} ${how}: expected ERR_ZMTP_VERSION on octet 10, got ${String(run.error)}`)
          }
        }
      }
    }
    expect(failures.slice(0, 10)).toEqual([])
  })
})

describe("greeting examples", () => {
  it("a ZMTP 1.0 peer (first octet is an identity length, not %xFF) is refused on the first octet", () => {
    // RFC 23: "If this first octet is not %FF, then the other peer is using ZMTP 1.0, and has sent us a
    // short frame length for its identity." Checked for every first octet but %xFF.
    for (let first = 0; first < 0xff; first++) {
      const p = new GreetingParser()
      expect(() => p.feed(Buffer.from([first]))).toThrow(ProtocolError)
      const q = new GreetingParser()
      let err: unknown
      try {
        q.feed(Buffer.from([first, 0, 0, 0]))
      } catch (e) {
        err = e
      }
      expect(isVersionError(err)).toBe(true)
    }
  })

  it("%xFF then octet 9 with bit 0 clear (a ZMTP 1.0 long identity length) is refused on octet 9", () => {
    // RFC 23: "If this first octet is %FF, then we read nine further octets, and inspect the last octet
    // (the 10th in total). If the least significant bit is 0, then the other peer is using ZMTP 1.0 and
    // has sent us a long length for its identity." Checked for every even octet 9.
    for (let ninth = 0; ninth < 256; ninth += 2) {
      const b = greetingWithVersion(3, 1)
      b[9] = ninth
      const p = new GreetingParser()
      expect(p.feed(b.subarray(0, 9))).toBe(9)
      let err: unknown
      try {
        p.feed(b.subarray(9))
      } catch (e) {
        err = e
      }
      expect(isVersionError(err)).toBe(true)
      expect(p.greeting).toBeUndefined()
    }
  })

  it("a libzmq 4.3 greeting with non-zero padding and filler is accepted (filler SHOULD be zero, not MUST)", () => {
    // libzmq sends padding as zeros, but RFC 23 says padding is "Not significant"; filler octets from
    // other implementations are not always zero.
    const b = hex(`ff 0102030405060708 7f 03 01 ${Buffer.from("NULL").toString("hex")} ${"00".repeat(16)} 00 ${"ab".repeat(31)}`)
    for (const chunks of [[b], bytewise(b), splitAt(b, [10, 11, 12])]) {
      const run = parseChunks(chunks)
      expect(run.error).toBeUndefined()
      expect(run.greeting).toEqual({ major: 3, minor: 1, mechanism: "NULL", asServer: false })
    }
  })

  it("ZMTP 3.0 (minor 0) and a future 4.7 are accepted and their minor remembered", () => {
    expect(parseChunks([greetingWithVersion(3, 0)]).greeting?.minor).toBe(0)
    const g = parseChunks([greetingWithVersion(4, 7)]).greeting
    expect([g?.major, g?.minor]).toEqual([4, 7])
  })

  it("after the 64th octet the parser takes nothing more", () => {
    const p = new GreetingParser()
    expect(p.feed(Buffer.concat([encodeGreeting({ mechanism: "NULL" }), Buffer.from([0, 0])]))).toBe(64)
    expect(p.received).toBe(64)
    expect(p.feed(Buffer.from([4, 1]))).toBe(0)
  })

  it("the mechanism name is read exactly, null padding removed: NULL, PLAIN, CURVE are told apart from near misses", () => {
    // RFC 23: "mechanism = 20mechanism-char" (a null-padded string), and "If the mechanism that the peer
    // received does not exactly match the mechanism it sent, it MUST close the connection." The engine
    // compares the parsed name with its own by string equality, so the parsed name must be exact.
    const mech = (field: string) => {
      const b = encodeGreeting({ mechanism: "NULL" })
      b.fill(0, 12, 32)
      b.write(field, 12, "latin1")
      return parseChunks([b]).greeting!.mechanism
    }
    expect(mech("NULL")).toBe("NULL")
    expect(mech("PLAIN")).toBe("PLAIN")
    expect(mech("CURVE")).toBe("CURVE")
    expect(mech("NUL")).not.toBe("NULL")
    expect(mech("NULLX")).not.toBe("NULL")
    expect(mech("null")).not.toBe("NULL")
    expect(mech("PLAINTEXT")).not.toBe("PLAIN")
    // All 20 octets used: no terminator at all.
    expect(mech("ABCDEFGHIJKLMNOPQRST")).toBe("ABCDEFGHIJKLMNOPQRST")
  })

  // KNOWN DEFECT (reported to the lead, src/codec/greeting.ts): the parser cuts the mechanism at the
  // first NUL, so "NULL\0X" followed by NULs reads as "NULL" and is accepted as the NULL mechanism.
  // libzmq compares all 20 octets of the field with "NULL" and 16 NULs (zmtp_engine.cpp
  // handshake_v3_x) and would refuse this peer. it.fails keeps the suite green until the fix lands;
  // change it to `it` then.
  it("a mechanism field with non-NUL octets after the padding starts does not read as NULL", () => {
    const b = encodeGreeting({ mechanism: "NULL" })
    b[17] = 0x58 // "NULL", NUL, then "X" at octet 17
    const run = parseChunks([b])
    expect(run.greeting?.mechanism === "NULL" && run.error === undefined).toBe(false)
  })
})
