/**
 * Model-based test of the DEALER state machine (RFC 28 "The DEALER Socket Type") against a small
 * reference model, with several ROUTER peers that come and go.
 *
 * Topology: the DEALER subject connects to 1..4 peer endpoints; each peer is a ROUTER bound there.
 * With ZMQ_IMMEDIATE off (the default) a connect's pipe exists at once and outlives its
 * connection, so a peer that is away has a queue that fills up to the send high-water mark: that
 * is where "HWM reached" is exact and observable (libzmq behaves the same; RFC 28: "SHALL route
 * outgoing messages to available peers using a round-robin strategy", "When a DEALER socket enters
 * the mute state, [...] SHALL block [...] or return an error" — here sendTimeout 0, so EAGAIN).
 * Peers that are connected always have room: messages are a few bytes and few.
 *
 * The model predicts, for each subject send, success or EAGAIN, and for a peer that is away exactly
 * which messages it queued (read from the pipe's statistics and checked against the HWM). After the
 * run every accepted message must have reached exactly one peer, whole, in per-peer order, on a peer
 * that had room when it was sent; none may be lost unless a peer that could have taken it closed
 * afterwards. Round-robin is checked in every stretch where the set of peers with room was constant.
 * Input is fair-queued: every message a peer sends reaches the subject once, whole, in that peer's order.
 *
 * Bursts ({@link SubjectBurst}) issue sends without awaiting them, beyond what the pipes can take, so
 * that sends wait in the socket's send queue while peers come back: the case in which the send loop
 * used to re-enter itself and send the queue's head twice (issue 14). Every send promise must settle.
 */
import * as fc from "fast-check"
import { describe, expect } from "vitest"
import { Dealer, Router } from "../../src/index.js"
import {
  body,
  checkRoundRobin,
  freshEndpoint,
  hwmArb,
  itModel,
  microtasks,
  queueOf,
  sendResult,
  seqOf,
  settled,
  takeInbound,
  track,
  transportArb,
  tryReceive,
  waitFor,
  waitForLeave,
  whole,
  type Tracked,
  type Transport,
} from "./harness.js"

const SUBJECT_ID = "S"

interface Slot {
  ep: string
  live: boolean
  /** Tags queued in the subject's pipe while this peer was away (exact). */
  deadQueue: string[]
  /** Messages this peer sent to the subject, not yet received; `definite` false once the peer closed. */
  inbound: { tag: string; definite: boolean }[]
  sent: number
}

interface Model {
  hwm: number
  slots: Slot[]
  seq: number
  /** Every subject send, in order. */
  sends: { tag: string; seq: number; ok: boolean; cand: number[]; live: number[]; dest: number | undefined }[]
  closes: { slot: number; at: number }[]
}

interface Real {
  t: Transport
  subject: Dealer
  peers: (Router | undefined)[]
  /** tag -> slot that received it. */
  received: Map<string, number>
  perSlot: string[][]
  all: Set<{ close(): void; closed: boolean }>
}

async function startPeer(r: Real, i: number, ep: string): Promise<Router> {
  const p = new Router({ linger: 0, mandatory: true, sendTimeout: 2000 })
  r.all.add(p as never)
  await p.bind(ep)
  r.peers[i] = p
  return p
}

async function waitLive(r: Real, i: number, ep: string): Promise<void> {
  await waitFor(() => queueOf(r.subject, ep)?.connected === true && (r.peers[i]?.statistics.peers ?? 0) >= 1, `peer ${i} handshake`)
}

/** A peer's receipt of a subject message: [subject id, ...body]. */
function record(m: Model, r: Real, i: number, frames: Buffer[]): string {
  expect(frames[0]!.toString(), "ROUTER peer sees the DEALER's routing id first").toBe(SUBJECT_ID)
  const tag = whole(frames.slice(1))
  expect(r.received.has(tag), `duplicate delivery of ${tag}`).toBe(false)
  const rec = m.sends.find((s) => s.tag === tag)
  expect(rec?.ok, `${tag} delivered but its send was not accepted`).toBe(true)
  r.received.set(tag, i)
  const list = r.perSlot[i]!
  if (list.length > 0) expect(seqOf(tag), `per-peer order at peer ${i}`).toBeGreaterThan(seqOf(list[list.length - 1]!))
  list.push(tag)
  if (rec!.dest === undefined) {
    expect(rec!.live, `${tag} reached peer ${i}, which was not connected when it was sent`).toContain(i)
    rec!.dest = i
  } else expect(rec!.dest).toBe(i)
  return tag
}

