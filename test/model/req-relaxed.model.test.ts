/**
 * Model-based test of a relaxed REQ (ZMQ_REQ_RELAXED with ZMQ_REQ_CORRELATE, as zmq_setsockopt(3)
 * advises) against a small reference model, with several REP and ROUTER peers that come and go.
 * The strict REQ has its own model (req.model.test.ts); only a relaxed one can have several requests
 * under way, and so sends beyond the high-water mark.
 *
 * Topology as for DEALER: the subject connects to 1..4 peer endpoints; a peer that is away keeps its
 * pipe, which queues requests up to the send HWM (ZMQ_IMMEDIATE off). The model predicts:
 *  - sends: a new request may always be sent (no EFSM); it is accepted while a peer has room
 *    (a connected peer always has) and fails with EAGAIN otherwise (sendTimeout 0); which away
 *    peer's pipe took it is read from the statistics; round-robin over peers with room (RFC 28)
 *    is checked in every stretch where that set was constant;
 *  - bursts: sends issued without awaiting them beyond what the pipes can take wait in order and
 *    all go to the first peer back (see {@link ReqBurst}); every promise settles as accepted;
 *  - every accepted request reaches exactly one peer, once, whole, in per-peer order, with the
 *    envelope [request id, "", body] (a REP peer sees the body), unless a peer that could hold it
 *    closed;
 *  - replies: each peer answers every request it gets, so replies to abandoned requests come back
 *    too; the subject returns only the reply to its latest request ("each new request abandons the
 *    previous one"), once, and EFSM for a receive when no request awaits its reply.
 */
import * as fc from "fast-check"
import { describe, expect } from "vitest"
import { Reply, Request, Router } from "../../src/index.js"
import {
  body,
  checkRoundRobin,
  freshEndpoint,
  hwmArb,
  itModel,
  microtasks,
  queueOf,
  receiveResult,
  sendResult,
  seqOf,
  settled,
  track,
  transportArb,
  tryReceive,
  waitFor,
  waitForLeave,
  whole,
  type Tracked,
  type Transport,
} from "./harness.js"

const REQ_ID = "Q"
type Kind = "rep" | "router"

interface Slot {
  kind: Kind
  ep: string
  live: boolean
  /** Requests queued in the subject's pipe while this peer was away (exact). */
  deadQueue: string[]
}

interface Send {
  tag: string
  seq: number
  ok: boolean
  cand: number[]
  /** Peers it may reach (those connected when it was sent; the first one back for a waiting one). */
  live: number[]
  dest: number | undefined
}

interface Model {
  hwm: number
  slots: Slot[]
  seq: number
  sends: Send[]
  closes: { slot: number; at: number }[]
  /** The latest accepted request while its reply was not received; undefined otherwise. */
  latest: string | undefined
  /** Whether a reply to `latest` is on its way: a peer answered it ("maybe" once that peer closed). */
  replyDue: "none" | "sure" | "maybe"
  /** The peer that answered `latest`. */
  repliedBy: number | undefined
}

interface Real {
  t: Transport
  subject: Request
  peers: (Reply | Router | undefined)[]
  /** tag -> slot that received it. */
  received: Map<string, number>
  perSlot: string[][]
  all: Set<{ close(): void; closed: boolean }>
}

async function startPeer(m: Model, r: Real, i: number): Promise<void> {
  const s = m.slots[i]!
  const p = s.kind === "rep" ? new Reply({ linger: 0 }) : new Router({ linger: 0, mandatory: true, sendTimeout: 2000 })
  r.all.add(p as never)
  await p.bind(s.ep)
  r.peers[i] = p
  await waitFor(() => queueOf(r.subject, s.ep)?.connected === true && p.statistics.peers >= 1, `peer ${i} handshake`)
  s.live = true
}

/** A peer's receipt of a request: checks it and the model's books; returns its tag. */
function record(m: Model, r: Real, i: number, tag: string): void {
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
  } else expect(rec!.dest, `${tag} reached the peer it was routed to`).toBe(i)
  if (tag === m.latest) {
    m.replyDue = "sure"
    m.repliedBy = i
  }
}

