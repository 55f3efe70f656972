/**
 * Helpers shared by push.test.ts, pull.test.ts and pair.test.ts (RFC 30 and 31).
 */
import { type AnySocket, sleep, trySend } from "./subjects.js"

/** A payload big enough that kernel socket buffers fill after a few dozen messages. */
export const BIG = Buffer.alloc(256 * 1024, 0x61)
/** Upper bound on sends while filling a queue, so a broken subject fails instead of eating memory. */
const FILL_CAP = 400

/** A Push, Pull or Pair seen as the helpers' socket type (zeromq.js types Push without receive, Pull without send). */
export const S = (s: unknown): AnySocket => s as AnySocket

/**
 * Sends `frames(i)` without waiting until the socket refuses with EAGAIN twice in a row with a pause
 * between (libzmq's I/O thread keeps moving data into the kernel after one refusal). Returns how
 * many sends were accepted, or -1 if the cap was reached first.
 */
export async function fillUntilEagain(sock: unknown, frames: (i: number) => (string | Buffer)[]): Promise<number> {
  let refusedBefore = false
  for (let i = 0; i < FILL_CAP; ) {
    const err = await trySend(S(sock), frames(i), 0)
    if (err === "EAGAIN") {
      if (refusedBefore) return i
      refusedBefore = true
      await sleep(50)
      continue
    }
    if (err !== undefined) throw new Error(`unexpected send error ${err}`)
    refusedBefore = false
    i++
    if (i % 8 === 0) await sleep(1)
  }
  return -1
}

/**
 * What a call the socket type cannot make does within `ms`: zmtp rejects at once (ENOTSUP, as
 * libzmq's zmq_send/zmq_recv answer); zeromq.js's never settles (its poller waits for an event
 * libzmq never raises). Either way nothing is sent or delivered. Returns "pending" or the code.
 */
export async function settleOf(p: Promise<unknown>, ms = 150): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const r = await Promise.race([
    p.then(
      () => "resolved",
      (e: { code?: string }) => e.code ?? String(e),
    ),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve("pending"), ms))),
  ])
  clearTimeout(timer)
  return r
}
