/**
 * zmtp's publish-subscribe sockets beyond what the RFC 29 suites check against both libraries:
 * the bounds a misbehaving subscriber meets (DESIGN "Budgets, not hopes"), and security, heartbeats,
 * events and statistics on these socket types as on the others (issue 16 item 7).
 */
import { afterEach, describe, expect, it } from "vitest"
import { RawPeer, command, message } from "../../spec-tests/wire/raw-peer.js"
import { MAX_PEER_SUBSCRIPTIONS, MAX_PEER_SUBSCRIPTION_OCTETS, Publisher, Subscriber, XPublisher, XSubscriber, curveKeyPair } from "../../src/index.js"
import { startZapHandler, nextEvent } from "../security/helpers.js"
import { bindEndpoint, cleanupIpc, closeAfterEach, recordEvents, sleep, transports, until, within } from "../helpers.js"

const track = closeAfterEach()
const raws: RawPeer[] = []
afterEach(() => {
  for (const r of raws.splice(0)) r.destroy()
  cleanupIpc()
})

async function raw(ep: string, type: string): Promise<RawPeer> {
  const r = await RawPeer.connect(ep)
  raws.push(r)
  await r.handshake(type)
  return r
}

const strs = (m: Buffer[]) => m.map((f) => f.toString("latin1"))

/** Receives until `pred` holds for a message, failing after `ms`. */
async function receiveUntil(s: { receive(): Promise<Buffer[]> }, pred: (m: string[]) => boolean, ms = 3000): Promise<string[]> {
  const end = Date.now() + ms
  for (;;) {
    const m = strs(await within(s.receive(), Math.max(1, end - Date.now()), "message"))
    if (pred(m)) return m
  }
}

/** Publishes `probe` until `sub` receives it: the subscriptions sent before are in effect. */
async function synced(pub: Publisher | XPublisher, sub: Subscriber, probe: string): Promise<void> {
  sub.receiveTimeout = 20
  for (let i = 0; i < 500; i++) {
    await pub.send(probe)
    try {
      const m = await sub.receive()
      if (m[0]!.toString() === probe) break
    } catch {
      /* not yet */
    }
  }
  sub.receiveTimeout = -1
}

