/**
 * Property (issue 14, item 1): for any sequence of un-awaited sends, peer binds, connects,
 * disconnects and peer restarts, with send high-water marks from 1 to 1,000 and 1–4 peers:
 * - every message arrives at most once, and per-peer order holds;
 * - every send() promise settles;
 * - with no peer restart and no disconnect (each drops what was queued for or in flight to that
 *   peer), every message arrives exactly once.
 *
 * The subject is a DEALER (round-robin with pending sends: where the duplicate-send defect lived),
 * then a ROUTER with `mandatory` (sends wait for room per peer) and a relaxed REQ. PROP_RUNS sets
 * the number of generated runs.
 */
import { Buffer } from "node:buffer"
import * as fc from "fast-check"
import { afterEach, expect, it } from "vitest"
import { Dealer, Request, Router } from "../../src/index.js"
import { cleanupIpc, freeTcpPort, sleep, until, within } from "../helpers.js"

const RUNS = Number(process.env.PROP_RUNS ?? 12)

afterEach(() => cleanupIpc())

type Op =
  | { t: "send"; n: number }
  | { t: "bind"; i: number }
  | { t: "connect"; i: number }
  | { t: "disconnect"; i: number }
  | { t: "restart"; i: number }
  | { t: "tick" }

const opArb = (peers: number, hwm: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: Math.min(3 * hwm + 5, 2500) }).map((n) => ({ t: "send" as const, n })) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: peers - 1 }).map((i) => ({ t: "bind" as const, i })) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: peers - 1 }).map((i) => ({ t: "connect" as const, i })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: peers - 1 }).map((i) => ({ t: "disconnect" as const, i })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: peers - 1 }).map((i) => ({ t: "restart" as const, i })) },
    { weight: 1, arbitrary: fc.constant({ t: "tick" as const }) },
  )

const scenario = fc
  .record({
    hwm: fc.oneof(fc.constantFrom(1, 2, 10, 1000), fc.integer({ min: 1, max: 1000 })),
    peers: fc.integer({ min: 1, max: 4 }),
  })
  .chain(({ hwm, peers }) => fc.record({ hwm: fc.constant(hwm), peers: fc.constant(peers), ops: fc.array(opArb(peers, hwm), { minLength: 1, maxLength: 12 }) }))

/** A peer: a ROUTER bound at a fixed endpoint that reads everything, recording sequence numbers. */
class Peer {
  sock: Router | undefined
  /** Sequence numbers received, per incarnation of the peer. */
  readonly lives: number[][] = []

  constructor(readonly endpoint: string) {}

  get bound(): boolean {
    return this.sock !== undefined
  }

  async bind(): Promise<void> {
    const sock = new Router({ linger: 0 })
    // A just-closed listener's port can take a moment to come free again.
    for (let tries = 0; ; tries++) {
      try {
        await sock.bind(this.endpoint)
        break
      } catch (e) {
        if (tries > 50) throw e
        await sleep(10)
      }
    }
    this.sock = sock
    const life: number[] = []
    this.lives.push(life)
    void (async () => {
      try {
        for await (const m of sock) life.push(m[m.length - 1]!.readUInt32BE(0))
      } catch {
        // Closed.
      }
    })()
  }

  close(): void {
    this.sock?.close()
    this.sock = undefined
  }
}

interface Subject {
  sock: Dealer | Router | Request
  /** The frames of message `seq` as this subject type sends them. */
  frames(seq: number): Buffer[]
}

async function runScenario(kind: "dealer" | "router" | "req", s: { hwm: number; peers: number; ops: Op[] }): Promise<void> {
  const peers = await Promise.all(Array.from({ length: s.peers }, async () => new Peer(`tcp://127.0.0.1:${await freeTcpPort()}`)))
  const opts = { sendHighWaterMark: s.hwm, reconnectInterval: 10, linger: 0 }
  const subject: Subject =
    kind === "dealer"
      ? { sock: new Dealer(opts), frames: (seq) => [u32(seq)] }
      : kind === "router"
        ? // ROUTER routes by the peer's id: every message goes to peer 0's connection.
          { sock: new Router({ ...opts, mandatory: true }), frames: (seq) => [Buffer.from("p0"), u32(seq)] }
        : { sock: new Request({ ...opts, relaxed: true }), frames: (seq) => [u32(seq)] }
  const connected = new Set<number>()
  let seq = 0
  let lossy = false
  const settled: Promise<unknown>[] = []
  let unsettled = 0
  const sent: number[] = []
  /** Sends that resolved (a ROUTER rejects those for an id it cannot route: EHOSTUNREACH). */
  const accepted = new Set<number>()
  const connect = (i: number) => {
    if (connected.has(i)) return
    connected.add(i)
    if (kind === "router") (subject.sock as Router).connect(peers[i]!.endpoint, { routingId: `p${i}` })
    else subject.sock.connect(peers[i]!.endpoint)
  }
  try {
    for (const op of s.ops) {
      switch (op.t) {
        case "send":
          for (let k = 0; k < op.n; k++) {
            const n = seq++
            sent.push(n)
            unsettled++
            settled.push(
              subject.sock.send(subject.frames(n)).then(
                () => {
                  unsettled--
                  accepted.add(n)
                },
                () => unsettled--,
              ),
            )
          }
          break
        case "bind":
          if (!peers[op.i]!.bound) await peers[op.i]!.bind()
          break
        case "connect":
          // A ROUTER subject routes to peer 0 only (its id is "p0").
          connect(kind === "router" ? 0 : op.i)
          break
        case "disconnect": {
          const i = kind === "router" ? 0 : op.i
          if (connected.has(i)) {
            subject.sock.disconnect(peers[i]!.endpoint)
            connected.delete(i)
            lossy = true
          }
          break
        }
        case "restart":
          if (peers[op.i]!.bound) {
            peers[op.i]!.close()
            await peers[op.i]!.bind()
            lossy = true
          }
          break
        case "tick":
          await sleep(5)
          break
      }
    }
    // Let everything drain: at least one peer connected, and every connected peer bound.
    if (connected.size === 0) connect(0)
    for (const i of connected) if (!peers[i]!.bound) await peers[i]!.bind()
    await within(Promise.all(settled), 20_000, `settling ${unsettled} of ${sent.length} sends`)
    const received = () => peers.reduce((n, p) => n + p.lives.reduce((a, l) => a + l.length, 0), 0)
    if (!lossy) await until(() => received() >= accepted.size, 20_000, `all ${accepted.size} messages (have ${received()})`)
    else await sleep(100)
    // A little longer, so that a duplicate sent late would show.
    await sleep(50)
    const all: number[] = []
    for (const p of peers) {
      for (const life of p.lives) {
        for (let k = 1; k < life.length; k++) expect(life[k]!, "per-peer order").toBeGreaterThan(life[k - 1]!)
        all.push(...life)
      }
    }
    expect(new Set(all).size, "no message arrives twice").toBe(all.length)
    for (const n of all) expect(accepted.has(n), `message ${n} arrived but its send was rejected`).toBe(true)
    if (!lossy) expect(all.length, "exactly once without restarts or disconnects").toBe(accepted.size)
    expect(unsettled).toBe(0)
  } finally {
    subject.sock.close()
    for (const p of peers) p.close()
  }
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32BE(n, 0)
  return b
}

for (const kind of ["dealer", "router", "req"] as const) {
  it(`${kind}: un-awaited sends beyond the HWM, with binds, connects, disconnects and restarts, arrive at most once, in order, and settle`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) => runScenario(kind, s)),
      { numRuns: RUNS, endOnFailure: true },
    )
  }, 600_000)
}
