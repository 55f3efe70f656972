/**
 * Helpers of the RFC 29 suites (pub.test.ts, sub.test.ts, xpub.test.ts, xsub.test.ts): loosely typed
 * views of the four pub-sub classes (the shared helpers in subjects.ts are typed for the RFC 28
 * ones), and the waits that stand in for libzmq's SETTLE_TIME sleeps.
 *
 * Subscriptions travel asynchronously, so a test first waits until they have taken effect:
 *  - {@link syncSub}: the subscriber also subscribes to a fresh "!sync<n>:", the publisher sends it
 *    until one arrives, then the subscriber drops it again. The publisher applies a peer's
 *    subscriptions in the order they were sent, so everything subscribed before is in effect. A SUB
 *    filters locally (late "!sync" messages are never delivered after its unsubscribe); an XSUB does
 *    not, so its receives go through {@link recvData}, which skips them.
 *  - an XPUB's application sees the subscription message itself ({@link recvStrs} on it).
 */
import { codeOf, recv, recvWithin, type AnySocket, type Ctx, type Transport } from "./subjects.js"

/** A pub-sub socket as these tests use it (each class has only some of these members). */
export interface PS {
  bind(ep: string): Promise<void>
  connect(ep: string): void
  close(): void
  send(m: unknown): Promise<void>
  receive(): Promise<Buffer[]>
  subscribe(...p: (string | Buffer)[]): void
  unsubscribe(...p: (string | Buffer)[]): void
  readonly lastEndpoint: string | null
  readonly closed: boolean
  readonly writable: boolean
  readonly readable: boolean
  linger: number
  sendTimeout: number
  receiveTimeout: number
  sendHighWaterMark: number
  receiveHighWaterMark: number
  [k: string]: unknown
}

type Kind = "Publisher" | "Subscriber" | "XPublisher" | "XSubscriber"

/** A new tracked socket of the subject's library. */
export function make(ctx: Ctx, kind: Kind, opts: Record<string, unknown> = {}): PS {
  const Ctor = (ctx.zmq as unknown as Record<Kind, new (o: Record<string, unknown>) => PS>)[kind]
  return ctx.track(new Ctor(opts)) as PS
}

/** Binds on a fresh endpoint of `transport` and returns it. */
export function bind(ctx: Ctx, s: PS, transport: Transport): Promise<string> {
  return ctx.bindFresh(s as unknown as AnySocket, transport)
}

const A = (s: PS) => s as unknown as AnySocket

/** One message that must arrive within `ms`, as strings (latin1, so binary octets survive). */
export async function recvStrs(s: PS, ms = 3000): Promise<string[]> {
  return (await recv(A(s), ms)).map((f) => f.toString("latin1"))
}

/** The next message that is not a "!sync" probe, or undefined if none arrives within `ms`. */
export async function recvData(s: PS, ms = 3000): Promise<string[] | undefined> {
  const end = Date.now() + ms
  for (;;) {
    const m = await recvWithin(A(s), Math.max(0, end - Date.now()))
    if (!m) return undefined
    const strs = m.map((f) => f.toString("latin1"))
    if (!strs[0]!.startsWith("!sync")) return strs
  }
}

/** Every non-probe message that arrives until `ms` pass without one. */
export async function drain(s: PS, ms = 100): Promise<string[][]> {
  const out: string[][] = []
  for (;;) {
    const m = await recvData(s, ms)
    if (!m) return out
    out.push(m)
  }
}

/** True when no non-probe message arrives within `ms`. */
export async function nothing(s: PS, ms = 100): Promise<boolean> {
  return (await recvData(s, ms)) === undefined
}

/** Sends with a send timeout of `ms`; undefined on success, else the error code. */
export async function trySendPS(s: PS, m: unknown, ms = 0): Promise<string | undefined> {
  const saved = s.sendTimeout
  s.sendTimeout = ms
  try {
    await s.send(m)
    return undefined
  } catch (e) {
    return codeOf(e) ?? String(e)
  } finally {
    if (!s.closed) s.sendTimeout = saved
  }
}

/**
 * ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE on an XPUB in manual mode: zmtp's XPublisher.subscribe(); zeromq.js
 * has no method for it, so its (undocumented) native setStringOption is used.
 */
export function manualSubscribe(ctx: Ctx, xpub: PS, topic: string, unsubscribe = false): void {
  if (ctx.name === "zmtp") {
    if (unsubscribe) xpub.unsubscribe(topic)
    else xpub.subscribe(topic)
    return
  }
  const set = (xpub as unknown as { setStringOption(id: number, v: string | null): void }).setStringOption
  set.call(xpub, unsubscribe ? 7 : 6, topic === "" ? null : topic)
}

let syncCounter = 0

/**
 * Waits until what `sub` subscribed so far is in effect at `pub` (see the file header). `sub` is a
 * SUB (subscribe()) or an XSUB (0x01 / 0x00 messages); `pub` a PUB or an XPUB.
 */
export async function syncSub(pub: PS, sub: PS, ms = 5000): Promise<void> {
  // A fresh topic each time: a subscription the publisher already holds (an earlier probe's, whose
  // cancellation may still be on its way) would prove nothing about what was sent since.
  const topic = `!sync${++syncCounter}:`
  const xsub = typeof sub.subscribe !== "function"
  const on = () => (xsub ? sub.send(Buffer.from(`\x01${topic}`, "latin1")) : (sub.subscribe(topic), Promise.resolve()))
  const off = () => (xsub ? sub.send(Buffer.from(`\x00${topic}`, "latin1")) : (sub.unsubscribe(topic), Promise.resolve()))
  await on()
  const end = Date.now() + ms
  try {
    for (;;) {
      if (Date.now() > end) throw new Error(`subscriptions not in effect within ${ms} ms`)
      await pub.send(topic)
      const m = await recvWithin(A(sub), 20)
      if (m && m[0]!.toString("latin1") === topic) return
      if (m && !m[0]!.toString("latin1").startsWith("!sync")) throw new Error(`unexpected message while synchronising: ${m.map(String).join(",")}`)
    }
  } finally {
    await off()
  }
}

/** Sends `n` messages `[prefix + i, ...rest]`, each awaited. */
export async function publish(pub: PS, prefix: string, n: number, rest: (string | Buffer)[] = []): Promise<void> {
  for (let i = 0; i < n; i++) await pub.send([`${prefix}${i}`, ...rest])
}

/** Keeps a receive pending (a `for await` loop) so that libzmq processes its pipe commands: see README. */
export function keepReading(s: PS, into: Buffer[][] = []): Buffer[][] {
  void (async () => {
    try {
      for await (const m of s as unknown as AsyncIterable<Buffer[]>) into.push(m)
    } catch {
      /* ends with the socket */
    }
  })()
  return into
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