/** Peer `i` takes one request (waiting up to `ms`) and answers it; the tag, or undefined if none came. */
async function serveOne(m: Model, r: Real, i: number, ms: number): Promise<string | undefined> {
  const p = r.peers[i]!
  const msg = await tryReceive(p, ms)
  if (!msg) return undefined
  let tag: string
  if (m.slots[i]!.kind === "rep") {
    // REP strips the envelope (request id and delimiter) and puts it back on the reply.
    tag = whole(msg)
    record(m, r, i, tag)
    await p.send(body(`r${tag}`, 1))
  } else {
    expect(msg[0]!.toString(), "ROUTER sees the REQ's id").toBe(REQ_ID)
    expect(msg[1]!.length, "then the 4-octet request id (ZMQ_REQ_CORRELATE)").toBe(4)
    expect(msg[2]!.length, "then the empty delimiter").toBe(0)
    tag = whole(msg.slice(3))
    record(m, r, i, tag)
    await p.send([REQ_ID, msg[1]!, "", ...body(`r${tag}`, 1)])
  }
  return tag
}

/** After an accepted send: which away-peer queue took it, if any (exactly one when none is connected). */
function placed(m: Model, r: Real, rec: Send, deadRoom: number[]): void {
  const grew: number[] = []
  m.slots.forEach((s, i) => {
    if (s.live) return
    const q = queueOf(r.subject, s.ep)!
    expect(q.out, `queue of away peer ${i} stays within the HWM`).toBeLessThanOrEqual(m.hwm)
    if (q.out === s.deadQueue.length + 1) grew.push(i)
    else expect(q.out).toBe(s.deadQueue.length)
  })
  expect(grew.length).toBeLessThanOrEqual(1)
  if (rec.live.length === 0) expect(grew.length, "with no peer connected the request waits in an away peer's queue").toBe(1)
  if (grew.length === 1) {
    expect(deadRoom).toContain(grew[0])
    m.slots[grew[0]!]!.deadQueue.push(rec.tag)
    rec.dest = grew[0]
  }
}

function candidates(m: Model): { live: number[]; deadRoom: number[]; cand: number[] } {
  const live = m.slots.flatMap((s, i) => (s.live ? [i] : []))
  const deadRoom = m.slots.flatMap((s, i) => (!s.live && s.deadQueue.length < m.hwm ? [i] : []))
  return { live, deadRoom, cand: [...live, ...deadRoom].sort((a, b) => a - b) }
}

/** A new request is accepted: it is now the one whose reply counts. */
function becomesLatest(m: Model, tag: string): void {
  m.latest = tag
  m.replyDue = "none"
  m.repliedBy = undefined
}

class ReqSend implements fc.AsyncCommand<Model, Real> {
  /** `count` sends in a row, each awaited (sendTimeout 0). */
  constructor(readonly frames: number, readonly count = 1) {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    for (let k = 0; k < this.count; k++) {
      const { live, deadRoom, cand } = candidates(m)
      const seq = ++m.seq
      const tag = `q${seq}`
      const res = await sendResult(r.subject, body(tag, this.frames))
      const rec: Send = { tag, seq, ok: res === "ok", cand, live, dest: undefined }
      m.sends.push(rec)
      if (cand.length === 0) {
        expect(res, "no peer has room: EAGAIN (relaxed: never EFSM)").toBe("EAGAIN")
        continue
      }
      expect(res, "some peer has room: the request is accepted").toBe("ok")
      placed(m, r, rec, deadRoom)
      becomesLatest(m, tag)
    }
  }
  toString = () => `send(${this.frames})x${this.count}`
}