describe("bounded memory: what a subscriber can make a publisher hold", () => {
  it(`a peer's subscriptions beyond ${MAX_PEER_SUBSCRIPTIONS} are ignored; another peer is not affected`, async () => {
    const pub = track(new Publisher())
    await pub.bind("tcp://127.0.0.1:*")
    const greedy = await raw(pub.lastEndpoint!, "SUB")
    // Distinct topics none of which is a prefix of another ("t" + base 36, then "."):
    const topic = (i: number) => `t${i.toString(36)}.`
    const total = MAX_PEER_SUBSCRIPTIONS + 100
    const cmds: Buffer[] = []
    for (let i = 0; i < total; i++) cmds.push(command("SUBSCRIBE", Buffer.from(topic(i))))
    await greedy.send(...cmds)
    // The last one within the limit applies (which also shows all before it were processed) ...
    const lastIn = topic(MAX_PEER_SUBSCRIPTIONS - 1)
    for (;;) {
      await pub.send(lastIn)
      try {
        expect(strs(await greedy.readMessage(50))).toEqual([lastIn])
        break
      } catch (e) {
        if (!/within/.test(String(e))) throw e
      }
    }
    // ... one beyond it does not; for another peer it does.
    const other = track(new Subscriber())
    other.subscribe(topic(total - 1))
    other.connect(pub.lastEndpoint!)
    await synced(pub, other, topic(total - 1))
    await pub.send([topic(total - 1), "again"])
    await pub.send(topic(0))
    expect(strs(await greedy.readMessage())).toEqual([topic(0)])
    expect(await receiveUntil(other, (m) => m[1] === "again")).toEqual([topic(total - 1), "again"])
  }, 60_000)

  it(`a peer's subscriptions add up to at most ${MAX_PEER_SUBSCRIPTION_OCTETS} octets`, async () => {
    const xpub = track(new XPublisher({ receiveHighWaterMark: 0 }))
    await xpub.bind("tcp://127.0.0.1:*")
    const peer = await raw(xpub.lastEndpoint!, "SUB")
    const size = 65_535
    for (let i = 0; i < 80; i++) await peer.send(command("SUBSCRIBE", Buffer.alloc(size, 0x41 + (i % 26)).fill(i, 0, 1)))
    let told = 0
    xpub.receiveTimeout = 1000
    for (;;) {
      try {
        await xpub.receive()
        told++
      } catch {
        break
      }
    }
    expect(told).toBe(Math.floor(MAX_PEER_SUBSCRIPTION_OCTETS / size))
  })

  it("an XPUB whose application does not read stops reading from a peer that floods it: the flood waits in the peer's own buffers", async () => {
    const xpub = track(new XPublisher({ receiveHighWaterMark: 5 }))
    await xpub.bind("tcp://127.0.0.1:*")
    const peer = await raw(xpub.lastEndpoint!, "XSUB")
    const one = message(["user", Buffer.alloc(4096, 0x61)])
    const flood = Buffer.concat(Array.from({ length: 5000 }, () => one))
    void peer.send(flood)
    // The XPUB took a bounded part: most of the 20 MiB never left the peer's socket.
    await until(() => peer.socket.writableLength > 0, 3000, "back-pressure")
    await sleep(300)
    expect(peer.socket.writableLength).toBeGreaterThan(flood.length / 2)
    expect(xpub.statistics.queues[0]!.in).toBeLessThanOrEqual(5)
    // Once read, everything arrives.
    let n = 0
    while (n < 5000) {
      const m = await within(xpub.receive(), 5000, "flooded message")
      expect(m.length).toBe(2)
      n++
    }
  }, 60_000)

  it("a PUB is never held up by a subscriber: its subscriptions are applied at once, its other messages discarded without limit", async () => {
    const pub = track(new Publisher())
    await pub.bind("tcp://127.0.0.1:*")
    const peer = await raw(pub.lastEndpoint!, "XSUB")
    const junk = message(["junk", Buffer.alloc(1024)])
    await peer.send(Buffer.concat([...Array.from({ length: 5000 }, () => junk), command("SUBSCRIBE", Buffer.from("z"))]))
    for (;;) {
      await pub.send("z1")
      try {
        expect(strs(await peer.readMessage(50))).toEqual(["z1"])
        break
      } catch {
        /* not applied yet */
      }
    }
    expect(pub.statistics.queues[0]!.in).toBe(0)
  })
})

