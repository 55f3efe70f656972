/**
 * ZMQ_TCP_ACCEPT_FILTER: the networks a socket's TCP listeners accept connections from. libzmq keeps
 * a list of address masks (tcp_address_mask_t); with any in it, a connection whose peer matches none
 * is closed as soon as it is accepted. A mask matches only an address of its own family: an IPv4
 * filter does not match an IPv4-mapped IPv6 peer (a dual-stack listener's), as in libzmq.
 */
import { BlockList, isIP } from "node:net"

/**
 * One part of a numeric IPv4 address as inet_aton reads it (what getaddrinfo with AI_NUMERICHOST
 * takes, so libzmq accepts `127.1`): hex after 0x, octal after a leading 0, else decimal.
 */
function inetPart(s: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16)
  if (/^0[0-7]*$/.test(s)) return parseInt(s, 8)
  if (/^[1-9][0-9]*$/.test(s)) return parseInt(s, 10)
  return undefined
}

/** A numeric IPv4 address in any inet_aton form (`a`, `a.b`, `a.b.c`, `a.b.c.d`) as dotted quad, or undefined. */
export function inetAton(s: string): string | undefined {
  const parts = s.split(".").map(inetPart)
  if (parts.length > 4 || parts.some((p) => p === undefined)) return undefined
  const n = parts as number[]
  // The last part fills the octets the others leave.
  const lastMax = 2 ** (8 * (5 - n.length)) - 1
  if (n.slice(0, -1).some((p) => p > 255) || n[n.length - 1]! > lastMax) return undefined
  let v = n[n.length - 1]!
  for (let i = 0; i < n.length - 1; i++) v += n[i]! * 2 ** (8 * (3 - i))
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".")
}

/** A filter as libzmq parses it: `address` or `address/bits`, numeric only; undefined when libzmq refuses it. */
function parse(s: string, ipv6: boolean): { address: string; bits: number; family: "ipv4" | "ipv6" } | undefined {
  const slash = s.indexOf("/")
  const addr = slash < 0 ? s : s.slice(0, slash)
  let family: "ipv4" | "ipv6"
  let address: string
  if (isIP(addr) === 6) {
    if (!ipv6) return undefined
    family = "ipv6"
    address = addr
  } else {
    const v4 = inetAton(addr)
    if (v4 === undefined) return undefined
    family = "ipv4"
    address = v4
  }
  const max = family === "ipv4" ? 32 : 128
  if (slash < 0) return { address, bits: max, family }
  const bits = s.slice(slash + 1)
  if (!/^[0-9]+$/.test(bits) || Number(bits) > max) return undefined
  return { address, bits: Number(bits), family }
}

/** True if libzmq takes `s` as a ZMQ_TCP_ACCEPT_FILTER value (`ipv6`: the socket's ZMQ_IPV6). */
export function validAcceptFilter(s: string, ipv6: boolean): boolean {
  return parse(s, ipv6) !== undefined
}

/** The filters of one socket. */
export class AcceptFilter {
  private v4: BlockList | undefined
  private v6: BlockList | undefined

  /** True when no filter is set: every peer is accepted. */
  get empty(): boolean {
    return this.v4 === undefined && this.v6 === undefined
  }

  /** Adds a filter checked with {@link validAcceptFilter} (IPv6 ones were allowed then). */
  add(s: string): void {
    const f = parse(s, true)!
    const list = f.family === "ipv4" ? (this.v4 ??= new BlockList()) : (this.v6 ??= new BlockList())
    list.addSubnet(f.address, f.bits, f.family)
  }

  /** Removes every filter (null set as the option). */
  clear(): void {
    this.v4 = this.v6 = undefined
  }

  /** True if a TCP peer at `address` (as net.Socket reports it) may stay connected. */
  allows(address: string | undefined, family: string | undefined): boolean {
    if (this.empty) return true
    if (address === undefined) return false
    if (family === "IPv4") return this.v4?.check(address, "ipv4") ?? false
    if (family === "IPv6") return this.v6?.check(address, "ipv6") ?? false
    return false
  }
}
