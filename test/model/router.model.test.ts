/**
 * Model-based test of the ROUTER state machine (RFC 28 "The ROUTER Socket Type") against a small
 * reference model, with several DEALER peers of known routing ids that come and go.
 *
 * Two kinds of peer slot:
 *  - "acc": a DEALER with routingId "a<i>" connects to the subject's bound endpoint. When it leaves,
 *    its routing id is unroutable.
 *  - "con": the subject connects to the peer's endpoint with `connect(ep, { routingId: "c<i>" })`
 *    (ZMQ_CONNECT_ROUTING_ID). As in libzmq, that pipe is routable at once and outlives its
 *    connection, so while the peer is away messages queue up to the send HWM: there "HWM reached"
 *    is exact. RFC 28: "If the socket is in the mute state [...] SHALL drop the message" by default,
 *    and libzmq's ZMQ_ROUTER_MANDATORY turns that drop into EAGAIN and an unroutable id into
 *    EHOSTUNREACH (zmq_setsockopt(3)).
 *
 * The model predicts every send's outcome (ok, EAGAIN, EHOSTUNREACH) and exactly which messages each
 * peer receives: every routed message reaches only its addressee, whole, in order; dropped ones reach
 * nobody. Every received message is prefixed with the sender's routing id ("SHALL prefix the message
 * with [the] identity"), and arrives once, whole, in that peer's order. A second peer announcing a
 * routing id in use is ignored while the first holds it (libzmq without ZMQ_ROUTER_HANDOVER).
 *
 * Bursts ({@link RouterBurst}) issue sends without awaiting them beyond one peer's HWM, to an away
 * "con" peer that then comes back or to a connected peer whose transport is over its budget: with
 * mandatory they wait in the socket's send queue, in order, until there is room (issue 14: the send
 * loop used to re-enter itself and send the queue's head twice). Every send promise must settle.
 */
