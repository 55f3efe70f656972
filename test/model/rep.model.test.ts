/**
 * Model-based test of the REP state machine (RFC 28 "The REP Socket Type") against a small reference
 * model, with several REQ and DEALER peers that connect to it and leave.
 *
 * The model predicts:
 *  - EFSM rules: a send before a request was received, or a second receive before the reply, fails
 *    with EFSM and changes nothing (libzmq's REP state machine);
 *  - fair-queued input: every well-formed request a peer sends is received once, whole, in that
 *    peer's order ("SHALL receive incoming messages from its peers using a fair-queuing strategy");
 *  - envelope restore: the reply goes to the peer that asked, with the envelope of its request
 *    ("SHALL [...] prepend the saved envelope"): a DEALER sending ["", body] gets ["", reply]; with
 *    an extra hop ["h", "", body] it gets ["h", "", reply]; a REQ peer gets the reply body;
 *  - a request without an empty delimiter is discarded ("SHALL silently discard [...] malformed");
 *  - a reply to a peer that has left is dropped; nothing reaches another peer.
 * The subject binds; peers connect, so a peer leaving removes its pipe (the accept-side path).
 *
 * Bursts ({@link ReplyBurst}) answer every request the subject holds without awaiting the replies,
 * past the send HWM of one peer whose transport is over its budget: a reply that finds that pipe full
 * is dropped, exactly those, as libzmq's REP does (issue 14).
 */
import * as fc from "fast-check"
import { describe, expect } from "vitest"
import { Dealer, Reply, Request } from "../../src/index.js"
import {
  bigBody,
  body,
  freshEndpoint,
  hwmArb,
  itModel,
  microtasks,
  receiveResult,
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
} from "./harness.js"

type Kind = "req" | "dealer"

interface Slot {
  kind: Kind
  live: boolean
  /** Incarnation: bumped when the peer leaves, so a reply to an old request is known to be dropped. */
  inc: number
  sent: number
  /** REQ peers: a request is outstanding. */
  awaiting: boolean
  inbound: { tag: string; env: string[]; inc: number; definite: boolean }[]
  replies: { tag: string; env: string[] }[]
}

interface Model {
  hwm: number
  rcvHwm: number
  slots: Slot[]
  /** Connected slots in the order they joined: the order of the subject's pipes in its statistics. */
  joinOrder: number[]
  holding: { slot: number; tag: string; env: string[]; inc: number } | undefined
  forbidden: Set<string>
}

interface Real {
  subject: Reply
  bound: string
  peers: (Request | Dealer | undefined)[]
  all: Set<{ close(): void; closed: boolean }>
}

const liveCount = (m: Model) => m.slots.filter((s) => s.live).length

async function peerUp(m: Model, r: Real, i: number): Promise<void> {
  const s = m.slots[i]!
  const p = s.kind === "req" ? new Request({ linger: 0, reconnectInterval: 10 }) : new Dealer({ linger: 0, reconnectInterval: 10 })
  r.all.add(p as never)
  r.peers[i] = p
  p.connect(r.bound)
  s.live = true
  await waitFor(() => r.subject.statistics.peers === liveCount(m) && p.statistics.peers === 1, `peer ${i} joins`)
  m.joinOrder.push(i)
}

/** The subject's pipe to connected slot `i`, from its statistics (pipes are listed in join order). */
function pipeOf(m: Model, r: Real, i: number) {
  const q = r.subject.statistics.queues
  expect(q.length, "one pipe per connected peer").toBe(m.joinOrder.length)
  return q[m.joinOrder.indexOf(i)]!
}

