/**
 * Worker threads (issue 15, item 9). zmtp works in worker_threads, one module instance per thread:
 * sockets in two workers talk over tcp and ipc to sockets of the main thread, as zeromq.js's do.
 * Nothing is shared between threads: not the global context (zeromq.js shares one libzmq context
 * among all threads), not the inproc names. inproc across threads, which works in zeromq.js, does
 * not reach across in zmtp; the connect waiting for a name another thread bound gets a process
 * warning (code ZMTP_INPROC_THREAD) saying so. Each of these is asserted side by side.
 */
import { Worker } from "node:worker_threads"
import { fileURLToPath } from "node:url"
import * as zmq from "zeromq"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import * as zmtp from "../../src/index.js"
import { cleanupIpc, ipcEndpoint, nothingArrives } from "../helpers.js"
import { buildZmtp, modulePath, removeZmtp, type Impl } from "./fixtures/child.js"

beforeAll(buildZmtp, 60_000)
afterAll(removeZmtp)

const workers = new Set<Worker>()
const opened: { close(): void; closed: boolean }[] = []
afterEach(async () => {
  await Promise.all([...workers].map((w) => w.terminate()))
  workers.clear()
  for (const s of opened.splice(0)) if (!s.closed) s.close()
  cleanupIpc()
})

type Sock = {
  bind(a: string): Promise<void>
  send(m: unknown): Promise<void>
  receive(): Promise<Buffer[]>
  close(): void
  readonly closed: boolean
  lastEndpoint: string | null
  receiveTimeout: number
  linger: number
}
const libs: { impl: Impl; Router: new (o?: object) => Sock; Dealer: new (o?: object) => Sock; context: { ioThreads: number } }[] = [
  { impl: "zmtp", Router: zmtp.Router as never, Dealer: zmtp.Dealer as never, context: zmtp.context },
  { impl: "zeromq.js", Router: zmq.Router as never, Dealer: zmq.Dealer as never, context: zmq.context },
]
const track = <T extends Sock>(s: T) => (opened.push(s), s)

const workerFile = fileURLToPath(new URL("./fixtures/thread-worker.cjs", import.meta.url))

/** Starts a worker with `impl`'s module; resolves with what it posts when done. */
function startWorker(impl: Impl, data: Record<string, unknown>, onMessage?: (m: Record<string, unknown>) => void): Promise<Record<string, unknown>> {
  const w = new Worker(workerFile, { workerData: { module: modulePath(impl), ...data } })
  workers.add(w)
  return new Promise((resolve, reject) => {
    w.on("message", (m: Record<string, unknown>) => {
      if (m.done) resolve(m.done as Record<string, unknown>)
      else if (m.failed) reject(new Error(String(m.failed)))
      else onMessage?.(m)
    })
    w.on("error", reject)
    w.on("exit", (code) => reject(new Error(`worker exited with ${code} before it was done`)))
  })
}

describe("sockets in two worker threads talk to the main thread", () => {
  for (const lib of libs) {
    for (const transport of ["tcp", "ipc"] as const) {
      it(`${lib.impl} over ${transport}`, async () => {
        const router = track(new lib.Router({ linger: 0 }))
        await router.bind(transport === "tcp" ? "tcp://127.0.0.1:*" : ipcEndpoint())
        const endpoint = router.lastEndpoint!
        const replies = ["w1", "w2"].map((name) => startWorker(lib.impl, { job: "request", endpoint, name }))
        for (let i = 0; i < 2; i++) {
          const [id, body] = await router.receive()
          expect(body!.toString()).toBe(`hello from ${id!.toString()}`)
          await router.send([id, `reply to ${id!.toString()}`])
        }
        expect(await Promise.all(replies)).toEqual([{ reply: "reply to w1" }, { reply: "reply to w2" }])
      }, 20_000)
    }
  }
})

describe("inproc across threads", () => {
  for (const order of ["bind first", "connect first"] as const) {
    it(`${order}: zeromq.js delivers; zmtp does not reach across, and the waiting connect gets a ZMTP_INPROC_THREAD warning`, async () => {
      for (const lib of libs) {
        const name = `dropin-thread-${lib.impl}-${order.replace(" ", "-")}-${process.pid}`
        const endpoint = `inproc://${name}`
        const server = track(new lib.Dealer({ linger: 0 }))
        let connected!: () => void
        const isConnected = new Promise<void>((r) => (connected = r))
        if (order === "bind first") await server.bind(endpoint)
        const result = startWorker(lib.impl, { job: "inproc-connect", endpoint }, (m) => m.connected && connected())
        await isConnected
        if (order === "connect first") await server.bind(endpoint)
        if (lib.impl === "zeromq.js") {
          server.receiveTimeout = 3000
          expect((await server.receive()).map(String), lib.impl).toEqual(["hi from the worker"])
          await server.send("hi from main")
          expect(await result, lib.impl).toMatchObject({ answer: "hi from main", warnings: [] })
        } else {
          const r = (await result) as { answer?: string; warnings: { code: string; message: string }[] }
          expect(r.answer).toBeUndefined()
          expect(r.warnings).toEqual([{ code: "ZMTP_INPROC_THREAD", message: expect.stringContaining(`${endpoint} is bound in another thread`) }])
          expect(await nothingArrives(server, 200)).toBe(true)
        }
      }
    }, 30_000)
  }

  it("the same name bound in two threads: EADDRINUSE in zeromq.js (one namespace), both bound in zmtp (one per thread)", async () => {
    for (const lib of libs) {
      const endpoint = `inproc://dropin-thread-both-${lib.impl}-${process.pid}`
      const s = track(new lib.Dealer({ linger: 0 }))
      await s.bind(endpoint)
      const r = await startWorker(lib.impl, { job: "inproc-bind", endpoint })
      expect(r, lib.impl).toEqual(lib.impl === "zmtp" ? { bound: true } : { bound: false, code: "EADDRINUSE" })
    }
  }, 20_000)
})

describe("the global context", () => {
  it("is shared with workers in zeromq.js, per thread in zmtp", async () => {
    for (const lib of libs) {
      lib.context.ioThreads = 3
      try {
        const r = await startWorker(lib.impl, { job: "context" })
        expect(r.ioThreads, lib.impl).toBe(lib.impl === "zmtp" ? 1 : 3)
      } finally {
        lib.context.ioThreads = 1
      }
    }
  }, 20_000)
})
