/**
 * Load (issue 10): many concurrent connections to one socket, a slow consumer behind the default
 * high-water marks, and thousands of connect/handshake/disconnect cycles that must leave nothing
 * behind (handles, timers, listeners, heap).
 *
 * Back-pressure is RFC 28's contract ("SHALL block on sending, or return a suitable error, when it
 * has no available peers" / queues bounded by the high-water mark, libzmq's ZMQ_SNDHWM and
 * ZMQ_RCVHWM, default 1000 messages each). There is no timing assertion anywhere: "blocked" is
 * observed as a send that does not complete while the queues stand still at their marks.
 */
import { readFileSync } from "node:fs"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { Dealer, Router } from "../../src/index.js"
import { bindEndpoint, cleanupIpc, sleep, transports, until, within } from "../helpers.js"
import { FaultWatcher, settle } from "./helpers.js"

const watcher = new FaultWatcher()
const open: { close(): void; closed: boolean }[] = []
function track<T extends { close(): void; closed: boolean }>(s: T): T {
  open.push(s)
  return s
}
beforeAll(() => {
  watcher.install()
})
afterEach(() => {
  for (const s of open.splice(0)) if (!s.closed) s.close()
  cleanupIpc()
  watcher.assertNone()
})
afterAll(() => watcher.uninstall())

/** A garbage collector: global.gc if the process has one, else V8's, exposed at run time. */
function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) return g
  setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as () => void
}

/** The soft limit on open file descriptors of this process (Linux), or undefined elsewhere. */
function fdLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"))
    if (!m) return undefined
    return m[1] === "unlimited" ? Infinity : Number(m[1])
  } catch {
    return undefined
  }
}

/** Active handle and request kinds (TCPSocketWrap, PipeWrap, Timeout ...) with their counts. */
function resources(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1
  return out
}

function processListeners(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const n of process.eventNames()) out[String(n)] = process.listenerCount(n)
  return out
}

describe("1,000 concurrent DEALERs on one ROUTER", () => {
  // Each connection costs two descriptors here (both ends live in this process).
  const limit = fdLimit() ?? 1024
  const COUNT = Math.min(1000, Math.floor((limit - 200) / 2))

  it.each(transports)(`each of ${COUNT} DEALERs exchanges messages with the ROUTER (%s)`, async (transport) => {
    expect(COUNT, `ulimit -n is ${limit}: too low for this test`).toBeGreaterThanOrEqual(100)
    const router = track(new Router({ linger: 0 }))
    await router.bind(bindEndpoint(transport))
    const ep = router.lastEndpoint!
    const dealers: Dealer[] = []
    for (let i = 0; i < COUNT; i++) {
      const d = track(new Dealer({ linger: 0, routingId: `d${i}` }))
      d.connect(ep)
      dealers.push(d)
    }
    // Each DEALER sends two requests; the ROUTER answers every one to its sender.
    const ROUNDS = 2
    await Promise.all(dealers.map(async (d, i) => {
      for (let r = 0; r < ROUNDS; r++) await d.send(`req-${i}-${r}`)
    }))
    const seen = new Map<string, number>()
    for (let k = 0; k < COUNT * ROUNDS; k++) {
      const [id, body] = await within(router.receive(), 15_000, `request ${k} of ${COUNT * ROUNDS}`)
      const who = id!.toString()
      const [, i, r] = body!.toString().split("-")
      expect(who).toBe(`d${i}`)
      // Per peer, messages arrive in the order sent.
      expect(Number(r)).toBe(seen.get(who) ?? 0)
      seen.set(who, Number(r) + 1)
      await router.send([id!, `rep-${i}-${r}`])
    }
    expect(seen.size).toBe(COUNT)
    expect(router.statistics.peers).toBe(COUNT)
    await Promise.all(dealers.map(async (d, i) => {
      for (let r = 0; r < ROUNDS; r++) {
        const [m] = await within(d.receive(), 15_000, `reply to d${i}`)
        expect(m!.toString()).toBe(`rep-${i}-${r}`)
      }
    }))
    for (const d of dealers) d.close()
    await until(() => router.statistics.peers === 0, 10_000, "router saw every DEALER go")
    expect(router.statistics.queues).toEqual([])
  }, 60_000)
})

