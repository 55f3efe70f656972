/**
 * The TCP options libzmq applies to its descriptors, on Node's sockets: address families by
 * ZMQ_IPV6, SO_KEEPALIVE and TCP_KEEPIDLE by ZMQ_TCP_KEEPALIVE and ZMQ_TCP_KEEPALIVE_IDLE.
 */
import { lookup, V4MAPPED } from "node:dns"
import { isIP, type Socket as NetSocket } from "node:net"

/** The socket options the TCP transport reads (the socket's properties, read when they apply). */
export interface TcpTuning {
  /** ZMQ_IPV6. */
  readonly ipv6: boolean
  /** ZMQ_TCP_KEEPALIVE: -1 leaves the system's setting, 0 turns keep-alive off, 1 on. */
  readonly tcpKeepalive: number
  /** ZMQ_TCP_KEEPALIVE_IDLE, in seconds (-1: the system's). */
  readonly tcpKeepaliveIdle: number
}

/**
 * Sets keep-alive on a connected or accepted TCP socket as libzmq's tune_tcp_keepalives does: only
 * when ZMQ_TCP_KEEPALIVE is not -1, and the idle time only when it is 1 and the idle time is set.
 * Node cannot set TCP_KEEPCNT nor TCP_KEEPINTVL on its own: its setKeepAlive (libuv) sets them to
 * 10 probes 1 s apart whenever it turns keep-alive on, so ZMQ_TCP_KEEPALIVE_CNT/INTVL have no effect.
 */
export function applyKeepalive(sock: NetSocket, o: TcpTuning): void {
  if (o.tcpKeepalive === 0) sock.setKeepAlive(false)
  // An initial delay of 0 leaves TCP_KEEPIDLE as it is (Node's setKeepAlive).
  else if (o.tcpKeepalive === 1) sock.setKeepAlive(true, o.tcpKeepaliveIdle > 0 ? o.tcpKeepaliveIdle * 1000 : 0)
}

/**
 * The address a bind to `host` listens on, as libzmq's tcp_address_t resolves it: the wildcard is
 * `0.0.0.0`, or `::` (dual-stack: it takes IPv4 peers too) with ipv6; with ipv6 an IPv4 literal is
 * taken as its IPv4-mapped IPv6 address (libzmq binds an AF_INET6 socket then). IPv6 literals work
 * whatever ipv6 says (libzmq refuses them without it: a superset).
 */
export function bindAddress(host: string, ipv6: boolean): string {
  if (host === "") return ipv6 ? "::" : "0.0.0.0"
  if (ipv6 && isIP(host) === 4) return `::ffff:${host}`
  return host
}

/**
 * Resolves a host name as libzmq's ip_resolver does: IPv4 addresses only without ipv6; with it IPv6
 * ones, IPv4 addresses coming back IPv4-mapped (AI_V4MAPPED) for a host that has no IPv6 address.
 * A literal is returned as {@link bindAddress} gives it.
 *
 * The mapping is done here when the resolver did not: Deno 2.9's dns.lookup ignores the V4MAPPED
 * hint, so a name with only an IPv4 address (`localhost` in many /etc/hosts) failed with ENOTFOUND.
 */
export function resolveHost(host: string, ipv6: boolean, cb: (err: NodeJS.ErrnoException | null, address: string) => void): void {
  if (host === "" || isIP(host) !== 0) return cb(null, bindAddress(host, ipv6))
  if (!ipv6) return lookup(host, { family: 4 }, (err, address) => cb(err, address))
  lookup(host, { family: 6, hints: V4MAPPED }, (err, address) => {
    if (!err || (err.code !== "ENOTFOUND" && err.code !== "ENODATA")) return cb(err, address)
    lookup(host, { family: 4 }, (err4, address4) => (err4 ? cb(err, "") : cb(null, `::ffff:${address4}`)))
  })
}
