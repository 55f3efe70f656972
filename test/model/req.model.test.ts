/**
 * Model-based test of the REQ state machine (RFC 28 "The REQ Socket Type") against a small reference
 * model, with several REP and ROUTER peers that come and go.
 *
 * Topology: the REQ subject connects to 1..4 peer endpoints (REP or ROUTER peers bound there). With
 * ZMQ_IMMEDIATE off the pipe of a peer that is away stays in the round-robin and holds the request
 * until the peer is back (libzmq does the same).
 *
 * The model predicts:
 *  - lock-step: a second send before the reply, or a receive before any send, fails with EFSM and
 *    changes nothing ("SHALL NOT [...] send a request before receiving the reply" is libzmq's EFSM);
 *  - the envelope: a REP peer sees the request body only; a ROUTER peer sees [REQ id, "", ...body]
 *    ("SHALL prefix the outgoing message with an empty delimiter frame");
 *  - the reply is accepted only from the peer that was asked and only with the empty delimiter:
 *    a stray reply from another ROUTER peer, or a reply without delimiter, is silently discarded
 *    ("SHALL accept an incoming message only from the last peer that it sent a request to",
 *    "SHALL discard silently any messages received from other peers");
 *  - round-robin: requests cycle over all peers (all have room: at most one request is ever queued).
 *  - a request lost with a closed peer leaves the REQ waiting for ever (libzmq without
 *    ZMQ_REQ_RELAXED): receives time out, sends fail with EFSM.
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
  queueOf,
  receiveResult,
  sendResult,
  transportArb,
  tryReceive,
  waitFor,
  waitForLeave,
  whole,
  type Transport,
} from "./harness.js"

const REQ_ID = "Q"
type Kind = "rep" | "router"

interface Slot {
  kind: Kind
  ep: string
  live: boolean
}

interface Outstanding {
  tag: string
  frames: number
  dest: number
  /** queued: in the pipe of an away peer; peer: delivered; replied: the peer answered. */
  where: "queued" | "peer" | "replied"
  /** The peer holding it closed: no reply will come (or, if it had replied, maybe). */
  lost: boolean
}

interface Model {
  slots: Slot[]
  seq: number
  req: Outstanding | undefined
  sends: { tag: string; cand: number[]; dest: number | undefined }[]
}

interface Real {
  t: Transport
  subject: Request
  peers: (Reply | Router | undefined)[]
  all: Set<{ close(): void; closed: boolean }>
}

async function peerUp(m: Model, r: Real, i: number): Promise<void> {
  const s = m.slots[i]!
  const p = s.kind === "rep" ? new Reply({ linger: 0 }) : new Router({ linger: 0, mandatory: true })
  r.all.add(p as never)
  r.peers[i] = p
  await p.bind(s.ep)
  await waitFor(() => queueOf(r.subject, s.ep)?.connected === true && p.statistics.peers === 1, `peer ${i} joins`)
  s.live = true
  const q = m.req
  if (q && q.dest === i && q.where === "queued") q.where = "peer"
}

class ReqSend implements fc.AsyncCommand<Model, Real> {
  constructor(readonly frames: number) {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    const tag = `q${m.seq + 1}`
    const res = await sendResult(r.subject, body(tag, this.frames))
    if (m.req) {
      expect(res, "send before the reply: EFSM").toBe("EFSM")
      return
    }
    expect(res, "request accepted").toBe("ok")
    m.seq++
    // Where did it go? Exactly one peer: an away one holds it in its pipe, a connected one reads it.
    let dest = -1
    await waitFor(() => {
      const hits = m.slots.flatMap((s, i) =>
        (s.live ? (r.peers[i] as { readable: boolean }).readable : queueOf(r.subject, s.ep)!.out === 1) ? [i] : [],
      )
      expect(hits.length, "one request reaches one peer").toBeLessThanOrEqual(1)
      dest = hits[0] ?? -1
      return dest >= 0
    }, `locate ${tag}`)
    m.req = { tag, frames: this.frames, dest, where: m.slots[dest]!.live ? "peer" : "queued", lost: false }
    m.sends.push({ tag, cand: m.slots.map((_, i) => i), dest })
  }
  toString = () => `send(${this.frames})`
}

class ReqReceive implements fc.AsyncCommand<Model, Real> {
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    const q = m.req
    if (!q) {
      expect(await receiveResult(r.subject, 30), "receive before a request: EFSM").toBe("EFSM")
      return
    }
    if (q.where === "replied") {
      const msg = await tryReceive(r.subject, q.lost ? 100 : 3000)
      if (!msg && q.lost) return
      expect(msg, `reply to ${q.tag}`).toBeDefined()
      // The delimiter is stripped: the user sees the reply body only.
      expect(whole(msg!)).toBe(`r${q.tag}`)
      m.req = undefined
      return
    }
    expect(await tryReceive(r.subject, 30), "no reply yet (strays and bad replies are discarded)").toBeUndefined()
  }
  toString = () => "receive"
}

