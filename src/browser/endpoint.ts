/**
 * Endpoint parsing in the browser build: as in Node (transport/endpoint.ts), except that a tcp or
 * ipc endpoint is refused with EPROTONOSUPPORT at bind() and connect(), as libzmq refuses a
 * transport it was built without: a page has no raw sockets. The socket calls parseEndpoint for
 * exactly these two transports, before it opens or registers anything.
 */
import { checkUri } from "../transport/endpoint.js"
import type { Endpoint } from "../transport/endpoint.js"
import { zerr } from "../errors.js"

export * from "../transport/endpoint.js"

/** Refuses tcp:// and ipc:// (after the URI checks every transport gets). */
export function parseEndpoint(address: string, _forBind: boolean): Endpoint {
  const transport = checkUri(address)
  throw zerr("EPROTONOSUPPORT", `${transport}:// is not available in a web page (no raw sockets): use ws://, wss:// or inproc://`, address)
}