class SubjectSend implements fc.AsyncCommand<Model, Real> {
  /** `count` sends in a row (bursts reach the HWM of away peers often). */
  constructor(readonly frames: number, readonly count = 1) {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    for (let k = 0; k < this.count; k++) await this.one(m, r)
  }
  private async one(m: Model, r: Real): Promise<void> {
    const live = m.slots.flatMap((s, i) => (s.live ? [i] : []))
    const deadRoom = m.slots.flatMap((s, i) => (!s.live && s.deadQueue.length < m.hwm ? [i] : []))
    const cand = [...live, ...deadRoom].sort((a, b) => a - b)
    const seq = ++m.seq
    const tag = `d${seq}`
    const res = await sendResult(r.subject, body(tag, this.frames))
    const rec = { tag, seq, ok: res === "ok", cand, live, dest: undefined as number | undefined }
    m.sends.push(rec)
    if (cand.length === 0) {
      expect(res, "no peer has room: EAGAIN").toBe("EAGAIN")
      return
    }
    expect(res, "some peer has room: the send is accepted").toBe("ok")
    placed(m, r, rec, deadRoom)
  }
  toString = () => `send(${this.frames})x${this.count}`
}

/**
 * After an accepted send: which away-peer queue took it, if any (exactly one when no peer is
 * connected); that queue's peer is then its destination.
 */
function placed(m: Model, r: Real, rec: Model["sends"][number], deadRoom: number[]): void {
  const grew: number[] = []
  m.slots.forEach((s, i) => {
    if (s.live) return
    const q = queueOf(r.subject, s.ep)!
    expect(q.out, `queue of away peer ${i} stays within the HWM`).toBeLessThanOrEqual(m.hwm)
    if (q.out === s.deadQueue.length + 1) grew.push(i)
    else expect(q.out).toBe(s.deadQueue.length)
  })
  expect(grew.length).toBeLessThanOrEqual(1)
  if (rec.live.length === 0) expect(grew.length, "with no peer connected the message waits in an away peer's queue").toBe(1)
  if (grew.length === 1) {
    expect(deadRoom).toContain(grew[0])
    m.slots[grew[0]!]!.deadQueue.push(rec.tag)
    rec.dest = grew[0]
  }
}

/**
 * Sends issued without awaiting them, beyond what the pipes can take (issue 14: the send queue must
 * hold many sends at once). With sendTimeout -1, `room + extra` sends go out in one synchronous
 * stretch, `room` being what the away peers' pipes can still queue. A send is accepted at once while
 * no earlier send waits and some peer has room (a connected one always has: a full pipe is handed
 * to the transport first); each accepted one lands as {@link placed} says. Otherwise it waits in the
 * send queue, in order, which happens only when every peer is away and full. Then the peers chosen
 * by `revive` come back (the first away one if none is chosen while sends wait): the waiting sends
 * all go to the first one back, the only peer with room, after what its pipe queued. Every promise
 * must settle, and as accepted: no peer is lost meanwhile.
 */