import * as fc from "fast-check"
import { describe, expect } from "vitest"
import { Dealer, Router } from "../../src/index.js"
import {
  bigBody,
  body,
  freshEndpoint,
  hwmArb,
  itModel,
  microtasks,
  queueOf,
  sendResult,
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

type Kind = "acc" | "con"

interface Slot {
  kind: Kind
  id: string
  ep: string
  live: boolean
  /** con slots: tags queued in the subject's pipe while the peer was away (exact). */
  deadQueue: string[]
  /** Tags on their way to the current connection of this peer, in order. */
  expect: string[]
  /** Messages this peer sent, not yet received; `inc` is the connection (bumped when the peer closes). */
  inbound: { tag: string; definite: boolean; inc: number }[]
  inc: number
  sent: number
}

interface Model {
  hwm: number
  mandatory: boolean
  slots: Slot[]
  seq: number
  /** Tags the subject must never return (sent by ignored duplicates). */
  forbidden: Set<string>
}

interface Real {
  t: Transport
  subject: Router
  bound: string
  peers: (Dealer | undefined)[]
  all: Set<{ close(): void; closed: boolean }>
}

const liveCount = (m: Model) => m.slots.filter((s) => s.live).length

async function peerUp(m: Model, r: Real, i: number): Promise<void> {
  const s = m.slots[i]!
  const p = new Dealer({ routingId: s.id, linger: 0, reconnectInterval: 10 })
  r.all.add(p as never)
  r.peers[i] = p
  if (s.kind === "acc") {
    p.connect(r.bound)
    s.live = true
    await waitFor(() => r.subject.statistics.peers === liveCount(m) && p.statistics.peers === 1, `peer ${i} joins`)
  } else {
    await p.bind(s.ep)
    s.live = true
    await waitFor(() => queueOf(r.subject, s.ep)?.connected === true && p.statistics.peers === 1, `peer ${i} joins`)
    // What queued while it was away goes to the new connection first.
    s.expect = s.deadQueue
    s.deadQueue = []
  }
}

class RouterSend implements fc.AsyncCommand<Model, Real> {
  /** target -1: a routing id no peer has. */
  constructor(readonly target: number, readonly frames: number, readonly count: number) {}
  check = (m: Readonly<Model>) => this.target < m.slots.length
  async run(m: Model, r: Real): Promise<void> {
    for (let k = 0; k < this.count; k++) {
      const s = this.target < 0 ? undefined : m.slots[this.target]!
      const tag = `o${++m.seq}`
      const res = await sendResult(r.subject, [s?.id ?? "nobody", ...body(tag, this.frames)])
      if (!s || (s.kind === "acc" && !s.live)) {
        // Unroutable: dropped silently, or EHOSTUNREACH with mandatory.
        expect(res, `send to unroutable ${s?.id ?? "nobody"}`).toBe(m.mandatory ? "EHOSTUNREACH" : "ok")
      } else if (s.live) {
        expect(res, `send to connected ${s.id}`).toBe("ok")
        s.expect.push(tag)
      } else if (s.deadQueue.length < m.hwm) {
        expect(res, `send to away ${s.id} below the HWM is queued`).toBe("ok")
        s.deadQueue.push(tag)
      } else {
        // HWM reached: dropped, or EAGAIN with mandatory (sendTimeout 0).
        expect(res, `send to away ${s.id} at the HWM`).toBe(m.mandatory ? "EAGAIN" : "ok")
      }
      if (s && s.kind === "con" && !s.live) expect(queueOf(r.subject, s.ep)!.out, `queue of away ${s.id}`).toBe(s.deadQueue.length)
    }
  }
  toString = () => `send(${this.target < 0 ? "nobody" : this.target}, ${this.frames})x${this.count}`
}

/** What a send in a burst does at once: accepted (queued, or dropped), rejected, or it waits its turn. */
type AtOnce = "ok" | "EHOSTUNREACH" | "wait"

/**
 * Sends issued without awaiting them, beyond the HWM of one peer (issue 14: the send queue must hold
 * many sends at once), in one synchronous stretch with sendTimeout -1, then `behind`: one small send
 * to each of those slots (skipping away "con" slots other than the target, which could wait for ever).
 *
 * - To an away "con" target: its pipe takes what room it has; the rest is dropped, or with
 *   mandatory waits ("SHALL block" in the mute state, RFC 28), and every later send waits behind it,
 *   in order. The peer then comes back: what its pipe queued arrives first, then the waiting sends.
 * - To a connected target, with `big` messages (harness BIG: more than the write budget): the pipe
 *   takes HWM messages; at the next one it is full and is handed to the transport, which takes one
 *   message and is then over budget, so the pipe has room for that one more and after it none until
 *   the transport drains (a later turn of the event loop). Beyond HWM + 1 a send is dropped, or with
 *   mandatory waits. Small messages to a connected target are always accepted: a full pipe is
 *   handed to the transport first.
 * - To an unroutable id: rejected at once with mandatory (EHOSTUNREACH), else dropped.
 * A waiting send's outcome is the one its target gives when its turn comes. Every promise settles.
 */
class RouterBurst implements fc.AsyncCommand<Model, Real> {
  constructor(readonly target: number, readonly big: boolean, readonly extra: number, readonly behind: number[]) {}
  check = (m: Readonly<Model>) => this.target < m.slots.length
  async run(m: Model, r: Real): Promise<void> {
    const t = this.target < 0 ? undefined : m.slots[this.target]!
    const big = this.big && t?.live === true
    const routable = (x: Slot | undefined) => x !== undefined && (x.live || x.kind === "con")
    // The burst runs from a turn of the event loop: every connected pipe has been handed to its
    // transport (out = 0), and none was over budget (only this command sends big messages, and it
    // ends with the transport drained).
    await new Promise((res) => setImmediate(res))
    const count = !routable(t) ? this.extra : t!.live ? m.hwm + (big ? 1 : 0) + this.extra : m.hwm - t!.deadQueue.length + this.extra
    const plan: { slot: Slot | undefined; big: boolean }[] = []
    for (let k = 0; k < count; k++) plan.push({ slot: t, big })
    for (const j of this.behind) {
      const x = j < 0 ? undefined : m.slots[j]
      if (j >= m.slots.length || (x && x.kind === "con" && !x.live && x !== t)) continue
      plan.push({ slot: x, big: false })
    }
    const tracked: Tracked[] = []
    const fate: { slot: Slot | undefined; tag: string; now: AtOnce; dropped: boolean }[] = []
    let toTarget = 0
    r.subject.sendTimeout = -1
    try {
      for (const { slot: x, big: isBig } of plan) {
        const tag = `o${++m.seq}`
        const waiting = fate.some((f) => f.now === "wait")
        let now: AtOnce
        // Dropped at a full queue: accepted (counted out at once), and its promise may resolve
        // only after a turn of the event loop (socket-base's drop yield).
        let dropped = false
        if (waiting) now = "wait"
        else if (!routable(x)) now = m.mandatory ? "EHOSTUNREACH" : "ok"
        else if (x!.live) {
          // Room: below the HWM, or one more after the pipe was handed over, unless it is over budget.
          const full = x === t && big && toTarget >= m.hwm + 1
          now = full && m.mandatory ? "wait" : "ok"
          dropped = full && !m.mandatory
          if (!full) x!.expect.push(tag)
        } else if (x!.deadQueue.length < m.hwm) {
          now = "ok"
          x!.deadQueue.push(tag)
        } else {
          now = m.mandatory ? "wait" : "ok"
          dropped = !m.mandatory
        }
        if (x === t) toTarget++
        const before = r.subject.statistics.messagesOut
        const frames = isBig ? bigBody(tag) : body(tag, 1)
        tracked.push(track(r.subject, [x?.id ?? "nobody", ...frames], tag))
        expect(r.subject.statistics.messagesOut - before, `${tag} to ${x?.id ?? "nobody"}: ${now === "ok" ? "accepted at once" : now === "wait" ? "waits its turn" : "rejected"}`).toBe(now === "ok" ? 1 : 0)
        if (x && x.kind === "con" && !x.live) expect(queueOf(r.subject, x.ep)!.out, `queue of away ${x.id}`).toBe(x.deadQueue.length)
        fate.push({ slot: x, tag, now, dropped })
      }
      if (t && t.kind === "con" && t.live && big) {
        expect(queueOf(r.subject, t.ep)!.out, `pipe to ${t.id} after the burst`).toBe(Math.min(toTarget, m.hwm + 1) - (toTarget > m.hwm ? 1 : 0))
      }
      await microtasks()
      fate.forEach((f, k) => {
        if (f.dropped) expect([undefined, "ok"], `${f.tag} (dropped) at once`).toContain(tracked[k]!.outcome)
        else expect(tracked[k]!.outcome, `${f.tag} at once`).toBe(f.now === "wait" ? undefined : f.now)
      })
      const waits = fate.filter((f) => f.now === "wait")
      if (waits.length > 0) {
        // The head waits for room at the target: from the peer coming back, or the transport draining.
        if (!t!.live) await peerUp(m, r, this.target)
        for (const f of waits) {
          // Its turn comes with the target connected and everything before it sent.
          if (!routable(f.slot)) f.now = "EHOSTUNREACH"
          else {
            f.now = "ok"
            f.slot!.expect.push(f.tag)
          }
        }
      }
      await settled(tracked)
      fate.forEach((f, k) => expect(tracked[k]!.outcome, `${f.tag} settles`).toBe(f.now))
    } finally {
      r.subject.sendTimeout = 0
    }
    if (big) {
      // The peer takes everything; then one small message, which the subject writes only once its
      // transport drained: from here on the pipe is as before the burst.
      await new PeerDrain(this.target).run(m, r)
      await new RouterSend(this.target, 1, 1).run(m, r)
      await new PeerDrain(this.target).run(m, r)
    }
  }
  toString = () =>
    `burst(${this.target < 0 ? "nobody" : this.target}, ${this.big ? "big" : "small"}, +${this.extra}, behind [${this.behind.join(",")}])`
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
    const id = msg[0]!.toString()
    const tag = whole(msg.slice(1))
    expect(m.forbidden.has(tag), `${tag} came from a peer ignored for a duplicate routing id`).toBe(false)
    const i = Number(/^in(\d+):/.exec(tag)![1])
    expect(id, "ROUTER prefixes the sender's routing id").toBe(m.slots[i]!.id)
    // An accepted peer's every connection has a pipe of its own; a connected one keeps one pipe.
    takeInbound(m.slots[i]!.inbound, tag, m.slots[i]!.kind === "acc" ? (x) => x.inc : undefined)
  }
  toString = () => "receive"
}

