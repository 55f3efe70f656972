/**
 * Shared pieces of the model-based tests (test/model/*.test.ts): endpoints that a peer can bind
 * again after it closed, whole-message encoding, receives with a timeout, and waits on a socket's
 * statistics.
 *
 * Every message a test sends carries a tag "<origin><seq>.<frames>" in its first body frame and
 * "<tag>/<k>" in frame k, so a receiver can tell which send it came from and that it arrived whole
 * (RFC 23 section "Framing": a message is delivered with all its frames or not at all).
 */
import * as fc from "fast-check"
import { afterEach, expect, it } from "vitest"
import { cleanupIpc, freeTcpPort, ipcEndpoint, until } from "../helpers.js"

export type Transport = "tcp" | "ipc"

/** Anything with the zmtp socket surface the models use. */
export interface Sock {
  receive(): Promise<Buffer[]>
  send(m: (string | Buffer)[]): Promise<void>
  close(): void
  readonly closed: boolean
  receiveTimeout: number
  readonly statistics: {
    peers: number
    queues: { endpoint: string; out: number; in: number; connected: boolean }[]
  }
}

/**
 * A fresh endpoint that nothing listens on yet and that a peer may bind (and bind again after it
 * closed): for tcp a free port below the kernel's ephemeral range (see freeTcpPort), for ipc a temp
 * path.
 */
export async function freshEndpoint(t: Transport): Promise<string> {
  return t === "ipc" ? ipcEndpoint() : `tcp://127.0.0.1:${await freeTcpPort()}`
}

/** The frames of a tagged message with `n` frames (n >= 1). */
export function body(tag: string, n: number): string[] {
  const t = `${tag}.${n}`
  const out = [t]
  for (let k = 1; k < n; k++) out.push(`${t}/${k}`)
  return out
}

/**
 * Size of the second frame of a "big" message: larger than the engine's write budget (256 KiB,
 * WRITE_BUDGET in src/engine/engine.ts), so that one such message put to the transport leaves the
 * engine waiting for 'drain'. From then until the next turn of the event loop, a full pipe to that
 * peer cannot be flushed: the state in which a send finds no room although the peer is connected.
 */
export const BIG = 512 * 1024

/** A tagged message "<tag>.big" with one frame of {@link BIG} octets that repeat the tag. */
export function bigBody(tag: string): (string | Buffer)[] {
  return [`${tag}.big`, Buffer.alloc(BIG, tag)]
}

/** Checks that `frames` is one whole tagged message and returns its tag (without the frame count). */
export function whole(frames: Buffer[]): string {
  expect(frames.length).toBeGreaterThan(0)
  const t = frames[0]!.toString()
  const dot = t.lastIndexOf(".")
  expect(dot, `not a tagged frame: ${JSON.stringify(t)}`).toBeGreaterThan(0)
  const tag = t.slice(0, dot)
  if (t.slice(dot + 1) === "big") {
    expect(frames.length, `${tag}: big message must arrive whole`).toBe(2)
    expect(frames[1]!.equals(Buffer.alloc(BIG, tag)), `${tag}: big frame intact`).toBe(true)
    return tag
  }
  const n = Number(t.slice(dot + 1))
  expect(frames.map((f) => f.toString()), "message must arrive whole").toEqual(body(tag, n))
  return tag
}

/** The sequence number in a tag like "d17" or "in2:5" (the digits at its end). */
export function seqOf(tag: string): number {
  return Number(/(\d+)$/.exec(tag)![1])
}

/** Receives with a timeout; undefined on EAGAIN (timeout). Other errors propagate. */
export async function tryReceive(sock: Sock, ms: number): Promise<Buffer[] | undefined> {
  sock.receiveTimeout = ms
  try {
    return await sock.receive()
  } catch (e) {
    if ((e as { code?: string }).code === "EAGAIN") return undefined
    throw e
  }
}

/** Runs a send and returns "ok" or the error code it rejected with. */
export async function sendResult(sock: Sock, frames: (string | Buffer)[]): Promise<string> {
  try {
    await sock.send(frames)
    return "ok"
  } catch (e) {
    const code = (e as { code?: string }).code
    if (!code) throw e
    return code
  }
}