class PeerRequest implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number, readonly frames: number, readonly shape: "plain" | "hop" | "malformed") {}
  check = (m: Readonly<Model>) => {
    const s = m.slots[this.slot]
    return s !== undefined && s.live && !(s.kind === "req" && s.awaiting)
  }
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    const tag = `in${this.slot}:${++s.sent}`
    const b = body(tag, this.frames)
    const p = r.peers[this.slot]!
    if (s.kind === "req") {
      // REQ adds the delimiter itself.
      await p.send(b)
      s.awaiting = true
      s.inbound.push({ tag, env: [], inc: s.inc, definite: true })
    } else if (this.shape === "malformed") {
      await p.send(b)
      m.forbidden.add(tag)
    } else {
      const env = this.shape === "hop" ? [`h${tag}`, ""] : [""]
      await p.send([...env, ...b])
      s.inbound.push({ tag, env, inc: s.inc, definite: true })
    }
  }
  toString = () => `peer${this.slot}.request(${this.frames}, ${this.shape})`
}

class RepReceive implements fc.AsyncCommand<Model, Real> {
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    if (m.holding) {
      expect(await receiveResult(r.subject, 30), "second receive before the reply: EFSM").toBe("EFSM")
      return
    }
    const definite = m.slots.some((s) => s.inbound.some((x) => x.definite))
    const msg = await tryReceive(r.subject, definite ? 3000 : 30)
    if (!msg) {
      expect(definite, "a request a connected peer sent must arrive").toBe(false)
      return
    }
    // The envelope is kept by the REP: the user sees the body only.
    const tag = whole(msg)
    expect(m.forbidden.has(tag), `${tag} had no delimiter and must be discarded`).toBe(false)
    const i = Number(/^in(\d+):/.exec(tag)![1])
    const x = takeInbound(m.slots[i]!.inbound, tag, (y) => y.inc)
    m.holding = { slot: i, tag, env: x.env, inc: x.inc }
  }
  toString = () => "receive"
}

class RepSend implements fc.AsyncCommand<Model, Real> {
  constructor(readonly frames: number) {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    const h = m.holding
    const res = await sendResult(r.subject, body(`r${h?.tag ?? "none"}`, this.frames))
    if (!h) {
      expect(res, "reply before a request: EFSM").toBe("EFSM")
      return
    }
    expect(res).toBe("ok")
    m.holding = undefined
    const s = m.slots[h.slot]!
    // Only the connection that asked gets it; if it left, the reply is dropped.
    if (s.live && s.inc === h.inc) s.replies.push({ tag: `r${h.tag}`, env: h.env })
  }
  toString = () => `reply(${this.frames})`
}

/**
 * Replies sent without awaiting them (issue 14). Every connected peer first sends requests (a REQ
 * one if it may, a DEALER two, or `k` for the flooded one) and the subject's queues take them (up to
 * the receive HWM); then in one synchronous stretch the subject takes every request it holds and
 * answers each at once, so that replies to one peer go past the send HWM. A
 * REP's send never waits: a reply whose peer pipe is full is dropped, as libzmq's REP (a ROUTER
 * underneath) drops it. With `flood` a connected DEALER peer first sends `k` requests, and the
 * replies to it are big (harness BIG, more than the write budget): its pipe takes HWM replies, is
 * handed to the transport at the next one (which takes one reply and is then over budget), so that
 * one is queued too, and every later reply to that peer in the stretch is dropped. Replies to other
 * peers are small and always go out (a full pipe is handed to the transport first); a reply to a
 * peer that left is dropped. No event loop turn happens in the stretch, so nothing drains meanwhile.
 * Every promise settles as accepted; afterwards the flooded peer reads exactly the replies kept, and
 * leaves (its connection's transport state is then no longer known).
 */
