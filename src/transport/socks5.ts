/**
 * The SOCKS5 client handshake (RFC 1928) libzmq's socks_connecter makes for ZMQ_SOCKS_PROXY: a
 * greeting offering "no authentication" only, then one CONNECT request. Pure: octets in, octets or
 * a verdict out; the connecter drives it over the proxy connection.
 */
import { Buffer } from "node:buffer"
import { isIP } from "node:net"

/**
 * RFC 1928 section 3: VER 5, NMETHODS 1, METHOD 0x00 (NO AUTHENTICATION REQUIRED). libzmq 4.3.5
 * offers username/password (0x02) only with its draft ZMQ_SOCKS_USERNAME, which zeromq.js does not
 * build; so it always sends these three octets.
 */
export const SOCKS5_GREETING: Buffer = Buffer.from([0x05, 0x01, 0x00])

/**
 * RFC 1928 section 4: VER 5, CMD 1 (CONNECT), RSV 0, then the destination as libzmq encodes it: an
 * IPv4 literal as ATYP 1, an IPv6 literal (brackets removed) as ATYP 4, anything else as a domain
 * name, ATYP 3, not resolved here ("the proxy resolves it"), then the port in network order.
 */
export function socks5ConnectRequest(host: string, port: number): Buffer {
  const h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host
  let addr: Buffer
  switch (isIP(h)) {
    case 4:
      addr = Buffer.from([0x01, ...h.split(".").map(Number)])
      break
    case 6:
      addr = Buffer.concat([Buffer.from([0x04]), ipv6Octets(h)])
      break
    default: {
      const name = Buffer.from(h, "utf8")
      // The name's length travels in one octet.
      if (name.length < 1 || name.length > 255) throw new RangeError(`SOCKS5 host name of ${name.length} octets`)
      addr = Buffer.concat([Buffer.from([0x03, name.length]), name])
    }
  }
  const p = Buffer.alloc(2)
  p.writeUInt16BE(port)
  return Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), addr, p])
}

/** The 16 octets of an IPv6 literal (with `::` and an embedded IPv4 tail). */
function ipv6Octets(a: string): Buffer {
  const out = Buffer.alloc(16)
  let s = a
  let tail: number[] = []
  const v4 = s.lastIndexOf(":")
  if (s.slice(v4 + 1).includes(".")) {
    const q = s.slice(v4 + 1).split(".").map(Number)
    tail = [(q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!]
    s = s.slice(0, v4 + 1) + "0:0"
  }
  const [head, rest] = s.split("::") as [string, string | undefined]
  const hs = head === "" ? [] : head.split(":")
  const rs = rest === undefined || rest === "" ? [] : rest.split(":")
  const groups = rest === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - rs.length).fill("0"), ...rs]
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  if (tail.length) {
    out.writeUInt16BE(tail[0]!, 12)
    out.writeUInt16BE(tail[1]!, 14)
  }
  return out
}

/** What a reply decoder makes of the octets so far. */
export type SocksVerdict = { done: false } | { done: true; ok: true; rest: Buffer } | { done: true; ok: false; reason: string }

/**
 * RFC 1928 section 3: the method selection, VER 5 and METHOD. libzmq accepts only 0x00, the one it
 * offered; 0xFF (NO ACCEPTABLE METHODS) or anything else fails the connection.
 */
export function socks5Choice(b: Buffer): SocksVerdict {
  if (b.length < 2) return { done: false }
  if (b[0] !== 0x05) return { done: true, ok: false, reason: `SOCKS version ${b[0]} in the method selection` }
  if (b[1] !== 0x00) return { done: true, ok: false, reason: `SOCKS method 0x${b[1]!.toString(16)} (only 0x00 was offered)` }
  return { done: true, ok: true, rest: b.subarray(2) }
}

/**
 * RFC 1928 section 6: the reply, VER 5, REP, RSV 0, ATYP and BND.ADDR/BND.PORT. REP 0 is success;
 * any other (1 general failure ... 8 address type not supported) fails the connection, as does a
 * reply that is not well formed. What follows the reply is the destination's first octets.
 */
export function socks5Reply(b: Buffer): SocksVerdict {
  if (b.length < 5) return { done: false }
  if (b[0] !== 0x05) return { done: true, ok: false, reason: `SOCKS version ${b[0]} in the reply` }
  if (b[2] !== 0x00) return { done: true, ok: false, reason: "SOCKS reply with a non-zero reserved octet" }
  const atyp = b[3]
  const addrLen = atyp === 0x01 ? 4 : atyp === 0x04 ? 16 : atyp === 0x03 ? 1 + b[4]! : -1
  if (addrLen < 0) return { done: true, ok: false, reason: `SOCKS reply address type ${atyp}` }
  const n = 4 + addrLen + 2
  if (b.length < n) return { done: false }
  if (b[1] !== 0x00) return { done: true, ok: false, reason: `SOCKS proxy refused the connection (reply ${b[1]})` }
  return { done: true, ok: true, rest: b.subarray(n) }
}