/** A send issued without awaiting it; `outcome` is "ok" or the error code once its promise settled. */
export interface Tracked {
  tag: string
  outcome: string | undefined
}

/** Issues a send without awaiting it and records how its promise settles. */
export function track(sock: Sock, frames: (string | Buffer)[], tag: string): Tracked {
  const t: Tracked = { tag, outcome: undefined }
  sock.send(frames).then(
    () => {
      t.outcome = "ok"
    },
    (e: { code?: string }) => {
      t.outcome = e.code ?? String(e)
    },
  )
  return t
}

/**
 * Lets promise reactions run without giving the event loop a turn: no I/O, timer or process.nextTick
 * callback runs in between (Node runs those only once the microtask queue is empty), so a send that
 * settled at once shows its outcome and one that waits still waits.
 */
export async function microtasks(): Promise<void> {
  for (let k = 0; k < 4; k++) await Promise.resolve()
}

/** Waits until every tracked send settled ("every send() promise settles"); names those that did not. */
export async function settled(ts: Tracked[], ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (ts.some((t) => t.outcome === undefined)) {
    if (Date.now() > end) {
      const open = ts.filter((t) => t.outcome === undefined).map((t) => t.tag)
      throw new Error(`send promises still unsettled after ${ms} ms: ${open.join(", ")}`)
    }
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Runs a receive that must fail at once (EFSM ...) and returns the code. */
export async function receiveResult(sock: Sock, ms: number): Promise<Buffer[] | string> {
  sock.receiveTimeout = ms
  try {
    return await sock.receive()
  } catch (e) {
    const code = (e as { code?: string }).code
    if (!code) throw e
    return code
  }
}

/** The socket's pipe for a connect endpoint, from its statistics. */
export function queueOf(sock: Sock, ep: string) {
  return sock.statistics.queues.find((q) => q.endpoint === ep)
}

/** Waits (polling) until `cond` holds. Generous: the machine is shared and small. */
export function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  return until(cond, ms, what)
}

/**
 * Waits until the subject has noticed that a peer left. A connection whose inbound pipe is full is
 * not read (backpressure), so the end of that connection shows only once the application reads
 * again; libzmq is the same (it stops polling a connection for input while its pipe is full). So
 * while the subject holds unread input, `read` takes one message the way the test's own receive
 * command does, keeping the model's books; otherwise this only polls.
 */
export async function waitForLeave(sock: Sock, left: () => boolean, read: () => Promise<void>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!left()) {
    if (Date.now() > end) throw new Error(`${what} not reached within ${ms} ms`)
    if (sock.statistics.queues.some((q) => q.in > 0)) {
      await read()
      // A read may settle without a turn of the event loop (or take nothing: a REQ with no request
      // out fails with EFSM at once); the close can only be seen in one.
      await new Promise((r) => setImmediate(r))
    } else await new Promise((r) => setTimeout(r, 5))
  }
}

/** Closes every socket given (ignoring ones already closed). */
export function closeAll(socks: Iterable<Sock | undefined>): void {
  for (const s of socks) if (s && !s.closed) s.close()
}

/**
 * RFC 28 round-robin, checked after the fact: between two consecutive messages routed to the same
 * peer, every other peer that could take a message (had room) during that whole stretch must have
 * got one. `sends` lists accepted sends in order with the candidate set the model computed before
 * each send and the peer it reached (undefined when unknown, e.g. lost with a closed peer; such a
 * stretch is not judged).
 */
export function checkRoundRobin(sends: { tag: string; cand: number[]; dest: number | undefined }[]): void {
  const key = (c: number[]) => c.join(",")
  for (let a = 0; a < sends.length; a++) {
    const d = sends[a]!.dest
    if (d === undefined) continue
    const k = key(sends[a]!.cand)
    let judged = true
    let b = a + 1
    for (; b < sends.length; b++) {
      const s = sends[b]!
      if (s.dest === undefined || key(s.cand) !== k) {
        judged = false
        break
      }
      if (s.dest === d) break
    }
    if (!judged || b >= sends.length) continue
    const between = new Set(sends.slice(a + 1, b).map((s) => s.dest))
    for (const c of sends[a]!.cand) {
      if (c === d) continue
      expect(between.has(c), `round-robin: ${sends[b]!.tag} went to peer ${d} again before peer ${c} (candidates ${k}) got one since ${sends[a]!.tag}`).toBe(true)
    }
  }
}