class SubjectBurst implements fc.AsyncCommand<Model, Real> {
  constructor(readonly frames: number, readonly extra: number, readonly revive: boolean[]) {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    const room = m.slots.reduce((n, s) => n + (s.live ? 0 : m.hwm - s.deadQueue.length), 0)
    const waiting: Model["sends"] = []
    const tracked: Tracked[] = []
    r.subject.sendTimeout = -1
    try {
      for (let k = 0; k < room + this.extra; k++) {
        const live = m.slots.flatMap((s, i) => (s.live ? [i] : []))
        const deadRoom = m.slots.flatMap((s, i) => (!s.live && s.deadQueue.length < m.hwm ? [i] : []))
        const cand = [...live, ...deadRoom].sort((a, b) => a - b)
        const seq = ++m.seq
        const tag = `d${seq}`
        const before = r.subject.statistics.messagesOut
        tracked.push(track(r.subject, body(tag, this.frames), tag))
        const atOnce = r.subject.statistics.messagesOut === before + 1
        const rec = { tag, seq, ok: true, cand, live, dest: undefined as number | undefined }
        m.sends.push(rec)
        if (waiting.length === 0 && cand.length > 0) {
          expect(atOnce, `${tag}: a peer has room and no send waits before it: accepted at once`).toBe(true)
          placed(m, r, rec, deadRoom)
        } else {
          expect(atOnce, `${tag}: ${waiting.length > 0 ? "a send waits before it" : "no peer has room"}: it waits`).toBe(false)
          for (const s of m.slots) if (!s.live) expect(queueOf(r.subject, s.ep)!.out, "a waiting send is in no pipe").toBe(s.deadQueue.length)
          waiting.push(rec)
        }
      }
      await microtasks()
      for (const t of tracked) {
        const waits = waiting.some((w) => w.tag === t.tag)
        expect(t.outcome, `${t.tag} ${waits ? "waits for room" : "was accepted at once"}`).toBe(waits ? undefined : "ok")
      }
      const away = m.slots.flatMap((s, i) => (s.live ? [] : [i]))
      const back = away.filter((i) => this.revive[i])
      if (waiting.length > 0 && back.length === 0) back.push(away[0]!)
      if (waiting.length > 0) {
        // Every other away peer's pipe is full, so the waiting sends all go to the first one back.
        for (const w of waiting) {
          w.cand = [back[0]!]
          w.live = [back[0]!]
          w.dest = back[0]
        }
      }
      for (const i of back) await new PeerRevive(i).run(m, r)
      await settled(tracked)
      for (const t of tracked) expect(t.outcome, `${t.tag} settles as accepted`).toBe("ok")
    } finally {
      r.subject.sendTimeout = 0
    }
  }
  toString = () => `burst(${this.frames}, room+${this.extra}, revive ${this.revive.map((b, i) => (b ? i : "")).join("")})`
}

class SubjectReceive implements fc.AsyncCommand<Model, Real> {
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    const definite = m.slots.some((s) => s.inbound.some((x) => x.definite))
    const msg = await tryReceive(r.subject, definite ? 3000 : 30)
    if (!msg) {
      expect(definite, "a message a connected peer sent must arrive").toBe(false)
      return
    }
    // DEALER passes messages through unchanged (RFC 28): exactly what the ROUTER peer sent after the id.
    const tag = whole(msg)
    const i = Number(/^in(\d+):/.exec(tag)![1])
    takeInbound(m.slots[i]!.inbound, tag)
  }
  toString = () => "receive"
}

class PeerSend implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number, readonly frames: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    const tag = `in${this.slot}:${++s.sent}`
    await r.peers[this.slot]!.send([SUBJECT_ID, ...body(tag, this.frames)])
    s.inbound.push({ tag, definite: true })
  }
  toString = () => `peer${this.slot}.send(${this.frames})`
}

class PeerDrain implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    const p = r.peers[this.slot]!
    for (;;) {
      const msg = await tryReceive(p, 30)
      if (!msg) return
      record(m, r, this.slot, msg)
    }
  }
  toString = () => `peer${this.slot}.drain`
}

class PeerClose implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    r.peers[this.slot]!.close()
    r.peers[this.slot] = undefined
    // What the peer sent may still be read, or may be lost with the connection.
    for (const x of s.inbound) x.definite = false
    await waitForLeave(
      r.subject,
      () => queueOf(r.subject, s.ep)?.connected === false,
      () => new SubjectReceive().run(m, r),
      `subject sees peer ${this.slot} leave`,
    )
    s.live = false
    s.deadQueue = []
    m.closes.push({ slot: this.slot, at: m.seq })
  }
  toString = () => `peer${this.slot}.close`
}

