/**
 * Shared pieces of the robustness tests (issue 10): a watcher for process-level faults (unhandled
 * rejections, uncaught exceptions), a fast poll for conditions that settle within a few event-loop
 * turns, raw net connections to zmtp endpoints, and the "exchange one message" probe used as the
 * liveness invariant for every subject socket type.
 */
import * as net from "node:net"
import { expect } from "vitest"
import type { Dealer, Reply, Request, Router } from "../../src/index.js"
import { within } from "../helpers.js"
import { netTarget } from "../../spec-tests/wire/raw-peer.js"

/**
 * Records every unhandled rejection and uncaught exception while installed. A robustness test
 * asserts the list stays empty: a hostile peer must never be able to raise a process-level fault.
 */
export class FaultWatcher {
  readonly faults: { kind: string; error: unknown }[] = []
  private readonly onRejection = (error: unknown) => this.faults.push({ kind: "unhandledRejection", error })
  private readonly onException = (error: unknown) => this.faults.push({ kind: "uncaughtException", error })

  install(): this {
    process.on("unhandledRejection", this.onRejection)
    process.on("uncaughtException", this.onException)
    return this
  }

  uninstall(): void {
    process.off("unhandledRejection", this.onRejection)
    process.off("uncaughtException", this.onException)
  }

  /** Fails the test with the first recorded fault, if any. */
  assertNone(context = ""): void {
    if (this.faults.length === 0) return
    const f = this.faults[0]!
    // Reported once: the next test starts clean.
    this.faults.length = 0
    const msg = f.error instanceof Error ? (f.error.stack ?? f.error.message) : String(f.error)
    expect.fail(`${f.kind}${context ? ` (${context})` : ""}: ${msg}`)
  }
}

const turn = () => new Promise<void>((r) => setImmediate(r))
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Polls `cond` until true, first on every event-loop turn (most conditions here settle within a
 * few turns: a loopback write, a close), then every millisecond, up to `ms`. Returns whether it held.
 */
export async function settle(cond: () => boolean, ms = 3000): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return true
    await turn()
  }
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (cond()) return true
    await pause(1)
  }
  return cond()
}

/** A plain connected net socket to a tcp:// or ipc:// endpoint, with state tracking. */
export interface RawConn {
  sock: net.Socket
  closed: boolean
  received: number
}

export function rawConnect(endpoint: string): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(netTarget(endpoint))
    const conn: RawConn = { sock, closed: false, received: 0 }
    sock.setNoDelay(true)
    // The subject may reset a connection it drops: an outcome, not an error of the test.
    sock.on("error", () => {})
    sock.on("data", (d: Buffer) => (conn.received += d.length))
    sock.once("close", () => (conn.closed = true))
    sock.once("connect", () => {
      sock.off("error", reject)
      resolve(conn)
    })
    sock.once("error", reject)
  })
}

/** Writes a buffer and waits until the kernel took it (or the connection is gone). */
export function rawWrite(c: RawConn, data: Buffer): Promise<void> {
  if (c.closed || c.sock.destroyed || data.length === 0) return Promise.resolve()
  return new Promise((resolve) => c.sock.write(data, () => resolve()))
}

export type SubjectType = "REQ" | "REP" | "DEALER" | "ROUTER"
export type AnySubject = Request | Reply | Dealer | Router

/**
 * Exchanges one request and one answer between the subject and its well-behaved peer, tagged with
 * `tag`, and checks both arrive. Messages left by hostile connections (a fuzz case may complete a
 * handshake and send valid traffic) are skipped: the subject must still get the good peer's
 * message after them. REP answers whatever it skips, so its state machine stays in step.
 */
export async function exchange(type: SubjectType, subject: AnySubject, good: AnySubject, tag: string, ms = 5000): Promise<void> {
  const run = async () => {
    switch (type) {
      case "REP": {
        // Good peer is a REQ: request -> REP -> reply.
        await good.send(`q-${tag}`)
        for (let skipped = 0; ; skipped++) {
          const m = await subject.receive()
          const body = m[m.length - 1]!.toString()
          await subject.send(body === `q-${tag}` ? `a-${tag}` : "ignored")
          if (body === `q-${tag}`) break
          if (skipped > 1000) throw new Error("REP subject never got the good request")
        }
        const r = await good.receive()
        expect(r.map(String)).toEqual([`a-${tag}`])
        return
      }
      case "REQ": {
        // Good peer is a REP; hostile pipes are gone by now, so the request can only go to it.
        await subject.send(`q-${tag}`)
        const q = await good.receive()
        expect(q.map(String)).toEqual([`q-${tag}`])
        await good.send(`a-${tag}`)
        const r = await subject.receive()
        expect(r.map(String)).toEqual([`a-${tag}`])
        return
      }
      case "DEALER": {
        await good.send(`q-${tag}`)
        await receiveMatching(subject, (m) => m.length === 1 && m[0]!.toString() === `q-${tag}`)
        await subject.send(`a-${tag}`)
        await receiveMatching(good, (m) => m.length === 1 && m[0]!.toString() === `a-${tag}`)
        return
      }
      case "ROUTER": {
        await good.send(`q-${tag}`)
        const m = await receiveMatching(subject, (m) => m.length === 2 && m[1]!.toString() === `q-${tag}`)
        expect(m[0]!.toString()).toBe("good")
        await subject.send([m[0]!, `a-${tag}`])
        await receiveMatching(good, (m) => m.length === 1 && m[0]!.toString() === `a-${tag}`)
        return
      }
    }
  }
  await within(run(), ms, `exchange ${tag} with the ${type} subject`)
}

async function receiveMatching(sock: AnySubject, ok: (m: Buffer[]) => boolean): Promise<Buffer[]> {
  for (let i = 0; i < 10_000; i++) {
    const m = await sock.receive()
    if (ok(m)) return m
  }
  throw new Error("expected message never arrived")
}