class ReplyBurst implements fc.AsyncCommand<Model, Real> {
  constructor(readonly flood: number, readonly k: number) {}
  check = (m: Readonly<Model>) => m.holding === undefined
  async run(m: Model, r: Real): Promise<void> {
    // The flooded peer: the first connected DEALER from slot `flood` on, if any.
    const n = m.slots.length
    let f = -1
    for (let d = 0; this.flood >= 0 && d < n && f < 0; d++) {
      const s = m.slots[(this.flood + d) % n]!
      if (s.live && s.kind === "dealer") f = (this.flood + d) % n
    }
    for (const i of [...m.joinOrder]) {
      const s = m.slots[i]!
      // A REQ peer takes the reply it is due before it may ask again.
      if (s.kind === "req" && s.awaiting && s.replies.length > 0) await new PeerReceive(i).run(m, r)
      const count = i === f ? this.k : s.kind === "req" ? (s.awaiting ? 0 : 1) : 2
      for (let k = 0; k < count; k++) await new PeerRequest(i, 1, "plain").run(m, r)
    }
    // Let the requests fill the subject's queue from each peer (up to the receive HWM).
    const want = (i: number) => Math.min(m.rcvHwm, m.slots[i]!.inbound.filter((x) => x.definite).length)
    await waitFor(() => m.joinOrder.every((i) => pipeOf(m, r, i).in >= want(i)), "requests queued")
    // From a turn of the event loop: every pipe was handed to its transport, none is over budget.
    await new Promise((res) => setImmediate(res))
    const tracked: Tracked[] = []
    let toFlood = 0
    while (r.subject.readable) {
      const msg = await tryReceive(r.subject, 1000)
      expect(msg, "readable: a request is there at once").toBeDefined()
      const tag = whole(msg!)
      expect(m.forbidden.has(tag), `${tag} had no delimiter and must be discarded`).toBe(false)
      const i = Number(/^in(\d+):/.exec(tag)![1])
      const x = takeInbound(m.slots[i]!.inbound, tag, (y) => y.inc)
      const s = m.slots[i]!
      const current = s.live && s.inc === x.inc
      let kept = current
      if (i === f && current) {
        toFlood++
        kept = toFlood <= m.hwm + 1
      }
      const reply = `r${tag}`
      tracked.push(track(r.subject, i === f ? bigBody(reply) : body(reply, 1), reply))
      if (kept) s.replies.push({ tag: reply, env: x.env })
    }
    if (f >= 0) expect(pipeOf(m, r, f).out, `pipe to peer ${f} after ${toFlood} replies`).toBe(Math.min(toFlood, m.hwm))
    await microtasks()
    for (const t of tracked) expect(t.outcome, `${t.tag}: a REP's send is accepted at once`).toBe("ok")
    await settled(tracked)
    if (f >= 0) {
      await new PeerReceive(f).run(m, r)
      await new PeerClose(f).run(m, r)
    }
  }
  toString = () => `replyBurst(${this.flood >= 0 ? `flood from ${this.flood}, ${this.k} requests` : "small"})`
}

class PeerReceive implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => {
    const s = m.slots[this.slot]
    return s !== undefined && s.live && (s.kind === "dealer" || s.awaiting)
  }
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    const p = r.peers[this.slot]!
    for (const rep of s.replies) {
      const msg = await tryReceive(p, 3000)
      expect(msg, `${rep.tag} reaches peer ${this.slot}`).toBeDefined()
      if (s.kind === "req") {
        expect(whole(msg!)).toBe(rep.tag)
        s.awaiting = false
      } else {
        // The saved envelope is restored in front of the reply.
        expect(msg!.slice(0, rep.env.length).map(String), "envelope restored").toEqual(rep.env)
        expect(whole(msg!.slice(rep.env.length))).toBe(rep.tag)
      }
    }
    s.replies = []
    if (s.kind === "dealer" || s.awaiting) expect(await tryReceive(p, 20), "nothing else reaches this peer").toBeUndefined()
  }
  toString = () => `peer${this.slot}.receive`
}

class PeerClose implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => m.slots[this.slot]?.live === true
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    r.peers[this.slot]!.close()
    r.peers[this.slot] = undefined
    s.live = false
    // Requests already in the subject's queue may still be read; ones in flight are lost.
    for (const x of s.inbound) x.definite = false
    await waitForLeave(
      r.subject,
      () => r.subject.statistics.peers === liveCount(m),
      async () => {
        // REP is lock-step: answer what it holds, take the next request, answer that too.
        if (m.holding) await new RepSend(1).run(m, r)
        await new RepReceive().run(m, r)
        if (m.holding) await new RepSend(1).run(m, r)
      },
      `subject sees peer ${this.slot} leave`,
    )
    m.joinOrder.splice(m.joinOrder.indexOf(this.slot), 1)
    s.inc++
    s.awaiting = false
    s.replies = []
  }
  toString = () => `peer${this.slot}.close`
}

