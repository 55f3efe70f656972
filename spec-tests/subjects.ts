/**
 * Subjects and helpers for the RFC 28 conformance suite.
 *
 * Every test in spec-tests/*.test.ts is written once against the zeromq.js v6
 * API and run once per subject:
 *   - "libzmq": zeromq.js (libzmq 4.3.5), the reference implementation;
 *   - "zmtp":   this project, imported from ../src/index.js.
 *
 * Choose subjects with SPEC_SUBJECTS (comma separated, default "zmtp,libzmq").
 * A subject whose module cannot be imported (for instance while src/index.ts is
 * still being written) is reported as a skipped describe block with the reason,
 * rather than breaking test collection.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, it } from "vitest"
import { freeTcpPort, inProcessLibzmq } from "../test/helpers.js"

/** The module shape every subject must provide: the zeromq.js v6 API. */
export type Zmq = typeof import("zeromq")
export type SubjectName = "zmtp" | "libzmq"
export type Transport = "tcp" | "ipc"

/** Behaviour tests run over both stream transports (DESIGN.md house rule 9). */
export const transports: readonly Transport[] = ["tcp", "ipc"]

/** Anything with the zeromq.js socket surface that we need for cleanup. */
export interface Closable {
  close(): void
  linger: number
  readonly closed: boolean
}

/** A socket as the tests use it: zeromq.js' Readable & Writable surface. */
export type AnySocket = InstanceType<Zmq["Dealer"]> | InstanceType<Zmq["Router"]> | InstanceType<Zmq["Request"]> | InstanceType<Zmq["Reply"]>

export interface Subject {
  name: SubjectName
  zmq?: Zmq
  skipReason?: string
}

const REQUIRED_EXPORTS = ["Request", "Reply", "Dealer", "Router"] as const

async function loadSubject(name: SubjectName): Promise<Subject> {
  // Under Bun, zeromq.js imports but its first socket aborts the process: ask a child first.
  const libzmq = name === "libzmq" ? inProcessLibzmq() : { ok: true as const }
  if (!libzmq.ok) return { name, skipReason: libzmq.reason }
  try {
    // The zmtp specifier sits in a variable so that `tsc` does not type the
    // module (its exports are checked below, at run time). SPEC_ZMTP_MODULE
    // overrides it (e.g. "../dist/index.js" to test the built package).
    const zmtpSpecifier = process.env.SPEC_ZMTP_MODULE ?? "../src/index.js"
    const mod = (name === "libzmq" ? await import("zeromq") : await import(/* @vite-ignore */ zmtpSpecifier)) as Zmq
    const missing = REQUIRED_EXPORTS.filter((k) => typeof (mod as Record<string, unknown>)[k] !== "function")
    if (missing.length > 0) return { name, skipReason: `module lacks export(s) ${missing.join(", ")}` }
    return { name, zmq: mod }
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err)
    return { name, skipReason: `import failed: ${msg}` }
  }
}

const wanted = (process.env.SPEC_SUBJECTS ?? "zmtp,libzmq")
  .split(",")
  .map((s) => s.trim())
  .filter((s): s is SubjectName => s === "zmtp" || s === "libzmq")

/** The subjects selected by SPEC_SUBJECTS, loaded once per test file. */
export const subjects: Subject[] = await Promise.all(wanted.map(loadSubject))

// ---------------------------------------------------------------------------
// Per-test context
// ---------------------------------------------------------------------------

/** Handed to each describe body: the subject's module plus helpers bound to it. */
export interface Ctx {
  name: SubjectName
  zmq: Zmq
  /** Register a socket (or anything closable) to be closed after the test. */
  track<T extends Closable>(sock: T): T
  /** Register a file path to be removed after the test. */
  trackPath(p: string): string
  /** Run `fn` after the test, after the sockets are closed (raw peers, servers); last in, first run. */
  defer(fn: () => unknown): void
  /**
   * Bind `sock` on a fresh endpoint of `transport` and return the address a
   * peer should connect to (tcp: "tcp://127.0.0.1:*" then lastEndpoint).
   */
  bindFresh(sock: AnySocket, transport: Transport): Promise<string>
  /**
   * An endpoint nobody is bound to yet, for connect-before-bind scenarios.
   * tcp: a port the kernel just handed out and released; ipc: a fresh path.
   */
  freeEndpoint(transport: Transport): Promise<string>
  /** A fresh ipc endpoint (the file is removed after the test). */
  ipcEndpoint(): string
}

