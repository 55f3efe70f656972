/**
 * Model-based test of publish-subscribe (RFC 29) with one PUB and 1..3 SUBs: subscribe and
 * unsubscribe (counted), publish bursts of multipart messages past small high-water marks, partial
 * reads, subscriber reconnects (a new connection) and publisher restarts (every subscriber
 * reconnects on the pipe it kept).
 *
 * The property: each subscriber receives exactly the published messages that matched its
 * subscriptions when they were published and still match when read (SUB filters locally), each
 * whole, once, in order per connection, and a message is missing only if it may have met a full
 * queue: when it was published, the subscriber's backlog (messages sent its way since the
 * publisher last knew its path empty) had reached the PUB's send high-water mark, or a connection
 * it may have been on went away.
 *
 * "At the time" is made exact with probes: after a change, subscriber k subscribes to a fresh topic
 * "!k#<n>:" and the test publishes "!k#<n>:<seq>" until k receives one, then k drops that topic. The
 * PUB applies a peer's subscriptions in order, so at that point it applies all of k's earlier ones,
 * and everything published to k before that probe has arrived or was dropped: the model's backlog
 * restarts at the probes sent after it. Data topics never start with "!", but a subscription to ""
 * matches probes too; they count in the backlog like any message and are otherwise ignored.
 */
import * as fc from "fast-check"
import { describe, expect } from "vitest"
import { Publisher, Subscriber } from "../../src/index.js"
import { body, freshEndpoint, hwmArb, itModel, takeInbound, transportArb, tryReceive, whole, type Transport } from "./harness.js"

const TOPICS = ["", "a", "ab", "b"] as const
const FIRSTS = ["a", "ab", "abc", "b", "ba", "c"] as const

interface Expected {
  tag: string
  seq: number
  first: string
  definite: boolean
  /** The connection (epoch of the subscriber's pipe) it was sent on. */
  conn: number
}

interface SubModel {
  subs: Map<string, number>
  expected: Expected[]
  /** seqs of every message (probes included) sent this subscriber's way since the path was last known empty. */
  backlog: number[]
  epoch: number
  received: Set<string>
}

interface Model {
  sndHwm: number
  rcvHwm: number
  seq: number
  syncs: number
  subs: SubModel[]
}

interface Real {
  t: Transport
  ep: string
  pub: Publisher
  subs: Subscriber[]
  all: Set<{ close(): void; closed: boolean }>
}

function matches(subs: Map<string, number>, first: string): boolean {
  for (const [t, n] of subs) if (n > 0 && first.startsWith(t)) return true
  return false
}

/** The publisher side of a send: who matches, and how it weighs in each backlog. */
function published(m: Model, first: string, tag: string | undefined): number {
  const seq = ++m.seq
  m.subs.forEach((s, k) => {
    const probeFor = first.startsWith(`!${k}#`)
    if (!probeFor && !matches(s.subs, first)) return
    if (tag !== undefined) s.expected.push({ tag, seq, first, definite: s.backlog.length < m.sndHwm, conn: s.epoch })
    s.backlog.push(seq)
  })
  return seq
}

/** Checks one message subscriber k received; returns the probe's seq if it is the probe `probe` stands for. */
function received(m: Model, k: number, frames: Buffer[], probe?: string): number | undefined {
  const s = m.subs[k]!
  const first = frames[0]!.toString()
  if (first.startsWith("!")) {
    expect(frames.length, "probes are one frame").toBe(1)
    return probe !== undefined && first.startsWith(probe) ? Number(first.slice(probe.length)) : undefined
  }
  const tag = whole(frames)
  expect(s.received.has(tag), `${tag} delivered twice to subscriber ${k}`).toBe(false)
  s.received.add(tag)
  expect(matches(s.subs, first), `${tag} delivered to subscriber ${k} although it matches none of its subscriptions now`).toBe(true)
  // Anything of the same connection before it was lost or filtered out: allowed only if it may
  // have met a full queue, or does not match now (SUB filters on read).
  const skippedOk = s.expected.map((e) => ({ ...e, definite: e.definite && matches(s.subs, e.first) }))
  const x = takeInbound(skippedOk, tag, (e) => e.conn)
  s.expected = s.expected.filter((e) => skippedOk.some((o) => o.tag === e.tag))
  expect(x.tag).toBe(tag)
  return undefined
}

