/**
 * `node:net` in the browser build. A page has no raw sockets: tcp:// and ipc:// are refused at
 * bind() and connect() with EPROTONOSUPPORT (browser/endpoint.ts), so nothing here ever dials or
 * listens; what remains is isIP, which endpoint parsing uses.
 */
import { zerr } from "../../errors.js"

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** 4 for an IPv4 address, 6 for an IPv6 one, 0 otherwise (as Node's). */
export function isIP(s: string): 0 | 4 | 6 {
  if (V4.test(s)) return 4
  if (!s.includes(":") || s.includes(":::")) return 0
  // Let the URL parser judge IPv6 (a zone id is not part of an address it takes; strip it).
  try {
    new URL(`http://[${s.split("%")[0]}]/`)
    return 6
  } catch {
    return 0
  }
}

function noSockets(): never {
  throw zerr("EPROTONOSUPPORT", "a web page has no TCP or Unix sockets: use ws:// or wss://")
}

export function connect(): never {
  return noSockets()
}

export function createServer(): never {
  return noSockets()
}

/** ZMQ_TCP_ACCEPT_FILTER's address list: meaningless without tcp listeners. */
export class BlockList {
  constructor() {
    noSockets()
  }
}
