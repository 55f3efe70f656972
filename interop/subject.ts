/**
 * The implementation under test, and the small helpers every interop test file shares.
 *
 * The subject is zmtp (`../src/index.js`). Its public API mirrors zeromq.js v6, so it is typed here
 * with zeromq.js's own declarations: code written against zeromq.js must run unchanged against zmtp.
 * INTEROP_SUBJECT=zeromq points the subject at zeromq.js itself, a self-check of this harness (both
 * sides are then libzmq, so every test must pass).
 *
 * If zmtp fails to import, every test that needs it FAILS with the import error: interop is the point
 * of this folder, so a missing subject must never look like a skip.
 */
import { randomBytes } from "node:crypto"
import { rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe } from "vitest"
import type * as Zmq from "zeromq"
import {
  PEER_NAMES,
  type LibzmqPeer,
  type PeerName,
  type SocketType,
  pyzmqAvailability,
  pyzmqMissingMessage,
  pyzmqMustRun,
  startPeer,
  zeromqJsAvailability,
} from "./peers.js"

/** The module shape zmtp shares with zeromq.js. */
export type Subject = typeof Zmq
/** Any of the four socket classes, as the subject exposes them. */
export type SubjectSocket = Zmq.Request | Zmq.Reply | Zmq.Dealer | Zmq.Router

/** "zmtp", or "zeromq" for the harness self-check. */
export const SUBJECT = process.env.INTEROP_SUBJECT === "zeromq" ? "zeromq" : "zmtp"
/** How test names call the subject. */
export const SUBJECT_LABEL = SUBJECT === "zeromq" ? "zeromq.js (self-check)" : "zmtp"

let loading: Promise<Subject> | undefined

/** The subject module; rejects (failing the calling test) if it cannot be imported. */
export function subject(): Promise<Subject> {
  if (!loading) {
    // A specifier held in a variable keeps `tsc` independent of src/ while it is being written;
    // at run time vitest resolves it relative to this file like any other import.
    const specifier = SUBJECT === "zeromq" ? "zeromq" : "../src/index.js"
    const libzmq = SUBJECT === "zeromq" ? zeromqJsAvailability() : { ok: true as const }
    const imported = libzmq.ok ? (import(/* @vite-ignore */ specifier) as Promise<Subject>) : Promise.reject(new Error(libzmq.reason))
    loading = imported.catch((err: unknown) => {
      throw new Error(`${SUBJECT_LABEL} failed to import from ${specifier}: ${(err as Error)?.stack ?? String(err)}`)
    })
  }
  return loading
}

/** Options the tests give subject sockets; zeromq.js names. */
export interface SubjectOptions {
  routingId?: string
  mandatory?: boolean
  reconnectInterval?: number
}

/** A new subject socket of the given type. */
export async function subjectSocket(type: SocketType, options: SubjectOptions = {}): Promise<SubjectSocket> {
  const zmq = await subject()
  const base: Record<string, unknown> = { linger: 0 }
  if (options.routingId !== undefined) base.routingId = options.routingId
  if (options.reconnectInterval !== undefined) base.reconnectInterval = options.reconnectInterval
  switch (type) {
    case "REQ":
      return new zmq.Request(base)
    case "REP":
      return new zmq.Reply(base)
    case "DEALER":
      return new zmq.Dealer(base)
    case "ROUTER": {
      if (options.mandatory !== undefined) base.mandatory = options.mandatory
      return new zmq.Router(base)
    }
  }
}

/** Rejects after `ms` with a message naming what was awaited; the timer never outlives the race. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  // A late rejection (e.g. the socket closed after a timeout) must not become an unhandled one.
  work.catch(() => {})
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Receives one message from a subject socket, failing after `ms`. */
export function subjectReceive(sock: SubjectSocket, what: string, ms = 10_000): Promise<Buffer[]> {
  return within(ms, `${SUBJECT_LABEL} ${what}`, sock.receive())
}

