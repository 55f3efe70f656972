/**
 * Subscriptions on the wire (RFC 29 over RFC 23/37), from a scripted raw peer that announces ZMTP
 * 3.1 or 3.0: what the subject sends, and that it takes both forms.
 *
 * RFC 37 "Subscriptions" has SUBSCRIBE and CANCEL commands; ZMTP 3.0 (RFC 23) has none, so to a 3.0
 * peer a subscription is a message of 0x01 (0x00 to cancel) and the topic. What libzmq 4.3.5 sends
 * (v3_1_encoder.cpp, v2_encoder.cpp, xsub.cpp), checked here against both subjects:
 *  - a SUB's subscribe() and unsubscribe(): SUBSCRIBE / CANCEL to 3.1, 0x01 / 0x00 messages to 3.0;
 *  - an XSUB's own 0x01 / 0x00 messages: sent as the messages they are, to 3.1 peers too;
 *  - the subscriptions a SUB or XSUB sends by itself (to a new peer, and all of them again after a
 *    reconnect): SUBSCRIBE commands to 3.1, 0x01 messages to 3.0.
 * And a PUB or XPUB takes either form from a peer of either version.
 *
 * libzmq acts on pipe events (a new or reconnected peer) only while its application is in a call on
 * the socket, so the subject sockets here keep a receive pending, as applications do (README).
 */
import { expect, it } from "vitest"
import { command, message, RawListener, type RawPeer } from "./raw-peer.js"
import { rawPeer } from "./helpers.js"
import { describeSubjects, transports, type Ctx, type Transport } from "./subjects.js"
import { recvStrs } from "../pubsub-helpers.js"

interface PS {
  bind(ep: string): Promise<void>
  connect(ep: string): void
  send(m: unknown): Promise<void>
  receive(): Promise<Buffer[]>
  subscribe(...p: string[]): void
  unsubscribe(...p: string[]): void
  close(): void
  readonly closed: boolean
  readonly lastEndpoint: string | null
  linger: number
  receiveTimeout: number
  [k: string]: unknown
}

function make(ctx: Ctx, kind: "Publisher" | "Subscriber" | "XPublisher" | "XSubscriber", opts: Record<string, unknown> = {}): PS {
  const C = (ctx.zmq as unknown as Record<string, new (o: Record<string, unknown>) => PS>)[kind]!
  return ctx.track(new C(opts))
}

/** A pending receive for the whole test (see the file header); what arrives is collected. */
function keepReading(s: PS): Buffer[][] {
  const got: Buffer[][] = []
  void (async () => {
    try {
      for await (const m of s as unknown as AsyncIterable<Buffer[]>) got.push(m)
    } catch {
      /* ends with the socket */
    }
  })()
  return got
}

/** "CMD SUBSCRIBE A" for a command, "MSG <frames joined by |>" for a message, for every unit read within `ms` of quiet. */
async function unitsWithin(peer: RawPeer, ms = 100): Promise<string[]> {
  const out: string[] = []
  let frames: string[] = []
  for (;;) {
    let f
    try {
      f = await peer.readFrame(ms)
    } catch {
      return out
    }
    if (f.command) {
      const n = f.body[0]!
      out.push(`CMD ${f.body.subarray(1, 1 + n).toString("latin1")} ${f.body.subarray(1 + n).toString("latin1")}`)
      continue
    }
    frames.push(f.body.toString("latin1"))
    if (!f.more) {
      out.push(`MSG ${frames.join("|")}`)
      frames = []
    }
  }
}

async function listener(ctx: Ctx, transport: Transport): Promise<RawListener> {
  const l = await RawListener.listen(transport === "tcp" ? { tcp: true } : { ipcPath: ctx.ipcEndpoint().slice("ipc://".length) })
  ctx.defer(() => l.close())
  return l
}

/** How a subscription to `t` looks on the wire to a peer of minor version `minor`, when the subject makes it. */
const subWire = (minor: number, t: string) => (minor >= 1 ? `CMD SUBSCRIBE ${t}` : `MSG \x01${t}`)
const cancelWire = (minor: number, t: string) => (minor >= 1 ? `CMD CANCEL ${t}` : `MSG \x00${t}`)