let ipcCounter = 0

/** A unique ipc endpoint under os.tmpdir(); the path is short enough for sun_path. */
export function uniqueIpcPath(): string {
  ipcCounter += 1
  const rand = Math.random().toString(36).slice(2, 8)
  return path.join(os.tmpdir(), `zmtp-spec-${process.pid}-${ipcCounter}-${rand}.sock`)
}

function makeCtx(subject: Subject): Ctx {
  const sockets: Closable[] = []
  const paths: string[] = []
  const deferred: Array<() => unknown> = []
  afterEach(async () => {
    // Subject sockets first, so that none reconnects to a raw listener being torn down; then what
    // was deferred (raw peers, listeners), then ipc files.
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
    for (const p of paths.splice(0)) fs.rmSync(p, { force: true })
  })
  const ctx: Ctx = {
    name: subject.name,
    zmq: subject.zmq!,
    track(sock) {
      sockets.push(sock)
      return sock
    },
    trackPath(p) {
      paths.push(p)
      return p
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
    async freeEndpoint(transport) {
      if (transport === "tcp") return `tcp://127.0.0.1:${await freeTcpPort()}`
      return ctx.ipcEndpoint()
    },
    ipcEndpoint() {
      return `ipc://${ctx.trackPath(uniqueIpcPath())}`
    },
  }
  return ctx
}

/**
 * Run `body` once per selected subject, each in its own describe block named
 * "<title> [<subject>]". A subject that failed to load gets a skipped block that
 * says why.
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
 * For scenarios libzmq itself fails (the ones its own test files disable):
 * on the libzmq subject the test is expected to fail (`it.fails`) and its name
 * says so; on zmtp it is an ordinary test that must pass.
 */
export function itKnownLibzmqDefect(ctx: Ctx, reason: string) {
  return itFailingOnLibzmq(ctx, `known libzmq defect: ${reason}`)
}

/**
 * For a behaviour the RFC asks for but libzmq 4.3.5 does not have: on libzmq
 * the test is expected to fail (`it.fails`, the name says why), elsewhere it
 * is an ordinary test.
 */
export function itKnownLibzmqDeviation(ctx: Ctx, reason: string) {
  return itFailingOnLibzmq(ctx, `known libzmq deviation: ${reason}`)
}

function itFailingOnLibzmq(ctx: Ctx, label: string) {
  return (name: string, fn: () => Promise<void>, timeout?: number) => {
    if (ctx.name === "libzmq") it.fails(`${name} (${label})`, fn, timeout)
    else it(name, fn, timeout)
  }
}

/** Like itKnownLibzmqDefect, but skips on libzmq, for defects that show up only sometimes. */
export function itSkipOnLibzmq(ctx: Ctx, reason: string) {
  return (name: string, fn: () => Promise<void>, timeout?: number) => {
    if (ctx.name === "libzmq") it.skip(`${name} (known libzmq defect, flaky there: ${reason})`, fn, timeout)
    else it(name, fn, timeout)
  }
}

// ---------------------------------------------------------------------------
// Message helpers
// ---------------------------------------------------------------------------

export type Frame = string | Buffer

/** Frames as strings, for readable equality assertions. */
export function strs(msg: Buffer[]): string[] {
  return msg.map((b) => b.toString())
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** The error code of a rejected zeromq.js / zmtp operation. */
export function codeOf(err: unknown): string | undefined {
  return typeof err === "object" && err !== null ? (err as { code?: string }).code : undefined
}

/**
 * Receive one message, waiting at most `ms` (uses the socket's own
 * receiveTimeout so no receive is left pending). Returns undefined when
 * nothing arrived in time.
 *
 * zeromq.js may reject with EAGAIN before the timeout when libzmq silently
 * drops a message the socket was woken for (a REQ discarding a stale or
 * malformed reply); such an early EAGAIN only means "nothing yet", so we
 * receive again until the deadline.
 */
export async function recvWithin(sock: AnySocket, ms: number): Promise<Buffer[] | undefined> {
  const saved = sock.receiveTimeout
  const deadline = Date.now() + ms
  try {
    for (;;) {
      sock.receiveTimeout = Math.max(0, deadline - Date.now())
      try {
        return await sock.receive()
      } catch (err) {
        if (codeOf(err) !== "EAGAIN") throw err
        if (Date.now() >= deadline) return undefined
      }
    }
  } finally {
    if (!sock.closed) sock.receiveTimeout = saved
  }
}

/** Receive one message that must arrive (fails after `ms` instead of hanging). */
export async function recv(sock: AnySocket, ms = 3000): Promise<Buffer[]> {
  const msg = await recvWithin(sock, ms)
  if (!msg) throw new Error(`no message arrived within ${ms} ms`)
  return msg
}

/** Receive one message and return its frames as strings. */
export async function recvStrs(sock: AnySocket, ms = 3000): Promise<string[]> {
  return strs(await recv(sock, ms))
}

/** Resolve true when nothing arrives on `sock` within `ms` (kept short: 100-300 ms). */
export async function nothingWithin(sock: AnySocket, ms = 150): Promise<boolean> {
  const msg = await recvWithin(sock, ms)
  return msg === undefined
}

/**
 * Send with a send timeout of `ms` (0 = do not wait, like ZMQ_DONTWAIT).
 * Resolves to undefined on success, or the error code on failure.
 */
export async function trySend(sock: AnySocket, msg: Frame | Frame[], ms = 0): Promise<string | undefined> {
  const saved = sock.sendTimeout
  sock.sendTimeout = ms
  try {
    await sock.send(msg)
    return undefined
  } catch (err) {
    return codeOf(err) ?? String(err)
  } finally {
    if (!sock.closed) sock.sendTimeout = saved
  }
}

/** Try to receive at once (like ZMQ_DONTWAIT); resolve to the error code, or undefined on success. */
export async function tryRecv(sock: AnySocket): Promise<string | undefined> {
  const saved = sock.receiveTimeout
  sock.receiveTimeout = 0
  try {
    await sock.receive()
    return undefined
  } catch (err) {
    return codeOf(err) ?? String(err)
  } finally {
    if (!sock.closed) sock.receiveTimeout = saved
  }
}

// ---------------------------------------------------------------------------
// Connection events
// ---------------------------------------------------------------------------

/**
 * Counts monitor events of one socket (zeromq.js event names: "handshake",
 * "accept", "connect", "disconnect" ...). Create it before the connections
 * you want to count happen; it reads `sock.events` in the background until
 * the socket closes.
 */
export class EventCounter {
  private counts = new Map<string, number>()
  private waiters: Array<{ type: string; n: number; resolve: () => void }> = []

  constructor(sock: AnySocket) {
    const events = sock.events as unknown as AsyncIterable<{ type: string }>
    void (async () => {
      try {
        for await (const ev of events) {
          this.counts.set(ev.type, (this.counts.get(ev.type) ?? 0) + 1)
          this.waiters = this.waiters.filter((w) => {
            if ((this.counts.get(w.type) ?? 0) >= w.n) {
              w.resolve()
              return false
            }
            return true
          })
        }
      } catch {
        /* the observer ends with the socket */
      }
    })()
  }

  count(type: string): number {
    return this.counts.get(type) ?? 0
  }

  /** Wait until `n` events of `type` have been seen in total. */
  async waitFor(type: string, n = 1, ms = 3000): Promise<void> {
    if (this.count(type) >= n) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      new Promise<void>((resolve) => this.waiters.push({ type, n, resolve })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`saw ${this.count(type)} of ${n} "${type}" events within ${ms} ms`)), ms)
      }),
    ]).finally(() => clearTimeout(timer))
  }
}