class PeerRevive implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && !m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    const p = await startPeer(r, this.slot, s.ep)
    await waitLive(r, this.slot, s.ep)
    s.live = true
    // What queued while the peer was away is delivered to the new connection first, in order.
    for (const tag of s.deadQueue) {
      const msg = await tryReceive(p, 3000)
      expect(msg, `queued ${tag} delivered on reconnect`).toBeDefined()
      expect(record(m, r, this.slot, msg!)).toBe(tag)
    }
    s.deadQueue = []
  }
  toString = () => `peer${this.slot}.revive`
}

class AddPeer implements fc.AsyncCommand<Model, Real> {
  constructor(readonly live: boolean) {}
  check = (m: Readonly<Model>) => m.slots.length < 4
  async run(m: Model, r: Real): Promise<void> {
    const i = m.slots.length
    const ep = await freshEndpoint(r.t)
    r.perSlot.push([])
    r.peers.push(undefined)
    m.slots.push({ ep, live: false, deadQueue: [], inbound: [], sent: 0 })
    if (this.live) await startPeer(r, i, ep)
    r.subject.connect(ep)
    if (this.live) {
      await waitLive(r, i, ep)
      m.slots[i]!.live = true
    }
  }
  toString = () => `addPeer(${this.live ? "up" : "away"})`
}

/** After the commands: bring every peer back, collect everything, and judge the whole history. */
async function finish(m: Model, r: Real): Promise<void> {
  for (let i = 0; i < m.slots.length; i++) if (!m.slots[i]!.live) await new PeerRevive(i).run(m, r)
  for (let i = 0; i < m.slots.length; i++) await new PeerDrain(i).run(m, r)
  // Whatever peers sent to the subject must all arrive (lost only with a closed connection).
  while (m.slots.some((s) => s.inbound.some((x) => x.definite))) await new SubjectReceive().run(m, r)

  for (const s of m.sends) {
    if (!s.ok || r.received.has(s.tag)) continue
    // Not delivered: only excusable if a connected peer that could have taken it closed later.
    const excused = m.closes.some((c) => c.at >= s.seq && s.live.includes(c.slot))
    expect(excused, `accepted message ${s.tag} was lost`).toBe(true)
  }
  checkRoundRobin(m.sends.filter((s) => s.ok))
}

const commands = fc.commands(
  [
    fc.integer({ min: 1, max: 3 }).map((n) => new SubjectSend(n)),
    fc.integer({ min: 1, max: 3 }).map((n) => new SubjectSend(n)),
    fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 8 })).map(([n, k]) => new SubjectSend(n, k)),
    fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 18 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
      .map(([n, k, b]) => new SubjectBurst(n, k, b)),
    fc.constant(new SubjectReceive()),
    fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 2 })).map(([i, n]) => new PeerSend(i, n)),
    fc.nat(3).map((i) => new PeerDrain(i)),
    fc.nat(3).map((i) => new PeerClose(i)),
    fc.nat(3).map((i) => new PeerRevive(i)),
    fc.boolean().map((b) => new AddPeer(b)),
  ],
  { maxCommands: 30, size: "max" },
)

describe("DEALER against a reference model", () => {
  itModel(
    "round-robin out over peers with room, fair-queued in, HWM on away peers, nothing lost or duplicated",
    fc.tuple(transportArb, hwmArb, hwmArb, fc.array(fc.boolean(), { minLength: 1, maxLength: 3 })),
    commands,
    ([t, hwm, rcvHwm, initial]) => {
      const subject = new Dealer({
        routingId: SUBJECT_ID,
        sendHighWaterMark: hwm,
        receiveHighWaterMark: rcvHwm,
        sendTimeout: 0,
        linger: 0,
        reconnectInterval: 10,
      })
      const r: Real = { t, subject, peers: [], received: new Map(), perSlot: [], all: new Set([subject as never]) }
      const m: Model = { hwm, slots: [], seq: 0, sends: [], closes: [] }
      return {
        model: m,
        real: r,
        setup: async () => {
          for (const up of initial) await new AddPeer(up).run(m, r)
        },
        check: () => finish(m, r),
      }
    },
  )
})