/**
 * Requests issued without awaiting them, beyond what the pipes can take (issue 14). With
 * sendTimeout -1, `room + extra` sends go out in one synchronous stretch, `room` being what the away
 * peers' pipes can still queue. One is accepted at once while no earlier one waits and some peer
 * has room; otherwise it waits in the send queue, in order (only when every peer is away and full).
 * Then the peers chosen by `revive` come back, and each answers what its pipe queued (the first away
 * one comes back if none is chosen while sends wait): the waiting requests all go to the first one
 * back, the only peer with room. Every promise settles as accepted; the last request is the latest.
 */
class ReqBurst implements fc.AsyncCommand<Model, Real> {
  constructor(readonly frames: number, readonly extra: number, readonly revive: boolean[]) {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    const room = m.slots.reduce((n, s) => n + (s.live ? 0 : m.hwm - s.deadQueue.length), 0)
    const waiting: Send[] = []
    const tracked: Tracked[] = []
    r.subject.sendTimeout = -1
    try {
      for (let k = 0; k < room + this.extra; k++) {
        const { live, deadRoom, cand } = candidates(m)
        const seq = ++m.seq
        const tag = `q${seq}`
        const before = r.subject.statistics.messagesOut
        tracked.push(track(r.subject, body(tag, this.frames), tag))
        const atOnce = r.subject.statistics.messagesOut === before + 1
        const rec: Send = { tag, seq, ok: true, cand, live, dest: undefined }
        m.sends.push(rec)
        if (waiting.length === 0 && cand.length > 0) {
          expect(atOnce, `${tag}: a peer has room and no send waits before it: accepted at once`).toBe(true)
          placed(m, r, rec, deadRoom)
        } else {
          expect(atOnce, `${tag}: ${waiting.length > 0 ? "a send waits before it" : "no peer has room"}: it waits`).toBe(false)
          for (const s of m.slots) if (!s.live) expect(queueOf(r.subject, s.ep)!.out, "a waiting send is in no pipe").toBe(s.deadQueue.length)
          waiting.push(rec)
        }
        becomesLatest(m, tag)
      }
      await microtasks()
      for (const t of tracked) {
        const waits = waiting.some((w) => w.tag === t.tag)
        expect(t.outcome, `${t.tag} ${waits ? "waits for room" : "was accepted at once"}`).toBe(waits ? undefined : "ok")
      }
      const away = m.slots.flatMap((s, i) => (s.live ? [] : [i]))
      const back = away.filter((i) => this.revive[i])
      if (waiting.length > 0 && back.length === 0) back.push(away[0]!)
      for (const w of waiting) {
        w.cand = [back[0]!]
        w.live = [back[0]!]
        w.dest = back[0]
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

class ReqReceive implements fc.AsyncCommand<Model, Real> {
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    if (m.latest === undefined) {
      expect(await receiveResult(r.subject, 30), "no request awaits its reply: EFSM").toBe("EFSM")
      return
    }
    const ms = m.replyDue === "sure" ? 3000 : m.replyDue === "maybe" ? 100 : 30
    const msg = await tryReceive(r.subject, ms)
    if (!msg) {
      expect(m.replyDue, `the reply to ${m.latest} must arrive`).not.toBe("sure")
      return
    }
    expect(m.replyDue, "replies to abandoned requests are discarded").not.toBe("none")
    // Request id and delimiter are stripped: the reply body only, to the latest request.
    expect(whole(msg), "only the reply to the latest request").toBe(`r${m.latest}`)
    m.latest = undefined
    m.replyDue = "none"
  }
  toString = () => "receive"
}

class PeerServe implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    while ((await serveOne(m, r, this.slot, 30)) !== undefined) {}
  }
  toString = () => `peer${this.slot}.serve`
}

class PeerClose implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    r.peers[this.slot]!.close()
    r.peers[this.slot] = undefined
    // A reply it sent may be lost with the connection (linger 0).
    if (m.replyDue === "sure" && m.repliedBy === this.slot) m.replyDue = "maybe"
    await waitForLeave(
      r.subject,
      () => queueOf(r.subject, s.ep)?.connected === false,
      () => new ReqReceive().run(m, r),
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
    await startPeer(m, r, this.slot)
    // What queued while the peer was away is delivered to the new connection first, in order.
    for (const tag of s.deadQueue) expect(await serveOne(m, r, this.slot, 3000), `queued ${tag} delivered on reconnect`).toBe(tag)
    s.deadQueue = []
  }
  toString = () => `peer${this.slot}.revive`
}

