/**
 * The two v5 callback APIs side by side: zeromq.js 6.8's `zeromq/v5-compat` (libzmq underneath) and
 * zmtp's, each as the same module type; and the cleanup of the sockets a test made on either.
 */
import { createRequire } from "node:module"
import { afterEach } from "vitest"
import * as zmtpV5 from "../../src/v5-compat.js"

const require = createRequire(import.meta.url)

/** zeromq.js's module (CommonJS), typed as ours: the two are meant to be interchangeable. */
export type V5 = typeof zmtpV5
export const zeromqV5 = require("zeromq/v5-compat") as V5

export const v5libs: readonly { name: "zeromq.js" | "zmtp"; zmq: V5 }[] = [
  { name: "zeromq.js", zmq: zeromqV5 },
  { name: "zmtp", zmq: zmtpV5 },
]

type Closable = { close(): unknown; closed: boolean; setsockopt(o: number, v: unknown): unknown }

/** Returns `track(socket)`: each socket passed is closed, with linger 0, after each test. */
export function closeAfterEach(): <T extends Closable>(s: T) => T {
  const open: Closable[] = []
  afterEach(() => {
    for (const s of open.splice(0)) {
      if (s.closed) continue
      s.setsockopt(17, 0)
      s.close()
    }
  })
  return (s) => {
    open.push(s)
    return s
  }
}

/** Resolves with the arguments of the next `event` the emitter emits. */
export function next(em: { once(e: string, f: (...a: any[]) => void): unknown }, event: string): Promise<any[]> {
  return new Promise((resolve) => em.once(event, (...a: any[]) => resolve(a)))
}

/** Collects `n` "message" events (each an array of frames as strings). */
export function messages(em: { on(e: string, f: (...a: Buffer[]) => void): unknown }, n: number): Promise<string[][]> {
  const got: string[][] = []
  return new Promise((resolve) =>
    em.on("message", (...frames: Buffer[]) => {
      got.push(frames.map((f) => f.toString()))
      if (got.length === n) resolve(got)
    }),
  )
}

/** A bind with the v5 callback, as a promise. */
export function bound(s: { bind(a: string, cb: (e?: Error) => void): unknown }, address: string): Promise<void> {
  return new Promise((resolve, reject) => s.bind(address, (e) => (e ? reject(e) : resolve())))
}