/** Sends on a subject socket, failing after `ms`. */
export function subjectSend(sock: SubjectSocket, frames: Buffer[], what: string, ms = 10_000): Promise<void> {
  return within(ms, `${SUBJECT_LABEL} ${what}`, sock.send(frames))
}

export type Transport = "tcp" | "ipc"
export const TRANSPORTS: readonly Transport[] = ["tcp", "ipc"]

const ipcPaths = new Set<string>()

/**
 * A bind endpoint: an ephemeral loopback port for tcp, a fresh path under the temp dir for ipc
 * (removed by {@link cleanupIpc}). Unix socket paths must stay under ~107 bytes, hence short names.
 */
export function bindEndpoint(transport: Transport): string {
  if (transport === "tcp") return "tcp://127.0.0.1:*"
  const path = join(tmpdir(), `zmtp-io-${process.pid}-${randomBytes(4).toString("hex")}.sock`)
  ipcPaths.add(path)
  return `ipc://${path}`
}

/** Removes the ipc files this process created (libzmq and zmtp may leave them behind). */
export function cleanupIpc(): void {
  for (const path of ipcPaths) rmSync(path, { force: true })
  ipcPaths.clear()
}

/**
 * Closes subject sockets with linger 0 (cleanup: what a refused or absent peer never took must not
 * keep a closed socket reconnecting for the rest of the file), ignoring ones already closed.
 */
export function closeAll(...socks: (SubjectSocket | undefined)[]): void {
  for (const s of socks) {
    try {
      if (s && !s.closed) {
        ;(s as { linger: number }).linger = 0
        s.close()
      }
    } catch {
      // Closing twice is not what these tests check.
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Retries `send` while it fails with EHOSTUNREACH (a mandatory ROUTER before the handshake). */
export async function sendWhenRoutable(send: () => Promise<void>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      await send()
      return
    } catch (err) {
      if ((err as { code?: string }).code !== "EHOSTUNREACH" || Date.now() > deadline) {
        throw new Error(`${what}: ${(err as Error).message} (code ${(err as { code?: string }).code})`)
      }
      await sleep(5)
    }
  }
}

/**
 * Registers one `describe` per libzmq peer, with that peer started before and closed after its
 * tests. Without python3-zmq the pyzmq block is skipped with the install command printed, unless
 * CI=true, where its absence fails the run. Where zeromq.js cannot run in process (Bun), its block
 * is skipped with the reason in its name; the pyzmq block still runs.
 */
export function describeEachPeer(title: string, body: (peer: () => LibzmqPeer, name: PeerName) => void): void {
  for (const name of PEER_NAMES) {
    const inProcess = name === "zeromq.js" ? zeromqJsAvailability() : { ok: true as const }
    if (!inProcess.ok) {
      describe.skip(`${title} | ${SUBJECT_LABEL} vs ${name} [skipped: ${inProcess.reason}]`, () => body(() => undefined as never, name))
      continue
    }
    const missing = name === "pyzmq" && !pyzmqAvailability().ok
    if (missing && !pyzmqMustRun()) {
      console.warn(`[interop] skipping "${title}" against pyzmq: ${pyzmqMissingMessage()}`)
      describe.skip(`${title} | ${SUBJECT_LABEL} vs ${name}`, () => body(() => undefined as never, name))
      continue
    }
    describe(`${title} | ${SUBJECT_LABEL} vs ${name}`, () => {
      let peer: LibzmqPeer | undefined
      let startError: Error | undefined
      beforeAll(async () => {
        // A peer that cannot start fails each test that needs it (rather than the hook), so the
        // report counts them as failures, never as skips.
        if (missing) startError = new Error(`${pyzmqMissingMessage()} (CI=true: the pyzmq peer is required)`)
        else peer = await startPeer(name).catch((err: Error) => ((startError = err), undefined))
      })
      afterAll(async () => {
        await peer?.close()
        cleanupIpc()
      })
      body(() => {
        if (!peer) throw startError ?? new Error(`${name} peer did not start`)
        return peer
      }, name)
    })
  }
}
