/**
 * Socket-type names and the compatibility matrix of RFC 23 "The Socket Type Property" (PUSH/PULL:
 * RFC 30, PAIR: RFC 31).
 */

/** Socket types zmtp implements. */
export type SocketTypeName = "REQ" | "REP" | "DEALER" | "ROUTER" | "PUB" | "SUB" | "XPUB" | "XSUB" | "PUSH" | "PULL" | "PAIR" | "STREAM"

/** RFC 23: which peer socket types each socket type SHALL accept. Others close the connection. */
const compatible: Record<string, readonly string[]> = {
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  XPUB: ["SUB", "XSUB"],
  XSUB: ["PUB", "XPUB"],
  PUSH: ["PULL"],
  PULL: ["PUSH"],
  PAIR: ["PAIR"],
  // STREAM speaks no ZMTP (raw-engine.ts): it takes no ZMTP peer.
  STREAM: [],
}

/** True if a socket of type `ours` may talk to a peer announcing `theirs`. */
export function isCompatible(ours: SocketTypeName, theirs: string): boolean {
  return compatible[ours]?.includes(theirs) ?? false
}

/** libzmq's numeric socket type constants, as zeromq.js exposes them in `sock.type`. */
export const socketTypeNumber: Record<SocketTypeName, number> = { REQ: 3, REP: 4, DEALER: 5, ROUTER: 6, PUB: 1, SUB: 2, XPUB: 9, XSUB: 10, PUSH: 8, PULL: 7, PAIR: 0, STREAM: 11 }
