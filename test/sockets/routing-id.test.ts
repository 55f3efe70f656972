/**
 * String routing ids are UTF-8 everywhere (issue 14 item 7), as zeromq.js passes them to libzmq: the
 * `routingId` option (announced as the Identity property, RFC 23 "The Identity Property"),
 * `connectRoutingId` and `connect(ep, { routingId })` (the ROUTER's name for that peer), and the
 * first frame of `router.send`. Checked against libzmq through zeromq.js in both directions.
 */
import * as zmq from "zeromq"
import { afterEach, describe, expect, it } from "vitest"
import { Dealer, Router } from "../../src/index.js"
import { bindEndpoint, cleanupIpc, closeAfterEach, nothingArrives, sleep, within, itLibzmq } from "../helpers.js"

afterEach(cleanupIpc)
const track = closeAfterEach()

const utf8 = (s: string) => Buffer.from(s, "utf8")
/** Ids whose latin1 encodings are the same octet (0xE5) but whose UTF-8 ones differ. */
const ids = ["wörker", "工", "å", "日本語-ワーカー", "émoji-🙂"]

describe("the routingId option goes on the wire as UTF-8", () => {
  itLibzmq("a zmtp DEALER's routingId is seen by a libzmq ROUTER (zeromq.js) as its UTF-8 octets", async () => {
    const router = track(new zmq.Router())
    await router.bind("tcp://127.0.0.1:*")
    for (const id of ids) {
      const dealer = track(new Dealer({ routingId: id }))
      dealer.connect(router.lastEndpoint!)
      await dealer.send("hi")
      const [rid, body] = await within(router.receive(), 3000, `message from ${id}`)
      expect(rid!.toString("hex"), id).toBe(utf8(id).toString("hex"))
      expect(body!.toString()).toBe("hi")
      // zeromq.js routes by the string's UTF-8 octets too: the reply reaches the zmtp DEALER.
      await router.send([id, `back-${id}`])
      expect((await within(dealer.receive(), 3000, `reply to ${id}`))[0]!.toString()).toBe(`back-${id}`)
      dealer.close()
    }
  })

  itLibzmq("a libzmq DEALER's routingId (zeromq.js) reaches a zmtp ROUTER as UTF-8, and a string first frame routes back to it", async () => {
    const router = track(new Router({ mandatory: true }))
    await router.bind("tcp://127.0.0.1:*")
    for (const id of ids) {
      const dealer = track(new zmq.Dealer({ routingId: id }))
      dealer.connect(router.lastEndpoint!)
      await dealer.send("hi")
      const [rid] = await within(router.receive(), 3000, `message from ${id}`)
      expect(rid!.toString("hex"), id).toBe(utf8(id).toString("hex"))
      await router.send([id, `back-${id}`])
      expect((await within(dealer.receive(), 3000, `reply to ${id}`))[0]!.toString()).toBe(`back-${id}`)
      dealer.close()
    }
  })

  it("two zmtp DEALERs named \"工\" and \"å\" (both 0xE5 in latin1) are two peers of a zmtp ROUTER", async () => {
    const router = track(new Router({ mandatory: true }))
    await router.bind(bindEndpoint("ipc"))
    const a = track(new Dealer({ routingId: "工" }))
    const b = track(new Dealer({ routingId: "å" }))
    a.connect(router.lastEndpoint!)
    b.connect(router.lastEndpoint!)
    await a.send("from-a")
    await b.send("from-b")
    const got = new Map<string, string>()
    for (let i = 0; i < 2; i++) {
      const [rid, body] = await within(router.receive(), 3000, "message")
      got.set(rid!.toString("hex"), body!.toString())
    }
    expect(got).toEqual(new Map([[utf8("工").toString("hex"), "from-a"], [utf8("å").toString("hex"), "from-b"]]))
    await router.send(["工", "to-a"])
    await router.send(["å", "to-b"])
    expect((await within(a.receive(), 3000, "a"))[0]!.toString()).toBe("to-a")
    expect((await within(b.receive(), 3000, "b"))[0]!.toString()).toBe("to-b")
  })

  itLibzmq("a ROUTER's own routingId is announced as UTF-8 to a ROUTER it connects to (zeromq.js)", async () => {
    const server = track(new zmq.Router())
    await server.bind("tcp://127.0.0.1:*")
    const client = track(new Router({ routingId: "клиент", probeRouter: true }))
    client.connect(server.lastEndpoint!)
    const [rid] = await within(server.receive(), 3000, "probe")
    expect(rid!.toString("hex")).toBe(utf8("клиент").toString("hex"))
  })
})