class AddPeer implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: Kind, readonly live: boolean) {}
  check = (m: Readonly<Model>) => m.slots.length < 4
  async run(m: Model, r: Real): Promise<void> {
    const i = m.slots.length
    const ep = await freshEndpoint(r.t)
    r.perSlot.push([])
    r.peers.push(undefined)
    m.slots.push({ kind: this.kind, ep, live: false, deadQueue: [] })
    r.subject.connect(ep)
    if (this.live) await startPeer(m, r, i)
  }
  toString = () => `add(${this.kind}, ${this.live ? "up" : "away"})`
}

/** After the commands: bring every peer back, serve everything, and judge the whole history. */
async function finish(m: Model, r: Real): Promise<void> {
  for (let i = 0; i < m.slots.length; i++) if (!m.slots[i]!.live) await new PeerRevive(i).run(m, r)
  for (let i = 0; i < m.slots.length; i++) await new PeerServe(i).run(m, r)
  for (const s of m.sends) {
    if (!s.ok || r.received.has(s.tag)) continue
    // Not delivered: only excusable if a connected peer that could have taken it closed later.
    const excused = m.closes.some((c) => c.at >= s.seq && s.live.includes(c.slot))
    expect(excused, `accepted request ${s.tag} was lost`).toBe(true)
  }
  checkRoundRobin(m.sends.filter((s) => s.ok))
  // The latest request was answered (if it reached a peer): its reply, and only it, comes back.
  await new ReqReceive().run(m, r)
  await new ReqReceive().run(m, r)
}

const kindArb = fc.constantFrom<Kind>("rep", "router")
const commands = fc.commands(
  [
    fc.integer({ min: 1, max: 3 }).map((n) => new ReqSend(n)),
    fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 8 })).map(([n, k]) => new ReqSend(n, k)),
    fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 18 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
      .map(([n, k, b]) => new ReqBurst(n, k, b)),
    fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 18 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
      .map(([n, k, b]) => new ReqBurst(n, k, b)),
    fc.constant(new ReqReceive()),
    fc.constant(new ReqReceive()),
    fc.nat(3).map((i) => new PeerServe(i)),
    fc.nat(3).map((i) => new PeerServe(i)),
    fc.nat(3).map((i) => new PeerClose(i)),
    fc.nat(3).map((i) => new PeerRevive(i)),
    fc.tuple(kindArb, fc.boolean()).map(([k, b]) => new AddPeer(k, b)),
  ],
  { maxCommands: 30, size: "max" },
)

describe("relaxed REQ against a reference model", () => {
  itModel(
    "requests beyond the HWM wait and are delivered once each, round-robin; only the latest request's reply is returned",
    fc.tuple(transportArb, hwmArb, fc.array(fc.tuple(kindArb, fc.boolean()), { minLength: 1, maxLength: 3 })),
    commands,
    ([t, hwm, initial]) => {
      const subject = new Request({
        routingId: REQ_ID,
        relaxed: true,
        correlate: true,
        sendHighWaterMark: hwm,
        sendTimeout: 0,
        linger: 0,
        reconnectInterval: 10,
      })
      const r: Real = { t, subject, peers: [], received: new Map(), perSlot: [], all: new Set([subject as never]) }
      const m: Model = { hwm, slots: [], seq: 0, sends: [], closes: [], latest: undefined, replyDue: "none", repliedBy: undefined }
      return {
        model: m,
        real: r,
        setup: async () => {
          for (const [k, up] of initial) await new AddPeer(k, up).run(m, r)
        },
        check: () => finish(m, r),
      }
    },
  )
})
