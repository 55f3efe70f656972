/**
 * Shared steps of the wire scenarios: bind a subject socket, connect raw
 * peers that are cleaned up after the test, and check that the subject still
 * serves a well-behaved peer after a hostile one.
 */
import { expect } from "vitest"
import { message, RawPeer } from "./raw-peer.js"
import { type AnySocket, type Ctx, nothingQueued, recvStrs, type Transport } from "./subjects.js"

export type SubjectKind = "Reply" | "Router" | "Dealer"

/** Bind a fresh subject socket of `kind` on `transport`. */
export async function bindSubject(
  ctx: Ctx,
  kind: SubjectKind,
  transport: Transport,
  opts: Record<string, unknown> = {},
): Promise<{ sock: AnySocket; ep: string }> {
  const Ctor = ctx.zmq[kind] as unknown as new (o: Record<string, unknown>) => AnySocket
  const sock = ctx.track(new Ctor(opts))
  const ep = await ctx.bindFresh(sock, transport)
  return { sock, ep }
}

/** A raw peer connected to `ep`, destroyed after the test. */
export async function rawPeer(ctx: Ctx, ep: string): Promise<RawPeer> {
  const p = await RawPeer.connect(ep)
  ctx.defer(() => p.destroy())
  return p
}

/** The ZMTP socket type a well-behaved peer of each subject kind announces. */
export const peerTypeFor: Record<SubjectKind, string> = { Reply: "DEALER", Router: "DEALER", Dealer: "DEALER" }

/**
 * The message a connecting DEALER peer sends to reach the subject, and what
 * the subject's application then receives (REP strips the empty delimiter,
 * ROUTER prefixes the routing id).
 */
function shapes(kind: SubjectKind, body: string, routingId: string) {
  switch (kind) {
    case "Reply":
      return { wire: ["", body], delivered: [body] }
    case "Router":
      return { wire: [body], delivered: [routingId, body] }
    case "Dealer":
      return { wire: [body], delivered: [body] }
  }
}

/**
 * After a hostile scenario: a real socket of the subject's own library (a
 * DEALER, which every subject kind here accepts) connects, and one request
 * and one reply cross. The first message the subject receives must be the
 * well-behaved one, and nothing else may be queued: this is how the tests
 * show that nothing from the hostile connection was delivered, without a
 * timing assertion.
 */
export async function expectServesRealPeer(ctx: Ctx, subject: AnySocket, kind: SubjectKind, ep: string, tag: string): Promise<void> {
  const routingId = `good-${tag}`
  const peer = ctx.track(new ctx.zmq.Dealer({ routingId }))
  peer.connect(ep)
  const { wire, delivered } = shapes(kind, `hello-${tag}`, routingId)
  await peer.send(wire)
  expect(await recvStrs(subject)).toEqual(delivered)
  if (kind === "Router") await subject.send([routingId, `reply-${tag}`])
  else await subject.send(`reply-${tag}`)
  expect(await recvStrs(peer)).toEqual(kind === "Reply" ? ["", `reply-${tag}`] : [`reply-${tag}`])
  // Checked after the reply: a REP may only receive again once it replied.
  expect(await nothingQueued(subject)).toBe(true)
}

/**
 * The same check with the raw peer doing a proper ZMTP 3.1 NULL handshake as
 * a DEALER, so that the subject's own client code plays no part.
 */
export async function expectServesRawPeer(ctx: Ctx, subject: AnySocket, kind: SubjectKind, ep: string, tag: string): Promise<RawPeer> {
  const routingId = `raw-${tag}`
  const peer = await rawPeer(ctx, ep)
  await peer.handshake("DEALER", { identity: routingId })
  await exchangeOver(peer, subject, kind, tag, routingId)
  return peer
}

/** One request/reply over an already handshaken raw DEALER peer. */
export async function exchangeOver(peer: RawPeer, subject: AnySocket, kind: SubjectKind, tag: string, routingId: string): Promise<void> {
  const { wire, delivered } = shapes(kind, `hello-${tag}`, routingId)
  await peer.send(message(wire))
  expect(await recvStrs(subject)).toEqual(delivered)
  if (kind === "Router") await subject.send([routingId, `reply-${tag}`])
  else await subject.send(`reply-${tag}`)
  expect(await peer.readMessageStrs()).toEqual(kind === "Reply" ? ["", `reply-${tag}`] : [`reply-${tag}`])
  expect(await nothingQueued(subject)).toBe(true)
}

/** The hostile connection must end: the subject closes it (RFC 23: errors are signalled "by closing the connection"). */
export async function expectDropped(peer: RawPeer, ms = 3000): Promise<void> {
  expect(await peer.closedWithin(ms), "subject should close the connection").toBe(true)
}
