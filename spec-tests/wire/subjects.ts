/**
 * Subject selection for the RFC 23/37 wire-conformance tests.
 *
 * Each wire test drives one socket under test (the "subject") from a scripted
 * raw peer (raw-peer.ts) and runs once per subject:
 *   - "libzmq": zeromq.js 6 (libzmq 4.3.5), the reference implementation;
 *   - "zmtp":   this project, imported from src/index.ts.
 *
 * SPEC_SUBJECTS picks the subjects (comma separated, default "zmtp,libzmq"); the
 * subjects are loaded by spec-tests/subjects.ts. A subject whose module cannot be
 * imported gets a skipped test that says why, instead of a collection failure.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, it } from "vitest"
import { recvWithin, subjects, type AnySocket, type Closable, type Subject, type SubjectName, type Transport, type Zmq } from "../subjects.js"

export { subjects, transports, type AnySocket, type Subject, type SubjectName, type Transport, type Zmq } from "../subjects.js"

/** Handed to each describe body: the subject's module plus cleanup helpers. */
export interface Ctx {
  name: SubjectName
  zmq: Zmq
  /** Close `sock` (linger 0) after the test. */
  track<T extends Closable>(sock: T): T
  /** Run `fn` after the test (raw peers, servers). */
  defer(fn: () => unknown): void
  /** Bind `sock` on a fresh endpoint and return the address to connect to. */
  bindFresh(sock: AnySocket, transport: Transport): Promise<string>
  /** A fresh ipc endpoint (the file is removed after the test). */
  ipcEndpoint(): string
}

let ipcCounter = 0

/** A unique ipc path under os.tmpdir(), short enough for sun_path. */
export function uniqueIpcPath(): string {
  ipcCounter += 1
  const rand = Math.random().toString(36).slice(2, 8)
  return path.join(os.tmpdir(), `zmtp-wire-${process.pid}-${ipcCounter}-${rand}.sock`)
}

function makeCtx(subject: Subject): Ctx {
  const sockets: Closable[] = []
  const deferred: Array<() => unknown> = []
  afterEach(async () => {
    // Subject sockets first, so that none reconnects to a raw listener that
    // is being torn down; then raw peers, listeners and ipc files.
    for (const s of sockets.splice(0)) {
      try {
        if (!s.closed) {
          s.linger = 0
          s.close()
        }
      } catch {
        /* already closed */
      }
    }
    for (const fn of deferred.splice(0).reverse()) {
      try {
        await fn()
      } catch {
        /* best-effort cleanup */
      }
    }
  })
  const ctx: Ctx = {
    name: subject.name,
    zmq: subject.zmq!,
    track(sock) {
      sockets.push(sock)
      return sock
    },
    defer(fn) {
      deferred.push(fn)
    },
    async bindFresh(sock, transport) {
      if (transport === "tcp") {
        await sock.bind("tcp://127.0.0.1:*")
        const ep = sock.lastEndpoint
        if (!ep) throw new Error("lastEndpoint not set after bind")
        return ep
      }
      const ep = ctx.ipcEndpoint()
      await sock.bind(ep)
      return ep
    },
    ipcEndpoint() {
      const p = uniqueIpcPath()
      deferred.push(() => fs.rmSync(p, { force: true }))
      return `ipc://${p}`
    },
  }
  return ctx
}

/**
 * Run `body` once per selected subject, in a describe block named
 * "<title> [<subject>]". A subject that failed to load gets a skipped test
 * that gives the reason.
 */
export function describeSubjects(title: string, body: (ctx: Ctx) => void): void {
  describe.each(subjects)(`${title} [$name]`, (subject) => {
    if (!subject.zmq) {
      it.skip(`subject ${subject.name} unavailable: ${subject.skipReason}`, () => {})
      return
    }
    body(makeCtx(subject))
  })
}

/**
 * For a behaviour the RFC asks for but libzmq 4.3.5 does not have: on libzmq
 * the test is expected to fail (`it.fails`, the name says why), elsewhere it
 * is an ordinary test.
 */
export function itKnownLibzmqDeviation(ctx: Ctx, reason: string) {
  return (name: string, fn: () => Promise<void>, timeout?: number) => {
    if (ctx.name === "libzmq") it.fails(`${name} (known libzmq deviation: ${reason})`, fn, timeout)
    else it(name, fn, timeout)
  }
}

// ---------------------------------------------------------------------------
// Subject-side message helpers
// ---------------------------------------------------------------------------

// The receive helpers are the ones the socket-level suite uses.
export { codeOf, recvStrs, recvWithin, sleep } from "../subjects.js"

/** True when nothing is waiting on `sock` right now (a receive that may not wait). */
export async function nothingQueued(sock: AnySocket): Promise<boolean> {
  return (await recvWithin(sock, 0)) === undefined
}
