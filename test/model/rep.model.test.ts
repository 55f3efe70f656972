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
 */
import * as fc from "fast-check"
import { describe, expect } from "vitest"
import { Dealer, Reply, Request } from "../../src/index.js"
import {
  body,
  freshEndpoint,
  hwmArb,
  itModel,
  receiveResult,
  sendResult,
  takeInbound,
  transportArb,
  tryReceive,
  waitFor,
  waitForLeave,
  whole,
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
  slots: Slot[]
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
    const x = takeInbound(m.slots[i]!.inbound, tag)
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
    fc.tuple(transportArb, hwmArb, hwmArb, fc.array(kindArb, { minLength: 1, maxLength: 3 })),
    commands,
    ([t, hwm, rcvHwm, initial]) => {
      const subject = new Reply({ sendHighWaterMark: hwm, receiveHighWaterMark: rcvHwm, linger: 0 })
      const r: Real = { subject, bound: "", peers: [], all: new Set([subject as never]) }
      const m: Model = { slots: [], holding: undefined, forbidden: new Set() }
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