/** Publishes probes to k until one arrives; checks what k reads meanwhile; then k's path is known empty. */
async function sync(m: Model, r: Real, k: number): Promise<void> {
  const s = m.subs[k]!
  const probe = `!${k}#${++m.syncs}:`
  r.subs[k]!.subscribe(probe)
  for (let attempt = 0; ; attempt++) {
    expect(attempt, `subscriber ${k}: no probe arrived`).toBeLessThan(400)
    const tag = `${probe}${m.seq + 1}`
    published(m, tag, undefined)
    await r.pub.send(tag)
    let got: number | undefined
    for (;;) {
      const f = await tryReceive(r.subs[k]!, 20)
      if (!f) break
      got = received(m, k, f, probe) ?? got
      if (got !== undefined) break
    }
    if (got === undefined) continue
    r.subs[k]!.unsubscribe(probe)
    // Everything sent k's way before the probe arrived or was lost: what was definite and still
    // wanted must have arrived.
    for (const e of s.expected) {
      if (e.seq < got && e.conn === s.epoch) {
        expect(!e.definite || !matches(s.subs, e.first), `${e.tag} never reached subscriber ${k}`).toBe(true)
      }
    }
    s.expected = s.expected.filter((e) => e.seq > got! || e.conn !== s.epoch)
    s.backlog = s.backlog.filter((q) => q > got!)
    return
  }
}

class Subscribe implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: number, readonly topic: string, readonly add: boolean) {}
  check = (m: Readonly<Model>) => this.k < m.subs.length
  async run(m: Model, r: Real): Promise<void> {
    const s = m.subs[this.k]!
    const n = s.subs.get(this.topic) ?? 0
    if (this.add) {
      r.subs[this.k]!.subscribe(this.topic)
      s.subs.set(this.topic, n + 1)
    } else {
      r.subs[this.k]!.unsubscribe(this.topic)
      if (n > 1) s.subs.set(this.topic, n - 1)
      else s.subs.delete(this.topic)
    }
    await sync(m, r, this.k)
  }
  toString = () => `${this.add ? "sub" : "unsub"}(${this.k}, ${JSON.stringify(this.topic)})`
}

class Publish implements fc.AsyncCommand<Model, Real> {
  constructor(readonly msgs: { first: string; frames: number }[]) {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    for (const { first, frames } of this.msgs) {
      const tag = `${first}#${m.seq + 1}`
      published(m, first, tag)
      // A PUB never waits (RFC 29 "SHALL NOT block on sending"): every send resolves.
      await r.pub.send(body(tag, frames))
    }
  }
  toString = () => `publish(${this.msgs.map((x) => `${x.first}/${x.frames}`).join(" ")})`
}

class Read implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: number, readonly n: number) {}
  check = (m: Readonly<Model>) => this.k < m.subs.length
  async run(m: Model, r: Real): Promise<void> {
    for (let i = 0; i < this.n; i++) {
      const f = await tryReceive(r.subs[this.k]!, 15)
      if (!f) return
      received(m, this.k, f)
    }
  }
  toString = () => `read(${this.k}, ${this.n})`
}

class Drain implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: number) {}
  check = (m: Readonly<Model>) => this.k < m.subs.length
  run = (m: Model, r: Real) => sync(m, r, this.k)
  toString = () => `drain(${this.k})`
}