describe("a slow consumer behind the default high-water marks", () => {
  it.each(transports)("the sender gets EAGAIN or waits, queues stay at their marks, memory stays bounded, nothing is lost (%s)", async (transport) => {
    const gc = getGc()
    const SIZE = 4096
    const receiver = track(new Router({ linger: 0 }))
    await receiver.bind(bindEndpoint(transport))
    const sender = track(new Dealer({ linger: 0, routingId: "s" }))
    expect(sender.sendHighWaterMark).toBe(1000)
    expect(receiver.receiveHighWaterMark).toBe(1000)
    sender.connect(receiver.lastEndpoint!)
    await until(() => receiver.statistics.peers === 1, 3000, "handshake")
    gc()
    const before = process.memoryUsage()

    // Phase 1, non-blocking sends (sendTimeout 0, zeromq.js ZMQ_DONTWAIT-like): send until EAGAIN
    // persists while the receiver reads nothing. Each message is a fresh buffer, as real data is.
    sender.sendTimeout = 0
    let sent = 0
    let eagainStreak = 0
    const CAP = 200_000
    while (eagainStreak < 50 && sent < CAP) {
      const payload = Buffer.alloc(SIZE, sent & 0xff)
      payload.writeUInt32BE(sent, 0)
      try {
        await sender.send(payload)
        sent++
        eagainStreak = 0
      } catch (e) {
        expect((e as { code?: string }).code).toBe("EAGAIN")
        eagainStreak++
        // Give the engine and the kernel every chance to take more before calling it blocked.
        await sleep(2)
      }
    }
    // Back-pressure held: far fewer messages than the cap went out, bounded by both marks plus what
    // the kernel buffers and the engine's write budget hold.
    expect(sent).toBeLessThan(CAP)
    const kernelAndBudget = 32 * 1024 * 1024
    expect(sent).toBeLessThanOrEqual(1000 + 1000 + 128 + Math.ceil(kernelAndBudget / SIZE))
    const out = sender.statistics.queues
    const inq = receiver.statistics.queues
    expect(out).toHaveLength(1)
    expect(inq).toHaveLength(1)
    expect(out[0]!.out).toBeLessThanOrEqual(1000)
    // The receiver stops reading at its mark; at most one read chunk's worth may pass it.
    expect(inq[0]!.in).toBeLessThanOrEqual(1000 + Math.ceil((64 * 1024) / SIZE) + 1)
    expect(inq[0]!.in).toBeGreaterThan(0)
    if (process.env.LOAD_VERBOSE) console.log(`${transport}: sent ${sent} before EAGAIN held; out ${out[0]!.out}, in ${inq[0]!.in}`)

    // Phase 2, blocking sends: one more send waits instead of failing, and keeps waiting while the
    // consumer stays away (checked over a few more rounds of EAGAIN on sendTimeout 0 probes).
    sender.sendTimeout = -1
    let waitingDone = false
    const waiting = sender.send(Buffer.alloc(SIZE, 0xee)).then(() => {
      waitingDone = true
    })
    await sleep(50)
    expect(waitingDone).toBe(false)

    gc()
    const during = process.memoryUsage()
    // Memory: what the two queues may hold (twice, for the receiver's chunk views), plus slack.
    const bound = (1000 + 1000 + 128) * SIZE * 2 + 16 * 1024 * 1024
    const grown = during.heapUsed + during.arrayBuffers - (before.heapUsed + before.arrayBuffers)
    if (process.env.LOAD_VERBOSE) console.log(`${transport}: memory grew ${grown} (bound ${bound})`)
    expect(grown, `memory grew by ${grown} octets with ${sent} messages sent`).toBeLessThan(bound)

    // The consumer wakes up: everything arrives, in order, nothing lost, and the waiting send goes.
    for (let i = 0; i < sent; i++) {
      const [id, m] = await within(receiver.receive(), 10_000, `message ${i} of ${sent}`)
      expect(id!.toString()).toBe("s")
      expect(m!.readUInt32BE(0)).toBe(i)
      expect(m!.length).toBe(SIZE)
    }
    await within(waiting, 5000, "the waiting send")
    const [, last] = await within(receiver.receive(), 5000, "the last message")
    expect(last![0]).toBe(0xee)
    expect(receiver.statistics.queues[0]!.in).toBe(0)
    expect(sender.statistics.queues[0]!.out).toBe(0)
  }, 60_000)
})

describe("10,000 connect/handshake/disconnect cycles", () => {
  it("leave no handles, timers, listeners or heap behind", async () => {
    const gc = getGc()
    const CYCLES_PER_TRANSPORT = 5000
    const BATCH = 100
    const routers: Record<string, Router> = {}
    for (const t of transports) {
      const r = track(new Router({ linger: 0 }))
      await r.bind(bindEndpoint(t))
      routers[t] = r
    }

    const batch = async (t: "tcp" | "ipc", n: number) => {
      const router = routers[t]!
      const ds: Dealer[] = []
      for (let i = 0; i < n; i++) {
        const d = new Dealer({ linger: 0 })
        d.connect(router.lastEndpoint!)
        ds.push(d)
      }
      const ok = await settle(() => ds.every((d) => d.statistics.peers === 1), 10_000)
      expect(ok, "every DEALER of the batch completed its handshake").toBe(true)
      for (const d of ds) d.close()
    }
    const quiet = async () => {
      for (const t of transports) {
        const r = routers[t]!
        await until(() => r.statistics.peers === 0 && r.statistics.queues.length === 0, 10_000, `${t} router idle`)
      }
      // Closed handles go away on the next turns of the loop.
      await sleep(20)
    }

    // Warm-up: lazily created things (timers lists, DNS-free connect paths, JIT) before the baseline.
    for (const t of transports) await batch(t, BATCH)
    await quiet()
    gc()
    const baseRes = resources()
    const baseListeners = processListeners()
    const baseHeap = process.memoryUsage().heapUsed

    let cycles = 0
    for (const t of transports) {
      for (let done = 0; done < CYCLES_PER_TRANSPORT; done += BATCH) {
        await batch(t, BATCH)
        cycles += BATCH
      }
    }
    expect(cycles).toBe(10_000)
    await quiet()
    // Handles settle back: compare per kind (sockets, pipes, servers, timers).
    const settled = await settle(() => {
      const now = resources()
      return Object.keys({ ...now, ...baseRes }).every((k) => (now[k] ?? 0) <= (baseRes[k] ?? 0))
    }, 5000)
    expect(settled, `active resources ${JSON.stringify(resources())} vs baseline ${JSON.stringify(baseRes)}`).toBe(true)
    expect(processListeners()).toEqual(baseListeners)
    gc()
    const grown = process.memoryUsage().heapUsed - baseHeap
    // 10,000 sockets of a few KiB each would be tens of MiB if anything kept them alive.
    if (process.env.LOAD_VERBOSE) console.log(`cycles: heap grew ${grown}, resources ${JSON.stringify(resources())} vs ${JSON.stringify(baseRes)}`)
    expect(grown, `heap grew by ${grown} octets over 10,000 cycles`).toBeLessThan(8 * 1024 * 1024)
  }, 90_000)
})