class PeerUp implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => m.slots[this.slot]?.live === false
  async run(m: Model, r: Real): Promise<void> {
    await peerUp(m, r, this.slot)
  }
  toString = () => `peer${this.slot}.up`
}

class AddSlot implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: Kind) {}
  check = (m: Readonly<Model>) => m.slots.length < 4
  async run(m: Model, r: Real): Promise<void> {
    m.slots.push({ kind: this.kind, live: false, inc: 0, sent: 0, awaiting: false, inbound: [], replies: [] })
    r.peers.push(undefined)
    await peerUp(m, r, m.slots.length - 1)
  }
  toString = () => `add(${this.kind})`
}

async function finish(m: Model, r: Real): Promise<void> {
  // Serve every request still expected, then every peer must get exactly its replies.
  for (;;) {
    if (m.holding) await new RepSend(1).run(m, r)
    if (!m.slots.some((s) => s.inbound.some((x) => x.definite))) break
    await new RepReceive().run(m, r)
  }
  for (let i = 0; i < m.slots.length; i++) if (new PeerReceive(i).check(m)) await new PeerReceive(i).run(m, r)
}

const kindArb = fc.constantFrom<Kind>("req", "dealer")
const shapeArb = fc.constantFrom<"plain" | "hop" | "malformed">("plain", "plain", "hop", "malformed")
const commands = fc.commands(
  [
    fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 3 }), shapeArb).map(([i, n, sh]) => new PeerRequest(i, n, sh)),
    fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 3 }), shapeArb).map(([i, n, sh]) => new PeerRequest(i, n, sh)),
    fc.constant(new RepReceive()),
    fc.constant(new RepReceive()),
    fc.integer({ min: 1, max: 3 }).map((n) => new RepSend(n)),
    fc.integer({ min: 1, max: 3 }).map((n) => new RepSend(n)),
    fc.tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: 1, max: 10 })).map(([i, k]) => new ReplyBurst(i, k)),
    fc.tuple(fc.integer({ min: -1, max: 3 }), fc.integer({ min: 1, max: 10 })).map(([i, k]) => new ReplyBurst(i, k)),
    fc.nat(3).map((i) => new PeerReceive(i)),
    fc.nat(3).map((i) => new PeerClose(i)),
    fc.nat(3).map((i) => new PeerUp(i)),
    kindArb.map((k) => new AddSlot(k)),
  ],
  { maxCommands: 30, size: "max" },
)

describe("REP against a reference model", () => {
  itModel(
    "EFSM rules, fair-queued requests, envelope restored to the asking peer, malformed discarded",
    // A receive HWM up to 8, so that the subject can hold more requests from one peer than the
    // send HWM plus one and a burst of replies to it reaches the drop.
    fc.tuple(transportArb, hwmArb, fc.integer({ min: 1, max: 8 }), fc.array(kindArb, { minLength: 1, maxLength: 3 })),
    commands,
    ([t, hwm, rcvHwm, initial]) => {
      const subject = new Reply({ sendHighWaterMark: hwm, receiveHighWaterMark: rcvHwm, linger: 0 })
      const r: Real = { subject, bound: "", peers: [], all: new Set([subject as never]) }
      const m: Model = { hwm, rcvHwm, slots: [], joinOrder: [], holding: undefined, forbidden: new Set() }
      return {
        model: m,
        real: r,
        setup: async () => {
          await subject.bind(t === "tcp" ? "tcp://127.0.0.1:*" : await freshEndpoint("ipc"))
          r.bound = subject.lastEndpoint!
          for (const k of initial) await new AddSlot(k).run(m, r)
        },
        check: () => finish(m, r),
      }
    },
  )
})
