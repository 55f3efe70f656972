/** Helpers for the security tests: ZAP handlers, event waits, a loop over socket pairs. */
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import type { SocketEvent } from "../../src/events.js"
import { Router } from "../../src/index.js"
import { sleep, within } from "../helpers.js"

/** What a ZAP handler saw in one request (RFC 27 request frames after the routing id). */
export interface ZapSeen {
  version: string
  requestId: string
  domain: string
  address: string
  identity: string
  mechanism: string
  credentials: Buffer[]
}

/**
 * A ZAP handler written as one writes it for libzmq: a ROUTER bound at inproc://zeromq.zap.01 that
 * answers [id, "", "1.0", requestId, status, text, userId, metadata]. `decide` picks the status, or
 * null for a handler that never answers that request; `delayMs` makes a slow handler (each answer
 * goes out that long after its request, while later requests are read meanwhile).
 */
export async function startZapHandler(decide: (req: ZapSeen) => "200" | "300" | "400" | "500" | null, opts: { delayMs?: number } = {}) {
  const router = new Router()
  await router.bind("inproc://zeromq.zap.01")
  const seen: ZapSeen[] = []
  const timers = new Set<NodeJS.Timeout>()
  void (async () => {
    for await (const [id, delim, version, requestId, domain, address, identity, mechanism, ...credentials] of router) {
      const req: ZapSeen = {
        version: version!.toString(),
        requestId: requestId!.toString(),
        domain: domain!.toString(),
        address: address!.toString(),
        identity: identity!.toString(),
        mechanism: mechanism!.toString(),
        credentials,
      }
      seen.push(req)
      const status = decide(req)
      if (status === null) continue
      const answer = [id!, delim!, "1.0", requestId!, status, status === "200" ? "OK" : "denied", status === "200" ? "user" : "", ""]
      if (!opts.delayMs) {
        await router.send(answer)
        continue
      }
      const t = setTimeout(() => {
        timers.delete(t)
        if (!router.closed) void router.send(answer).catch(() => {})
      }, opts.delayMs)
      timers.add(t)
    }
  })()
  return {
    seen,
    close: () => {
      for (const t of timers) clearTimeout(t)
      router.close()
    },
  }
}

/** Resolves with the first event of `type` on a socket's observer. */
export function nextEvent(sock: { events: { on(t: string, f: (e: SocketEvent) => void): unknown; off(t: string, f: (e: SocketEvent) => void): unknown } }, type: string, ms = 3000): Promise<SocketEvent> {
  return within(
    new Promise<SocketEvent>((resolve) => {
      const f = (e: SocketEvent) => {
        sock.events.off(type, f)
        resolve(e)
      }
      sock.events.on(type, f)
    }),
    ms,
    `event ${type}`,
  )
}

/**
 * Binds a libzmq (zeromq.js) ZAP handler at inproc://zeromq.zap.01. libzmq's reaper thread releases a
 * closed socket's inproc name a moment after close(), so the previous test's handler may still hold
 * it: retry while the name is in use.
 */
export async function bindLibzmqZap(handler: { bind(ep: string): Promise<void> }): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      return await handler.bind("inproc://zeromq.zap.01")
    } catch (e) {
      if ((e as { code?: string }).code !== "EADDRINUSE" || tries >= 100) throw e
      await sleep(10)
    }
  }
}

/**
 * The memory the process holds in JavaScript objects and Buffers, in octets, counted once on every
 * runtime (scratch/probe-memory-accounting.mjs measured how each counts 200 held 64 KiB Buffers):
 * Node counts Buffers in `arrayBuffers` and not in `heapUsed`; Bun (JavaScriptCore) counts their
 * octets in `heapUsed`, and again in `arrayBuffers` for a Buffer that is a view (heapUsed +
 * arrayBuffers read 26.3 MiB for 12.5 MiB); Deno counts them in `external` only (`arrayBuffers`
 * stayed 0).
 */
export function heldMemory(): number {
  const m = process.memoryUsage()
  if (typeof process.versions.bun === "string") return m.heapUsed
  if ("Deno" in globalThis) return m.heapUsed + m.external
  return m.heapUsed + m.arrayBuffers
}

/** A garbage collector (for memory ceilings): global.gc if the process has one, Bun's under Bun, else V8's, exposed at run time. */
export function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) return g
  // Bun runs on JavaScriptCore: no V8 flags, its collector is Bun.gc(synchronous).
  const bun = (globalThis as { Bun?: { gc(sync: boolean): void } }).Bun
  if (bun) return () => bun.gc(true)
  setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as () => void
}

/**
 * heldMemory() once a collection has settled. Right after one gc(), `arrayBuffers` may still count
 * Buffers that gc() freed: 262,143 dropped one-octet Buffers still read +576 KiB after one gc() and
 * +0 after a second, on Node 20.20 and 24.22 alike, with 64 KiB pools (scratch/probe-gc-settle.mjs).
 * Collects until two readings agree, at most five times.
 */
export function settledHeldMemory(gc: () => void = getGc()): number {
  gc()
  let last = heldMemory()
  for (let i = 0; i < 4; i++) {
    gc()
    const now = heldMemory()
    if (now === last) return now
    last = now
  }
  return last
}