/** Runs per model test: 40, or MODEL_RUNS from the environment for a longer hunt. */
export function modelRuns(): number {
  const n = Number(process.env.MODEL_RUNS)
  return Number.isInteger(n) && n > 0 ? n : 40
}

/** MODEL_SEED and MODEL_PATH from the environment: replay one reported run. */
function replay(): { seed?: number; path?: string } {
  const seed = Number(process.env.MODEL_SEED)
  if (!process.env.MODEL_SEED || !Number.isInteger(seed)) return {}
  return process.env.MODEL_PATH ? { seed, path: process.env.MODEL_PATH } : { seed }
}

/** Either transport. */
export const transportArb = fc.constantFrom<Transport>("tcp", "ipc")
/** High-water marks small enough that "full" is reached often. */
export const hwmArb = fc.integer({ min: 1, max: 5 })

/**
 * A peer's messages sent to the subject and not yet received: takes `tag` off the front. Anything
 * before it was skipped, which per-peer order allows only for messages lost with a closed connection.
 *
 * `conn` names the connection (the subject's pipe) a message came in on, where a peer's successive
 * connections have pipes of their own (the subject accepted them): what a closed one delivered stays
 * readable (issue 14 item 4) and is fair-queued with the next connection's messages, so order holds
 * per connection only. Without `conn`, the peer's messages are one sequence (a connecting subject
 * keeps one pipe across reconnects).
 */
export function takeInbound<X extends { tag: string; definite: boolean }>(q: X[], tag: string, conn?: (x: X) => unknown): X {
  const at = q.findIndex((x) => x.tag === tag)
  expect(at, `${tag} was sent once and not yet received`).toBeGreaterThanOrEqual(0)
  const c = conn?.(q[at]!)
  const before = q.slice(0, at).filter((x) => !conn || conn(x) === c)
  for (const skipped of before) expect(skipped.definite, `${skipped.tag} skipped (order or loss)`).toBe(false)
  const x = q[at]!
  const gone = new Set<X>([...before, x])
  const rest = q.filter((y) => !gone.has(y))
  q.splice(0, q.length, ...rest)
  return x
}

/** One generated case of a model test: its model, the real sockets, and what runs around the commands. */
export interface ModelCase<M extends object, R> {
  model: M
  real: R & { all: Set<{ close(): void; closed: boolean }> }
  /** Before the commands: bind, add the initial peers. */
  setup(): Promise<void>
  /** After the commands: collect what is outstanding and judge the whole history. */
  check(): Promise<void> | void
}

/**
 * A model test: for each generated parameter set and command sequence, `make` builds a case, the
 * commands run against it, and every socket and ipc file it made is cleaned up.
 */
export function itModel<P, M extends object, R>(
  name: string,
  params: fc.Arbitrary<P>,
  commands: fc.Arbitrary<Iterable<fc.AsyncCommand<M, R>>>,
  make: (p: P) => ModelCase<M, R>,
): void {
  afterEach(() => cleanupIpc())
  it(
    name,
    async () => {
      await fc.assert(
        fc.asyncProperty(params, commands, async (p, cmds) => {
          const c = make(p)
          try {
            await c.setup()
            await fc.asyncModelRun(() => ({ model: c.model, real: c.real }), cmds)
            await c.check()
          } finally {
            closeAll(c.real.all as Iterable<Sock>)
            cleanupIpc()
          }
        }),
        // No shrinking over real sockets (it can take minutes); the printed seed and path replay the
        // failing run: MODEL_SEED=<seed> MODEL_PATH=<path> npx vitest run <file>.
        { numRuns: modelRuns(), endOnFailure: true, ...replay() },
      )
    },
    Math.max(120_000, modelRuns() * 4000),
  )
}