describe("pub-sub with security, heartbeats, events and statistics", () => {
  for (const transport of transports) {
    it(`${transport}: PLAIN with a ZAP handler, and CURVE: a SUB receives from a PUB; a wrong password is refused`, async () => {
      track(await startZapHandler((r) => (r.mechanism !== "PLAIN" || r.credentials[1]?.toString() === "secret" ? "200" : "400")))
      const pub = track(new Publisher({ plainServer: true }))
      await pub.bind(bindEndpoint(transport))
      const sub = track(new Subscriber({ plainUsername: "u", plainPassword: "secret" }))
      sub.subscribe("p")
      sub.connect(pub.lastEndpoint!)
      await synced(pub, sub, "p-sync")
      await pub.send(["p1", "x"])
      expect(await receiveUntil(sub, (m) => m[0] === "p1")).toEqual(["p1", "x"])
      const bad = track(new Subscriber({ plainUsername: "u", plainPassword: "wrong", reconnectInterval: 10_000 }))
      const refused = nextEvent(bad, "handshake:error:auth")
      bad.connect(pub.lastEndpoint!)
      await refused

      const server = curveKeyPair()
      const client = curveKeyPair()
      const xpub = track(new XPublisher({ curveServer: true, curveSecretKey: server.secretKey }))
      await xpub.bind(bindEndpoint(transport))
      const xsub = track(new XSubscriber({ curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey }))
      xsub.connect(xpub.lastEndpoint!)
      await xsub.send(Buffer.from("\x01c"))
      expect(strs(await within(xpub.receive(), 3000, "subscription over CURVE"))).toEqual(["\x01c"])
      await xpub.send(["c1", "boxed"])
      expect(strs(await within(xsub.receive(), 3000, "message over CURVE"))).toEqual(["c1", "boxed"])
    })
  }

  it("CURVE carries a SUB's subscriptions as boxed SUBSCRIBE commands, and reconnects resend them", async () => {
    const server = curveKeyPair()
    const client = curveKeyPair()
    const sub = track(new Subscriber({ curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey, reconnectInterval: 20 }))
    sub.subscribe("k")
    const ep = bindEndpoint("ipc")
    sub.connect(ep)
    for (let round = 0; round < 2; round++) {
      const xpub = track(new XPublisher({ curveServer: true, curveSecretKey: server.secretKey }))
      await xpub.bind(ep)
      expect(strs(await within(xpub.receive(), 3000, "subscription"))).toEqual(["\x01k"])
      xpub.close()
    }
  })

  it("heartbeats: a SUB drops a silent publisher (heartbeatTimeout) and reconnects; events report it", async () => {
    const { RawListener } = await import("../../spec-tests/wire/raw-peer.js")
    const l = await RawListener.listen({ tcp: true })
    try {
      const sub = track(new Subscriber({ heartbeatInterval: 50, heartbeatTimeout: 200, reconnectInterval: 20 }))
      const events = recordEvents(sub)
      sub.subscribe("h")
      sub.connect(l.endpoint)
      const first = await l.accept()
      await first.handshake("PUB")
      // The peer answers nothing: no PONG, no traffic.
      await until(() => events.some((e) => e.type === "disconnect"), 4000, "disconnect")
      const second = await l.accept()
      await second.handshake("PUB")
      const cmd = await second.readCommand()
      expect(cmd.name === "SUBSCRIBE" || cmd.name === "PING").toBe(true)
      const types = events.map((e) => e.type).filter((t) => t !== "connect:delay")
      expect(types.slice(0, 4)).toEqual(["connect", "handshake", "disconnect", "connect:retry"])
    } finally {
      await l.close()
    }
  })

  it("statistics: messages and peers are counted on both sides; a PUB's dropped messages are not counted as received anywhere", async () => {
    const pub = track(new Publisher())
    await pub.bind("tcp://127.0.0.1:*")
    const sub = track(new Subscriber())
    sub.subscribe("s")
    sub.connect(pub.lastEndpoint!)
    await until(() => pub.statistics.peers === 1 && sub.statistics.peers === 1, 3000, "peers")
    await synced(pub, sub, "s-sync")
    const outBefore = pub.statistics.messagesOut
    const inBefore = sub.statistics.messagesIn
    for (const t of ["s1", "other", "s2"]) await pub.send(t)
    expect(await receiveUntil(sub, (m) => m[0] === "s1")).toEqual(["s1"])
    expect(await receiveUntil(sub, (m) => m[0] === "s2")).toEqual(["s2"])
    // Every send counts as sent (a PUB's send succeeds whether or not anyone matched).
    expect(pub.statistics.messagesOut - outBefore).toBe(3)
    expect(sub.statistics.messagesIn - inBefore).toBeGreaterThanOrEqual(2)
    expect(pub.statistics.bytesOut).toBeGreaterThan(0)
    expect(sub.statistics.bytesIn).toBeGreaterThan(0)
  })

  it("inproc works for pub-sub too (the same engine)", async () => {
    const pub = track(new Publisher())
    await pub.bind("inproc://pubsub-test")
    const sub = track(new Subscriber())
    sub.subscribe("")
    sub.connect("inproc://pubsub-test")
    await synced(pub, sub, "in")
    await pub.send("inproc")
    expect(await receiveUntil(sub, (m) => m[0] === "inproc")).toEqual(["inproc"])
  })
})
