/**
 * The tcp/ipc Listener in the browser build. It is never opened (browser/endpoint.ts refuses tcp://
 * and ipc:// first); the socket only needs the class, to tell its listeners apart.
 */
import type { Socket as NetSocket } from "node:net"
import { zerr, type ZmtpError } from "../errors.js"

export class Listener {
  readonly connections = new Set<unknown>()
  private constructor(
    readonly address: string,
    readonly given: string,
  ) {}

  connectionAddress(_sock: NetSocket): string {
    return this.address
  }

  static open(_ep: unknown, given: string): Promise<Listener> {
    return Promise.reject(zerr("EPROTONOSUPPORT", "a web page cannot listen on tcp:// or ipc://", given))
  }

  close(_dropConnections: boolean): void {}
}

export type { ZmtpError }
