/**
 * What the side-by-side tests share: the two implementations under the same zeromq.js API, and the
 * cleanup of the sockets a test opened on either (closed with linger 0 after each test).
 */
import { afterEach } from "vitest"
import * as zeromq from "zeromq"
import * as zmtp from "../../src/index.js"

export type Zmq = typeof import("zeromq")
export type LibName = "zeromq.js" | "zmtp"

/** zeromq.js (libzmq 4.3.5) and zmtp, each as the zeromq.js module type. */
export const libs: readonly { name: LibName; zmq: Zmq }[] = [
  { name: "zeromq.js", zmq: zeromq },
  { name: "zmtp", zmq: zmtp as unknown as Zmq },
]

type Closable = { close(): void; closed: boolean; linger: number }

/** Returns `track(socket)`: each socket passed is closed, with linger 0, after each test. */
export function closeAfterEach(): <T extends Closable>(sock: T) => T {
  const open: Closable[] = []
  afterEach(() => {
    for (const s of open.splice(0)) {
      if (s.closed) continue
      s.linger = 0
      s.close()
    }
  })
  return (sock) => {
    open.push(sock)
    return sock
  }
}