const SUBSCRIBE = (t: string) => command("SUBSCRIBE", Buffer.from(t, "latin1"))
const CANCEL = (t: string) => command("CANCEL", Buffer.from(t, "latin1"))
const dataSub = (t: string) => message([Buffer.from(`\x01${t}`, "latin1")])
const dataCancel = (t: string) => message([Buffer.from(`\x00${t}`, "latin1")])

describeSubjects("RFC 29 on the wire: subscriptions", (ctx) => {
  for (const minor of [1, 0]) {
    for (const transport of transports) {
      it(`${transport}: to a ZMTP 3.${minor} publisher a SUB sends ${minor ? "SUBSCRIBE / CANCEL commands" : "0x01 / 0x00 messages"}: each subscribe, the last unsubscribe only, and all current subscriptions again after a reconnect [connecting SUB]`, async () => {
        const l = await listener(ctx, transport)
        const sub = make(ctx, "Subscriber", { reconnectInterval: 20 })
        keepReading(sub)
        sub.subscribe("A")
        sub.connect(l.endpoint)
        const peer = await l.accept()
        const { properties } = await peer.handshake("PUB", { greeting: { minor } })
        expect(properties.get("socket-type")?.toString()).toBe("SUB")
        expect(await unitsWithin(peer)).toEqual([subWire(minor, "A")])
        sub.subscribe("B")
        sub.subscribe("B")
        expect(await unitsWithin(peer)).toEqual([subWire(minor, "B"), subWire(minor, "B")])
        sub.unsubscribe("B")
        expect(await unitsWithin(peer)).toEqual([])
        sub.unsubscribe("B")
        expect(await unitsWithin(peer)).toEqual([cancelWire(minor, "B")])
        sub.unsubscribe("never")
        sub.subscribe()
        expect(await unitsWithin(peer)).toEqual([subWire(minor, "")])
        peer.destroy()
        const again = await l.accept()
        await again.handshake("PUB", { greeting: { minor } })
        // Each current prefix once, in byte order (libzmq walks its trie).
        expect(await unitsWithin(again)).toEqual([subWire(minor, ""), subWire(minor, "A")])
      })
    }

    it(`tcp: to a ZMTP 3.${minor} publisher an XSUB sends its own 0x01 / 0x00 messages as messages, what it subscribes by itself as ${minor ? "SUBSCRIBE commands" : "0x01 messages"} [connecting XSUB]`, async () => {
      const l = await listener(ctx, "tcp")
      const xsub = make(ctx, "XSubscriber", { reconnectInterval: 20 })
      keepReading(xsub)
      // Before any pipe exists: it reaches the peer as the XSUB's own subscription.
      await xsub.send(Buffer.from("\x01A", "latin1"))
      xsub.connect(l.endpoint)
      const peer = await l.accept()
      await peer.handshake("PUB", { greeting: { minor } })
      expect(await unitsWithin(peer)).toEqual([subWire(minor, "A")])
      await xsub.send(Buffer.from("\x01B", "latin1"))
      await xsub.send(Buffer.from("\x01B", "latin1"))
      await xsub.send(Buffer.from("\x00B", "latin1"))
      await xsub.send(Buffer.from("\x00B", "latin1"))
      await xsub.send(Buffer.from("\x00never", "latin1"))
      await xsub.send("hello")
      await xsub.send([Buffer.from("\x01C", "latin1"), "x"])
      await xsub.send(Buffer.alloc(0))
      expect(await unitsWithin(peer)).toEqual(["MSG \x01B", "MSG \x01B", "MSG \x00B", "MSG hello", "MSG \x01C|x", "MSG "])
      peer.destroy()
      const again = await l.accept()
      await again.handshake("PUB", { greeting: { minor } })
      expect(await unitsWithin(again)).toEqual([subWire(minor, "A"), subWire(minor, "C")])
    })

    it(`tcp: a PUB takes SUBSCRIBE / CANCEL commands and 0x01 / 0x00 messages from a ZMTP 3.${minor} subscriber, and discards its other messages [bound PUB]`, async () => {
      const pub = make(ctx, "Publisher")
      await pub.bind("tcp://127.0.0.1:*")
      const peer = await rawPeer(ctx, pub.lastEndpoint!)
      await peer.handshake("SUB", { greeting: { minor } })
      await peer.send(SUBSCRIBE("A"), dataSub("B"), message(["hello", "\x01C"]), message(["user"]), SUBSCRIBE("D"))
      // The last subscription is in effect once a message for it arrives.
      for (;;) {
        await pub.send("D-probe")
        const units = await unitsWithin(peer, 20)
        if (units.length > 0) {
          expect(units.every((u) => u === "MSG D-probe")).toBe(true)
          break
        }
      }
      for (const t of ["A1", "B1", "C1", "hello1", "user1", "E1"]) await pub.send(t)
      // Every frame that starts with 0x01 subscribes, inside a multipart message too (libzmq 4.3.5).
      expect(await unitsWithin(peer)).toEqual(["MSG A1", "MSG B1", "MSG C1"])
      await peer.send(CANCEL("A"), dataCancel("B"), SUBSCRIBE("F"))
      for (;;) {
        await pub.send("F-probe")
        if ((await unitsWithin(peer, 20)).length > 0) break
      }
      for (const t of ["A2", "B2", "C2"]) await pub.send(t)
      expect(await unitsWithin(peer)).toEqual(["MSG C2"])
    })

    it(`tcp: an XPUB hands subscriptions from a ZMTP 3.${minor} peer to its application in the 0x01 / 0x00 form, whichever form they came in [bound XPUB]`, async () => {
      const xpub = make(ctx, "XPublisher")
      await xpub.bind("tcp://127.0.0.1:*")
      const peer = await rawPeer(ctx, xpub.lastEndpoint!)
      await peer.handshake("XSUB", { greeting: { minor } })
      await peer.send(SUBSCRIBE("A"), dataSub("B"), CANCEL("A"), dataCancel("B"))
      for (const want of ["\x01A", "\x01B", "\x00A", "\x00B"]) expect(await recvStrs(xpub as never)).toEqual([want])
    })
  }

  it("tcp: XPUB: a cancellation of what the peer never subscribed is told too, subscriptions inside user messages count frame by frame, and a peer leaving is told for each prefix it alone held, in byte order (libzmq 4.3.5 xpub.cpp) [bound XPUB]", async () => {
    const xpub = make(ctx, "XPublisher")
    await xpub.bind("tcp://127.0.0.1:*")
    const peer = await rawPeer(ctx, xpub.lastEndpoint!)
    await peer.handshake("XSUB")
    const other = await rawPeer(ctx, xpub.lastEndpoint!)
    await other.handshake("SUB")
    await other.send(SUBSCRIBE("Z"), SUBSCRIBE("A"))
    expect(await recvStrs(xpub as never)).toEqual(["\x01Z"])
    expect(await recvStrs(xpub as never)).toEqual(["\x01A"])
    await peer.send(SUBSCRIBE("Z"), CANCEL("Q"), message(["up", "more"]), message(["\x01E", "tail"]), message(["head", "\x01F"]), SUBSCRIBE("A"), SUBSCRIBE("b"))
    const told: string[][] = []
    for (let i = 0; i < 6; i++) told.push(await recvStrs(xpub as never))
    // Z and A: others hold them already, so not told. Q: nothing to cancel, told all the same.
    expect(told).toEqual([["\x00Q"], ["up", "more"], ["\x01E"], ["tail"], ["head", "\x01F"], ["\x01b"]])
    peer.destroy()
    const left: string[] = []
    for (let i = 0; i < 3; i++) left.push((await recvStrs(xpub as never))[0]!)
    // Z and A are still held by the other peer; E, F and b were this peer's alone.
    expect(left).toEqual(["\x00E", "\x00F", "\x00b"])
  })

  it("tcp: XPUB welcomeMessage: the first message a new subscriber gets, whatever its subscriptions [bound XPUB]", async () => {
    const xpub = make(ctx, "XPublisher", { welcomeMessage: "welcome" })
    keepReading(xpub)
    await xpub.bind("tcp://127.0.0.1:*")
    const peer = await rawPeer(ctx, xpub.lastEndpoint!)
    await peer.handshake("SUB")
    expect(await peer.readMessageStrs()).toEqual(["welcome"])
  })
})