class PeerSend implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number, readonly frames: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    const tag = `in${this.slot}:${++s.sent}`
    await r.peers[this.slot]!.send(body(tag, this.frames))
    s.inbound.push({ tag, definite: true, inc: s.inc })
  }
  toString = () => `peer${this.slot}.send(${this.frames})`
}

class PeerDrain implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    const p = r.peers[this.slot]!
    for (const tag of s.expect) {
      const msg = await tryReceive(p, 3000)
      expect(msg, `${tag} routed to ${s.id} must arrive`).toBeDefined()
      // The routing id frame is consumed by the ROUTER: the DEALER sees the body only.
      expect(whole(msg!), `order at ${s.id}`).toBe(tag)
    }
    s.expect = []
    expect(await tryReceive(p, 20), `nothing dropped or misrouted reaches ${s.id}`).toBeUndefined()
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
    s.live = false
    for (const x of s.inbound) x.definite = false
    await waitForLeave(
      r.subject,
      () => r.subject.statistics.peers === liveCount(m) && (s.kind === "acc" || queueOf(r.subject, s.ep)?.connected === false),
      () => new SubjectReceive().run(m, r),
      `subject sees ${s.id} leave`,
    )
    // In flight to a closed connection: may be lost. Queued from now on (con): kept for the next one.
    s.expect = []
    s.deadQueue = []
    s.inc++
  }
  toString = () => `peer${this.slot}.close`
}

class PeerUp implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && !m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    await peerUp(m, r, this.slot)
  }
  toString = () => `peer${this.slot}.up`
}