describe("a ROUTER's name for a peer it connects to is UTF-8", () => {
  for (const how of ["connect(ep, { routingId })", "connectRoutingId"] as const) {
    itLibzmq(`${how}: "工" and "å" name two peers (zeromq.js DEALERs); each is reached by the string and by its UTF-8 octets, never by 0xE5`, async () => {
      const router = track(new Router({ mandatory: true }))
      const peers = new Map<string, zmq.Dealer>()
      for (const id of ["工", "å"]) {
        const peer = track(new zmq.Dealer())
        await peer.bind("tcp://127.0.0.1:*")
        peers.set(id, peer)
        if (how === "connectRoutingId") {
          router.connectRoutingId = id
          router.connect(peer.lastEndpoint!)
        } else {
          router.connect(peer.lastEndpoint!, { routingId: id })
        }
      }
      for (const [id, peer] of peers) {
        await router.send([id, `str-${id}`])
        await router.send([utf8(id), `oct-${id}`])
        expect((await within(peer.receive(), 3000, `${id} str`))[0]!.toString()).toBe(`str-${id}`)
        expect((await within(peer.receive(), 3000, `${id} oct`))[0]!.toString()).toBe(`oct-${id}`)
      }
      // 0xE5 (the latin1 of both) names neither.
      await expect(router.send([Buffer.from([0xe5]), "nobody"])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
      for (const peer of peers.values()) expect(await nothingArrives(peer, 100)).toBe(true)
    })
  }

  itLibzmq("connect(ep, { routingId }) against a libzmq ROUTER peer: the name is local, the peer sees our own routingId as UTF-8", async () => {
    const server = track(new zmq.Router())
    await server.bind("tcp://127.0.0.1:*")
    const client = track(new Router({ routingId: "wörker", mandatory: true }))
    client.connect(server.lastEndpoint!, { routingId: "сервер" })
    await client.send(["сервер", "hello"])
    const [rid, body] = await within(server.receive(), 3000, "hello")
    expect(rid!.toString("hex")).toBe(utf8("wörker").toString("hex"))
    expect(body!.toString()).toBe("hello")
  })
})

describe("routing id validation counts UTF-8 octets, as libzmq (zeromq.js) does", () => {
  const cases: [string, string, boolean][] = [
    ["255 octets (127 × é + a)", "é".repeat(127) + "a", true],
    ["256 octets in 128 characters (128 × é)", "é".repeat(128), false],
    ["255 characters of 2 octets each", "é".repeat(255), false],
    ["85 × 工 (255 octets)", "工".repeat(85), true],
    ["86 × 工 (258 octets)", "工".repeat(86), false],
    ["empty", "", false],
  ]
  for (const [what, value, ok] of cases) {
    itLibzmq(`${what}: ${ok ? "accepted and read back" : "EINVAL"} in both`, () => {
      const ours = new Dealer()
      const theirs = new zmq.Dealer()
      try {
        for (const s of [ours, theirs] as { routingId: string | null }[]) {
          if (ok) {
            s.routingId = value
            expect(s.routingId).toBe(value)
          } else {
            expect(() => (s.routingId = value)).toThrow(expect.objectContaining({ code: "EINVAL" }))
          }
        }
        const r = new Router()
        try {
          if (ok) {
            r.connectRoutingId = value
            expect(r.connectRoutingId).toBe(value)
          } else {
            expect(() => (r.connectRoutingId = value)).toThrow(expect.objectContaining({ code: "EINVAL" }))
            // zeromq.js's Router.connect takes an empty routingId as none (it tests it for truth).
            if (value === "") expect(r.connect("tcp://127.0.0.1:1", { routingId: value })).toBeUndefined()
            else expect(() => r.connect("tcp://127.0.0.1:1", { routingId: value })).toThrow(expect.objectContaining({ code: "EINVAL" }))
          }
        } finally {
          r.close()
        }
      } finally {
        ours.close()
        theirs.close()
      }
    })
  }

  itLibzmq("a leading 0x00 is refused (EINVAL): libzmq reserves it for generated ids, zmtp's ROUTER treats such an announced id as none", () => {
    const d = track(new Dealer())
    const r = track(new Router())
    expect(() => (d.routingId = "\0abc")).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => new Dealer({ routingId: "\0" })).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => (r.connectRoutingId = "\0x")).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => r.connect("tcp://127.0.0.1:1", { routingId: "\0x" })).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(d.routingId).toBeNull()
    // A zero octet later in the id is an ordinary octet of the id; reading it back stops there, as
    // zeromq.js's does (libzmq hands the octets over as a C string).
    const theirs = track(new zmq.Dealer())
    for (const s of [d, theirs]) {
      s.routingId = "a\0b"
      expect(s.routingId).toBe("a")
    }
  })

  itLibzmq("a Buffer routingId is taken as its octets: a libzmq ROUTER sees exactly them, even when they are not UTF-8", async () => {
    const router = track(new zmq.Router())
    await router.bind("tcp://127.0.0.1:*")
    const raw = Buffer.from([0xff, 0x01, 0xe5])
    const dealer = track(new Dealer())
    dealer.routingId = raw as unknown as string
    dealer.connect(router.lastEndpoint!)
    await dealer.send("hi")
    const [rid] = await within(router.receive(), 3000, "message")
    expect(rid!.toString("hex")).toBe("ff01e5")
    // Read back as zeromq.js reads it: the octets decoded as UTF-8.
    expect(dealer.routingId).toBe(raw.toString("utf8"))
  })
})