class PeerServe implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number, readonly bad: boolean) {}
  // A request lost with a closed connection never reaches the peer that comes back on that endpoint.
  check = (m: Readonly<Model>) => m.req?.dest === this.slot && m.req.where === "peer" && !m.req.lost && m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    const q = m.req!
    const s = m.slots[this.slot]!
    const p = r.peers[this.slot]!
    const msg = await tryReceive(p, 3000)
    expect(msg, `${q.tag} reaches peer ${this.slot}`).toBeDefined()
    if (s.kind === "rep") {
      // REP strips the envelope: the body only.
      expect(whole(msg!)).toBe(q.tag)
      await p.send(body(`r${q.tag}`, 2))
    } else {
      expect(msg![0]!.toString(), "ROUTER sees the REQ's id").toBe(REQ_ID)
      expect(msg![1]!.length, "then the empty delimiter").toBe(0)
      expect(whole(msg!.slice(2))).toBe(q.tag)
      if (this.bad) {
        // A reply without the delimiter is discarded by the REQ.
        await p.send([REQ_ID, ...body(`r${q.tag}`, 2)])
        await waitFor(() => queueOf(r.subject, s.ep)!.in >= 1, "bad reply arrives")
        expect(await tryReceive(r.subject, 30), "reply without delimiter discarded").toBeUndefined()
      }
      await p.send([REQ_ID, "", ...body(`r${q.tag}`, 2)])
    }
    q.where = "replied"
  }
  toString = () => `peer${this.slot}.serve${this.bad ? "(bad first)" : ""}`
}

class PeerStray implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) =>
    this.slot < m.slots.length &&
    m.slots[this.slot]!.kind === "router" &&
    m.slots[this.slot]!.live &&
    m.req !== undefined &&
    m.req.dest !== this.slot &&
    m.req.where !== "replied"
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    await r.peers[this.slot]!.send([REQ_ID, "", ...body(`stray${this.slot}`, 1)])
    await waitFor(() => queueOf(r.subject, s.ep)!.in >= 1, "stray arrives")
    expect(await tryReceive(r.subject, 30), "a reply from a peer not asked is discarded").toBeUndefined()
    expect(queueOf(r.subject, s.ep)!.in, "and consumed").toBe(0)
  }
  toString = () => `peer${this.slot}.stray`
}

class PeerClose implements fc.AsyncCommand<Model, Real> {
  constructor(readonly slot: number) {}
  check = (m: Readonly<Model>) => this.slot < m.slots.length && m.slots[this.slot]!.live
  async run(m: Model, r: Real): Promise<void> {
    const s = m.slots[this.slot]!
    r.peers[this.slot]!.close()
    r.peers[this.slot] = undefined
    await waitForLeave(
      r.subject,
      () => queueOf(r.subject, s.ep)?.connected === false,
      () => new ReqReceive().run(m, r),
      `subject sees peer ${this.slot} leave`,
    )
    s.live = false
    if (m.req?.dest === this.slot && m.req.where !== "queued") m.req.lost = true
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

class AddSlot implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: Kind, readonly live: boolean) {}
  check = (m: Readonly<Model>) => m.slots.length < 4
  async run(m: Model, r: Real): Promise<void> {
    const i = m.slots.length
    const ep = await freshEndpoint(r.t)
    m.slots.push({ kind: this.kind, ep, live: false })
    r.peers.push(undefined)
    r.subject.connect(ep)
    if (this.live) await peerUp(m, r, i)
  }
  toString = () => `add(${this.kind}, ${this.live ? "up" : "away"})`
}

const kindArb = fc.constantFrom<Kind>("rep", "router")
const commands = fc.commands(
  [
    fc.integer({ min: 1, max: 3 }).map((n) => new ReqSend(n)),
    fc.integer({ min: 1, max: 3 }).map((n) => new ReqSend(n)),
    fc.constant(new ReqReceive()),
    fc.constant(new ReqReceive()),
    fc.tuple(fc.nat(3), fc.boolean()).map(([i, b]) => new PeerServe(i, b)),
    fc.tuple(fc.nat(3), fc.boolean()).map(([i, b]) => new PeerServe(i, b)),
    fc.nat(3).map((i) => new PeerStray(i)),
    fc.nat(3).map((i) => new PeerClose(i)),
    fc.nat(3).map((i) => new PeerUp(i)),
    fc.tuple(kindArb, fc.boolean()).map(([k, b]) => new AddSlot(k, b)),
  ],
  { maxCommands: 30, size: "max" },
)

describe("REQ against a reference model", () => {
  itModel(
    "lock-step, envelope, replies only from the peer asked, round-robin over peers",
    fc.tuple(transportArb, hwmArb, hwmArb, fc.array(fc.tuple(kindArb, fc.boolean()), { minLength: 1, maxLength: 3 })),
    commands,
    ([t, hwm, rcvHwm, initial]) => {
      const subject = new Request({
        routingId: REQ_ID,
        sendHighWaterMark: hwm,
        receiveHighWaterMark: rcvHwm,
        sendTimeout: 0,
        linger: 0,
        reconnectInterval: 10,
      })
      const r: Real = { t, subject, peers: [], all: new Set([subject as never]) }
      const m: Model = { slots: [], seq: 0, req: undefined, sends: [] }
      return {
        model: m,
        real: r,
        setup: async () => {
          for (const [k, up] of initial) await new AddSlot(k, up).run(m, r)
        },
        check: () => checkRoundRobin(m.sends),
      }
    },
  )
})
