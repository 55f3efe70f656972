/**
 * ROUTER (RFC 28 "The ROUTER Socket Type"): routing ids (announced or generated as libzmq does:
 * 0x00 then a 32-bit counter), routing by the first frame, unroutable messages dropped or refused
 * (ZMQ_ROUTER_MANDATORY), duplicate ids ignored or handed over (ZMQ_ROUTER_HANDOVER), and
 * ZMQ_PROBE_ROUTER.
 */
import { afterEach, describe, expect, it } from "vitest"
import { Dealer, Request, Router } from "../../src/index.js"
import { bindEndpoint, cleanupIpc, closeAll, nothingArrives, recordEvents, strs, transports, until, within } from "../helpers.js"

afterEach(cleanupIpc)

for (const transport of transports) {
  describe(`ROUTER over ${transport}`, () => {
    it("generated routing ids are 5 octets: 0x00 then a uint32 that counts up per peer (libzmq router_t)", async () => {
      const router = new Router()
      const a = new Dealer()
      const b = new Dealer()
      try {
        await router.bind(bindEndpoint(transport))
        a.connect(router.lastEndpoint!)
        await a.send("from-a")
        const ma = await within(router.receive(), 3000, "a")
        b.connect(router.lastEndpoint!)
        await b.send("from-b")
        const mb = await within(router.receive(), 3000, "b")
        for (const m of [ma, mb]) {
          expect(m[0]!.length).toBe(5)
          expect(m[0]![0]).toBe(0)
        }
        expect((mb[0]!.readUInt32BE(1) - ma[0]!.readUInt32BE(1)) >>> 0).toBe(1)
        expect(strs(ma.slice(1))).toEqual(["from-a"])
        expect(strs(mb.slice(1))).toEqual(["from-b"])
      } finally {
        closeAll(router, a, b)
      }
    })

    it("routes by the first frame: each peer gets only its own messages, the id frame removed", async () => {
      const router = new Router()
      const peers = [new Dealer({ routingId: "alpha" }), new Dealer({ routingId: "beta" }), new Dealer()]
      try {
        await router.bind(bindEndpoint(transport))
        const ids: Buffer[] = []
        for (const p of peers) {
          p.connect(router.lastEndpoint!)
          await p.send("hi")
          ids.push((await within(router.receive(), 3000, "hi"))[0]!)
        }
        expect(ids[0]!.toString()).toBe("alpha")
        expect(ids[1]!.toString()).toBe("beta")
        for (let round = 0; round < 2; round++) {
          for (const [i, id] of ids.entries()) await router.send([id, `to-${i}-${round}`, ""])
        }
        for (const [i, p] of peers.entries()) {
          for (let round = 0; round < 2; round++) {
            expect(strs(await within(p.receive(), 3000, "routed"))).toEqual([`to-${i}-${round}`, ""])
          }
          expect(await nothingArrives(p, 50)).toBe(true)
        }
      } finally {
        closeAll(router, ...peers)
      }
    })

    it("unroutable messages are dropped silently by default, refused with EHOSTUNREACH when mandatory", async () => {
      const loose = new Router()
      const strict = new Router({ mandatory: true })
      const peer = new Dealer({ routingId: "known" })
      try {
        await loose.bind(bindEndpoint(transport))
        await strict.bind(bindEndpoint(transport))
        await loose.send(["nobody", "lost"])
        peer.connect(strict.lastEndpoint!)
        await peer.send("hello")
        await within(strict.receive(), 3000, "hello")
        await expect(strict.send(["nobody", "x"])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
        // The socket is still usable for a known peer.
        await strict.send(["known", "fine"])
        expect(strs(await within(peer.receive(), 3000, "fine"))).toEqual(["fine"])
      } finally {
        closeAll(loose, strict, peer)
      }
    })

    it("mandatory: once a peer has disconnected, sending to its id is EHOSTUNREACH", async () => {
      const router = new Router({ mandatory: true })
      const peer = new Dealer({ routingId: "gone" })
      const ev = recordEvents(router)
      try {
        await router.bind(bindEndpoint(transport))
        peer.connect(router.lastEndpoint!)
        await peer.send("hi")
        await within(router.receive(), 3000, "hi")
        peer.close()
        await until(() => ev.some((e) => e.type === "disconnect"), 3000, "disconnect")
        await expect(router.send(["gone", "x"])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
      } finally {
        closeAll(router, peer)
      }
    })

    it("duplicate routing id without handover: the newcomer is ignored, the first peer keeps the id (libzmq router_t)", async () => {
      const router = new Router()
      const first = new Dealer({ routingId: "dup" })
      const second = new Dealer({ routingId: "dup" })
      const ev = recordEvents(router)
      try {
        await router.bind(bindEndpoint(transport))
        first.connect(router.lastEndpoint!)
        await first.send("one")
        expect(strs(await within(router.receive(), 3000, "one"))).toEqual(["dup", "one"])
        second.connect(router.lastEndpoint!)
        await until(() => ev.filter((e) => e.type === "handshake").length === 2, 3000, "second handshake")
        await second.send("two")
        expect(await nothingArrives(router, 150)).toBe(true)
        await router.send(["dup", "for-first"])
        expect(strs(await within(first.receive(), 3000, "first"))).toEqual(["for-first"])
        expect(await nothingArrives(second, 100)).toBe(true)
      } finally {
        closeAll(router, first, second)
      }
    })

    it("duplicate routing id with handover: the newcomer takes the id over", async () => {
      const router = new Router({ handover: true })
      const first = new Dealer({ routingId: "dup" })
      const second = new Dealer({ routingId: "dup" })
      const ev = recordEvents(router)
      try {
        await router.bind(bindEndpoint(transport))
        first.connect(router.lastEndpoint!)
        await first.send("one")
        await within(router.receive(), 3000, "one")
        second.connect(router.lastEndpoint!)
        await until(() => ev.filter((e) => e.type === "handshake").length === 2, 3000, "second handshake")
        await second.send("two")
        expect(strs(await within(router.receive(), 3000, "two"))).toEqual(["dup", "two"])
        await router.send(["dup", "for-second"])
        expect(strs(await within(second.receive(), 3000, "second"))).toEqual(["for-second"])
        expect(await nothingArrives(first, 100)).toBe(true)
      } finally {
        closeAll(router, first, second)
      }
    })

    it("probeRouter: a connecting DEALER, REQ or ROUTER announces itself with an empty message first", async () => {
      const server = new Router()
      const dealer = new Dealer({ probeRouter: true, routingId: "D" })
      const router = new Router({ probeRouter: true, routingId: "R" })
      const req = new Request({ probeRouter: true, routingId: "Q" })
      try {
        await server.bind(bindEndpoint(transport))
        const got = new Map<string, string[]>()
        for (const s of [dealer, router, req]) s.connect(server.lastEndpoint!)
        for (let i = 0; i < 3; i++) {
          const m = strs(await within(server.receive(), 3000, "probe"))
          got.set(m[0]!, m.slice(1))
        }
        expect(got).toEqual(
          new Map([
            ["D", [""]],
            ["R", [""]],
            ["Q", [""]],
          ]),
        )
        // The server can answer at once, as the probe told it who is there.
        await server.send(["D", "welcome"])
        expect(strs(await within(dealer.receive(), 3000, "welcome"))).toEqual(["welcome"])
      } finally {
        closeAll(server, dealer, router, req)
      }
    })

    it("a ROUTER connecting with a routing id for the connection can send to it before anything arrives (zeromq.js connect({routingId}))", async () => {
      const server = new Router({ routingId: "srv" })
      const client = new Router({ mandatory: true })
      try {
        await server.bind(bindEndpoint(transport))
        client.connect(server.lastEndpoint!, { routingId: "to-server" })
        await client.send(["to-server", "ping"])
        const m = strs(await within(server.receive(), 3000, "ping"))
        expect(m.slice(1)).toEqual(["ping"])
      } finally {
        closeAll(server, client)
      }
    })
  })
}