describe("a connectRoutingId never leaks into the next connect() (issue 14 item 12)", () => {
  /** A zmtp DEALER bound on a fresh endpoint, announcing `id`. */
  async function peer(id: string): Promise<Dealer> {
    const d = track(new Dealer({ routingId: id }))
    await d.bind(bindEndpoint("tcp"))
    return d
  }

  /** True if the ROUTER (mandatory) can route to `id`, i.e. some pipe carries that name. */
  async function routable(r: Router, id: string): Promise<boolean> {
    try {
      await r.send([id, "probe"])
      return true
    } catch (e) {
      if ((e as { code?: string }).code === "EHOSTUNREACH") return false
      throw e
    }
  }

  /** Waits until `id` is routable (a peer's announced id is known once its handshake is done). */
  async function untilRoutable(r: Router, id: string): Promise<void> {
    const deadline = Date.now() + 3000
    while (!(await routable(r, id))) {
      if (Date.now() > deadline) throw new Error(`${id} never became routable`)
      await sleep(10)
    }
  }

  /** The message `tag` sent to `id` arrives at `d` (probes from {@link routable} are skipped). */
  async function reaches(r: Router, id: string, d: Dealer, tag: string): Promise<void> {
    await r.send([id, tag])
    let m: Buffer[]
    do m = await within(d.receive(), 3000, `${tag} at ${id}`)
    while (m[0]!.toString() === "probe")
    expect(m[0]!.toString()).toBe(tag)
  }

  it("set, then connect: that connect uses it once; the option reads null after; the next connect does not get it", async () => {
    const r = track(new Router({ mandatory: true }))
    const p1 = await peer("p1")
    const p2 = await peer("p2")
    r.connectRoutingId = "named"
    r.connect(p1.lastEndpoint!)
    expect(r.connectRoutingId).toBeNull()
    r.connect(p2.lastEndpoint!)
    await reaches(r, "named", p1, "to-named")
    // p2 is known by what it announced, once its handshake is done; never by the preset name.
    await untilRoutable(r, "p2")
    await reaches(r, "p2", p2, "to-p2")
    expect(await nothingArrives(p2, 100)).toBe(true)
  })

  const badConnects: [string, string, string][] = [
    ["an unknown transport", "bogus://x", "EPROTONOSUPPORT"],
    ["a malformed tcp endpoint", "tcp://127.0.0.1", "EINVAL"],
    ["a wildcard port", "tcp://127.0.0.1:*", "EINVAL"],
    ["an empty inproc name", "inproc://", "EINVAL"],
  ]
  for (const [what, bad, code] of badConnects) {
    it(`set, then a connect that throws (${what}): the option is spent, the next connect does not get it`, async () => {
      const r = track(new Router({ mandatory: true }))
      const p = await peer("p")
      r.connectRoutingId = "named"
      expect(() => r.connect(bad)).toThrow(expect.objectContaining({ code }))
      expect(r.connectRoutingId).toBeNull()
      expect(await routable(r, "named")).toBe(false)
      r.connect(p.lastEndpoint!)
      await untilRoutable(r, "p")
      expect(await routable(r, "named")).toBe(false)
    })

    it(`connect(ep, { routingId }) that throws (${what}): that id names nothing, is not left as the option, and does not reach the next connect`, async () => {
      const r = track(new Router({ mandatory: true }))
      const p = await peer("p")
      expect(() => r.connect(bad, { routingId: "given" })).toThrow(expect.objectContaining({ code }))
      expect(r.connectRoutingId).toBeNull()
      expect(await routable(r, "given")).toBe(false)
      expect(r.statistics.queues).toEqual([])
      r.connect(p.lastEndpoint!)
      await untilRoutable(r, "p")
      expect(await routable(r, "given")).toBe(false)
      expect(r.statistics.queues.length).toBe(1)
    })
  }

  it("connect(ep, { routingId }) with an invalid id throws EINVAL and registers nothing: the same endpoint connects afterwards", async () => {
    const r = track(new Router({ mandatory: true }))
    const p = await peer("p")
    r.connectRoutingId = "preset"
    expect(() => r.connect(p.lastEndpoint!, { routingId: "é".repeat(128) })).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(r.connectRoutingId).toBeNull()
    expect(r.statistics.queues).toEqual([])
    // Not "already connected": the endpoint is free for a real connect, which gets neither id.
    r.connect(p.lastEndpoint!, { routingId: "ok" })
    await reaches(r, "ok", p, "to-ok")
    expect(await routable(r, "preset")).toBe(false)
  })
})