/** The subscriber drops its connection and connects again (a new pipe at both ends). */
class ReconnectSub implements fc.AsyncCommand<Model, Real> {
  constructor(readonly k: number) {}
  check = (m: Readonly<Model>) => this.k < m.subs.length
  async run(m: Model, r: Real): Promise<void> {
    const s = m.subs[this.k]!
    r.subs[this.k]!.disconnect(r.ep)
    // What was on the way may be lost; what the old pipe holds stays readable, fair-queued with
    // the new connection's messages (order holds per connection).
    for (const e of s.expected) e.definite = false
    s.epoch++
    s.backlog = []
    r.subs[this.k]!.connect(r.ep)
    await sync(m, r, this.k)
  }
  toString = () => `reconnect(${this.k})`
}

/** The publisher unbinds and binds again: every subscriber reconnects, keeping its pipe and resending its subscriptions. */
class RestartPub implements fc.AsyncCommand<Model, Real> {
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    await r.pub.unbind(r.ep)
    for (const s of m.subs) {
      for (const e of s.expected) e.definite = false
      s.backlog = []
    }
    await bindAgain(r)
    for (let k = 0; k < m.subs.length; k++) await sync(m, r, k)
  }
  toString = () => "restartPub"
}

async function bindAgain(r: Real): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await r.pub.bind(r.ep)
      return
    } catch (e) {
      if ((e as { code?: string }).code !== "EADDRINUSE" || i > 50) throw e
      await new Promise((res) => setTimeout(res, 20))
    }
  }
}

const topicArb = fc.constantFrom(...TOPICS)
const kArb = fc.integer({ min: 0, max: 2 })
const subscribeArb = fc.tuple(kArb, topicArb, fc.boolean()).map(([k, t, add]) => new Subscribe(k, t, add))
const commands = fc.commands(
  [
    // Subscription changes weigh three times: counted subscriptions and local filtering need
    // several of them on one subscriber with messages in between.
    subscribeArb,
    subscribeArb,
    subscribeArb,
    fc
      .array(fc.record({ first: fc.constantFrom(...FIRSTS), frames: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 12 })
      .map((msgs) => new Publish(msgs)),
    fc.tuple(kArb, fc.integer({ min: 1, max: 6 })).map(([k, n]) => new Read(k, n)),
    kArb.map((k) => new Drain(k)),
    kArb.map((k) => new ReconnectSub(k)),
    fc.constant(new RestartPub()),
  ],
  { maxCommands: 25 },
)

describe("PUB/SUB model (RFC 29)", () => {
  const params = fc.record({ t: transportArb, n: fc.integer({ min: 1, max: 3 }), sndHwm: hwmArb, rcvHwm: hwmArb, initial: fc.array(topicArb, { maxLength: 2 }) })
  itModel("subscribers receive exactly what matched their subscriptions, in order, losing only past a full queue", params, commands, (p) => {
    const model: Model = { sndHwm: p.sndHwm, rcvHwm: p.rcvHwm, seq: 0, syncs: 0, subs: [] }
    const real = { t: p.t, ep: "", subs: [] as Subscriber[], all: new Set() } as unknown as Real
    return {
      model,
      real,
      async setup() {
        real.ep = await freshEndpoint(p.t)
        real.pub = new Publisher({ sendHighWaterMark: p.sndHwm, linger: 0 })
        real.all.add(real.pub)
        await real.pub.bind(real.ep)
        for (let k = 0; k < p.n; k++) {
          const sub = new Subscriber({ receiveHighWaterMark: p.rcvHwm, reconnectInterval: 10 })
          real.all.add(sub)
          real.subs.push(sub)
          const s: SubModel = { subs: new Map(), expected: [], backlog: [], epoch: 0, received: new Set() }
          for (const t of p.initial) {
            sub.subscribe(t)
            s.subs.set(t, (s.subs.get(t) ?? 0) + 1)
          }
          model.subs.push(s)
          sub.connect(real.ep)
        }
        for (let k = 0; k < p.n; k++) await sync(model, real, k)
      },
      async check() {
        for (let k = 0; k < p.n; k++) await sync(model, real, k)
      },
    }
  })
})
