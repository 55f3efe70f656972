/**
 * The ZMTP 3.x greeting (RFC 23 "The Greeting"): 64 octets of signature, version, mechanism, as-server
 * and filler. Pure: no I/O, no timers.
 */
import { Buffer } from "node:buffer"
import { ProtocolError } from "../errors.js"

/** Size of a full ZMTP 3.x greeting. */
export const GREETING_SIZE = 64

/** What a peer's greeting announced. */
export interface Greeting {
  major: number
  minor: number
  /** Mechanism name with its null padding removed ("NULL", "PLAIN", "CURVE"). */
  mechanism: string
  asServer: boolean
}

/** Encodes our full 64-octet greeting. RFC 23: filler SHOULD be zero; padding of the signature is zero. */
export function encodeGreeting(g: Partial<Greeting> & { mechanism: string }): Buffer {
  const b = Buffer.alloc(GREETING_SIZE)
  b[0] = 0xff
  b[9] = 0x7f
  b[10] = g.major ?? 3
  b[11] = g.minor ?? 1
  if (g.mechanism.length > 20 || !/^[A-Z0-9_-]+$/.test(g.mechanism)) {
    throw new RangeError(`invalid mechanism name ${JSON.stringify(g.mechanism)}`)
  }
  b.write(g.mechanism, 12, "ascii")
  b[32] = g.asServer ? 1 : 0
  return b
}

/**
 * Incremental greeting parser. A peer may send its greeting in stages (libzmq sends the signature and
 * major version first, then the rest: RFC 23 version negotiation) or byte by byte, so this copies
 * at most 64 octets as they come and checks each part as soon as it is complete:
 * - octet 0 and octet 9 (signature) as soon as 10 octets are in, which rejects ZMTP 1.0 peers
 *   (RFC 23 "Backwards Interoperability": a 1.0 peer's first octet is a length, and bit 0 of octet 9
 *   is clear);
 * - the major version at octet 10, which rejects ZMTP 2.0 and older: zmtp does not downgrade;
 * - the rest at 64.
 */
export class GreetingParser {
  private readonly buf = Buffer.alloc(GREETING_SIZE)
  private have = 0
  /** The parsed greeting, once complete. */
  greeting: Greeting | undefined

  /**
   * Feeds bytes. Returns the number of bytes of `chunk` consumed (the rest belongs to the frames that
   * follow the greeting). Throws a {@link ProtocolError} on a bad greeting: the caller's engine turns
   * that into closing this one connection.
   */
  feed(chunk: Buffer): number {
    if (this.greeting) return 0
    const before = this.have
    const take = Math.min(GREETING_SIZE - this.have, chunk.length)
    chunk.copy(this.buf, this.have, 0, take)
    this.have += take
    const b = this.buf
    if (before < 1 && this.have >= 1 && b[0] !== 0xff) {
      throw new ProtocolError("ERR_ZMTP_VERSION", "peer speaks ZMTP 1.0 (no signature); not supported")
    }
    if (before < 10 && this.have >= 10 && (b[9]! & 1) !== 1) {
      throw new ProtocolError("ERR_ZMTP_VERSION", "peer speaks ZMTP 1.0 (no version signature); not supported")
    }
    if (before < 11 && this.have >= 11 && b[10]! < 3) {
      throw new ProtocolError("ERR_ZMTP_VERSION", `peer speaks ZMTP ${b[10]}.x; zmtp requires 3.0 or later`)
    }
    if (this.have === GREETING_SIZE) {
      const mechBytes = b.subarray(12, 32)
      const nul = mechBytes.indexOf(0)
      let mechanism = mechBytes.subarray(0, nul < 0 ? 20 : nul).toString("latin1")
      // RFC 23: the whole 20-octet field must match, so anything after the padding starts must be
      // padding too (libzmq compares all 20 octets). A name that cannot match any mechanism keeps
      // the mismatch visible to the engine.
      if (nul >= 0 && mechBytes.subarray(nul).some((x) => x !== 0)) mechanism = `${mechanism}\0(malformed)`
      // Filler octets 33..63 are not checked: RFC 23 says SHOULD be zero, and peers differ.
      this.greeting = { major: b[10]!, minor: b[11]!, mechanism, asServer: b[32] === 1 }
    }
    return take
  }

  /** Number of greeting octets received so far. */
  get received(): number {
    return this.have
  }
}