/** A second peer with a routing id in use connects, sends, and leaves; the first keeps the id. */
class Duplicate implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && m.slots[this.slot]!.live && m.slots[this.slot]!.kind === "acc"
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    const dup = new Dealer({ routingId: s.id, linger: 0, reconnectInterval: 10 })
    r.all.add(dup as never)
    dup.connect(r.bound)
    await waitFor(() => r.subject.statistics.peers === liveCount(m) + 1 && dup.statistics.peers === 1, "duplicate joins")
    const tag = `in${this.slot}:dup${++m.seq}`
    m.forbidden.add(tag)
    await dup.send(body(tag, 1))
    // Sends to the id still reach the first peer.
    await new RouterSend(this.slot, 1, 1).run(m, r)
    expect(await tryReceive(dup, 30), "the ignored duplicate gets nothing").toBeUndefined()
    await new SubjectReceive().run(m, r)
    dup.close()
    await waitFor(() => r.subject.statistics.peers === liveCount(m), "duplicate leaves")
  }
  toString = () => `peer${this.slot}.duplicate`
}

class AddSlot implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: Kind, readonly live: boolean) {}
  check = (m: Readonly<Model>) => m.slots.length < 4
  async run(m: Model, r: Real): Promise<void> {
    const i = m.slots.length
    const ep = this.kind === "con" ? await freshEndpoint(r.t) : r.bound
    m.slots.push({ kind: this.kind, id: `${this.kind[0]}${i}`, ep, live: false, deadQueue: [], expect: [], inbound: [], inc: 0, sent: 0 })
    r.peers.push(undefined)
    if (this.kind === "con") r.subject.connect(ep, { routingId: `c${i}` })
    if (this.live) await peerUp(m, r, i)
  }
  toString = () => `add(${this.kind}, ${this.live ? "up" : "away"})`
}

async function finish(m: Model, r: Real): Promise<void> {
  for (let i = 0; i < m.slots.length; i++) {
    const s = m.slots[i]!
    if (!s.live && s.kind === "con") await peerUp(m, r, i)
    if (s.live) await new PeerDrain(i).run(m, r)
  }
  while (m.slots.some((s) => s.inbound.some((x) => x.definite))) await new SubjectReceive().run(m, r)
  await new SubjectReceive().run(m, r)
}

const slotArb = fc.integer({ min: -1, max: 3 })
const commands = fc.commands(
  [
    fc.tuple(slotArb, fc.integer({ min: 1, max: 3 })).map(([i, n]) => new RouterSend(i, n, 1)),
    fc.tuple(slotArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 7 })).map(([i, n, k]) => new RouterSend(i, n, k)),
    fc
      .tuple(slotArb, fc.boolean(), fc.integer({ min: 1, max: 12 }), fc.array(slotArb, { maxLength: 4 }))
      .map(([i, b, k, behind]) => new RouterBurst(i, b, k, behind)),
    fc.constant(new SubjectReceive()),
    fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 3 })).map(([i, n]) => new PeerSend(i, n)),
    fc.nat(3).map((i) => new PeerDrain(i)),
    fc.nat(3).map((i) => new PeerClose(i)),
    fc.nat(3).map((i) => new PeerUp(i)),
    fc.nat(3).map((i) => new Duplicate(i)),
    fc.tuple(fc.constantFrom<Kind>("acc", "con"), fc.boolean()).map(([k, b]) => new AddSlot(k, b)),
  ],
  { maxCommands: 30, size: "max" },
)

describe("ROUTER against a reference model", () => {
  itModel(
    "routes by id, prefixes ids, drops or rejects unroutable and full (mandatory), nothing lost or duplicated",
    fc.tuple(transportArb, fc.boolean(), hwmArb, hwmArb, fc.array(fc.tuple(fc.constantFrom<Kind>("acc", "con"), fc.boolean()), { minLength: 1, maxLength: 3 })),
    commands,
    ([t, mandatory, hwm, rcvHwm, initial]) => {
      const subject = new Router({
        mandatory,
        sendHighWaterMark: hwm,
        receiveHighWaterMark: rcvHwm,
        sendTimeout: 0,
        linger: 0,
        reconnectInterval: 10,
      })
      const r: Real = { t, subject, bound: "", peers: [], all: new Set([subject as never]) }
      const m: Model = { hwm, mandatory, slots: [], seq: 0, forbidden: new Set() }
      return {
        model: m,
        real: r,
        setup: async () => {
          await subject.bind(t === "tcp" ? "tcp://127.0.0.1:*" : await freshEndpoint("ipc"))
          r.bound = subject.lastEndpoint!
          for (const [k, up] of initial) await new AddSlot(k, up).run(m, r)
        },
        check: () => finish(m, r),
      }
    },
  )
})
