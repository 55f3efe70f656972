/**
 * DEALER (RFC 28 "The DEALER Socket Type"): round-robin out over its peers, fair-queued in, messages
 * passed through unchanged.
 */
import { afterEach, describe, expect, it } from "vitest"
import { Dealer } from "../../src/index.js"
import { bindEndpoint, cleanupIpc, closeAll, nothingArrives, recordEvents, strs, transports, until, within } from "../helpers.js"

afterEach(cleanupIpc)

/** Inbound messages queued on a socket, across its peers (zmtp statistics). */
const queuedIn = (s: Dealer) => s.statistics.queues.reduce((n, q) => n + q.in, 0)

for (const transport of transports) {
  describe(`DEALER over ${transport}`, () => {
    it("round-robin: messages go to each connected peer in turn (RFC 28: 'SHALL route outgoing messages to available peers using a round-robin strategy')", async () => {
      const servers = [new Dealer(), new Dealer(), new Dealer()]
      const client = new Dealer()
      const ev = recordEvents(client)
      try {
        for (const s of servers) {
          await s.bind(bindEndpoint(transport))
          client.connect(s.lastEndpoint!)
        }
        await until(() => ev.filter((e) => e.type === "handshake").length === 3, 3000, "three handshakes")
        for (let i = 0; i < 9; i++) await client.send(`m${i}`)
        const per: number[][] = []
        for (const s of servers) {
          const got: number[] = []
          for (let k = 0; k < 3; k++) got.push(Number((await within(s.receive(), 3000, "receive"))[0]!.toString().slice(1)))
          expect(await nothingArrives(s, 50)).toBe(true)
          per.push(got)
        }
        // Each peer got every third message, in order.
        for (const got of per) expect(got).toEqual([got[0]!, got[0]! + 3, got[0]! + 6])
        expect(per.map((g) => g[0]).sort()).toEqual([0, 1, 2])
      } finally {
        closeAll(client, ...servers)
      }
    })

    it("round-robin continues over the remaining peers when one goes away", async () => {
      const s1 = new Dealer()
      const s2 = new Dealer()
      const client = new Dealer()
      const ev = recordEvents(client)
      try {
        await s1.bind(bindEndpoint(transport))
        await s2.bind(bindEndpoint(transport))
        client.connect(s1.lastEndpoint!)
        client.connect(s2.lastEndpoint!)
        await until(() => ev.filter((e) => e.type === "handshake").length === 2, 3000, "two handshakes")
        client.disconnect(s1.lastEndpoint!)
        for (let i = 0; i < 4; i++) await client.send(`m${i}`)
        for (let i = 0; i < 4; i++) expect(strs(await within(s2.receive(), 3000, "s2"))).toEqual([`m${i}`])
      } finally {
        closeAll(client, s1, s2)
      }
    })

    it("fair-queue: with messages waiting from several peers, receive() takes one from each in turn (RFC 28 'SHALL receive incoming messages from its peers using a fair-queuing strategy')", async () => {
      const server = new Dealer()
      const clients = [new Dealer({ routingId: "A" }), new Dealer({ routingId: "B" }), new Dealer({ routingId: "C" })]
      try {
        await server.bind(bindEndpoint(transport))
        for (const c of clients) c.connect(server.lastEndpoint!)
        for (let i = 0; i < 5; i++) for (const [k, c] of clients.entries()) await c.send(["ABC"[k]!, String(i)])
        // Wait until all 15 are queued on the server, so fairness (not arrival order) decides.
        await until(() => queuedIn(server) === 15, 3000, "15 queued")
        const got: string[][] = []
        for (let i = 0; i < 15; i++) got.push(strs(await within(server.receive(), 3000, "receive")))
        for (let r = 0; r < 5; r++) {
          const round = got.slice(r * 3, r * 3 + 3)
          expect(new Set(round.map((m) => m[0]))).toEqual(new Set(["A", "B", "C"]))
        }
        // Per-peer order is kept.
        for (const id of ["A", "B", "C"]) {
          expect(got.filter((m) => m[0] === id).map((m) => m[1])).toEqual(["0", "1", "2", "3", "4"])
        }
      } finally {
        closeAll(server, ...clients)
      }
    })

    it("messages pass unchanged both ways, empty frames included (RFC 28 'SHALL not filter or modify outgoing or incoming messages')", async () => {
      const a = new Dealer()
      const b = new Dealer()
      try {
        await a.bind(bindEndpoint(transport))
        b.connect(a.lastEndpoint!)
        await b.send(["", "x", "", ""])
        expect(strs(await within(a.receive(), 3000, "a"))).toEqual(["", "x", "", ""])
        await a.send([""])
        expect(strs(await within(b.receive(), 3000, "b"))).toEqual([""])
      } finally {
        closeAll(a, b)
      }
    })
  })
}
