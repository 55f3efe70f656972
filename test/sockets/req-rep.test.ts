/**
 * REQ and REP (RFC 28 "The REQ Socket Type", "The REP Socket Type"): lock-step state machines (EFSM
 * as libzmq's zmq_send/zmq_recv report it), the empty delimiter REQ adds, the envelope REP saves and
 * restores, replies accepted only from the peer that was asked, and requests without a delimiter
 * dropped.
 */
import { afterEach, describe, expect, it } from "vitest"
import { Dealer, Reply, Request, Router } from "../../src/index.js"
import { bindEndpoint, cleanupIpc, closeAll, nothingArrives, recordEvents, strs, transports, until, within } from "../helpers.js"

afterEach(cleanupIpc)

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
    return undefined
  } catch (e) {
    return (e as { code?: string }).code
  }
}

describe("lock-step state machines (libzmq EFSM)", () => {
  it("REQ: receive before any send is EFSM; a second send before the reply is EFSM", async () => {
    const q = new Request()
    const r = new Reply()
    try {
      await r.bind("tcp://127.0.0.1:*")
      q.connect(r.lastEndpoint!)
      expect(await codeOf(q.receive())).toBe("EFSM")
      await q.send("one")
      expect(await codeOf(q.send("two"))).toBe("EFSM")
      expect(strs(await within(r.receive(), 3000, "request"))).toEqual(["one"])
      await r.send("reply")
      expect(strs(await within(q.receive(), 3000, "reply"))).toEqual(["reply"])
      // Back to the start: receive is refused again, a new send is fine.
      expect(await codeOf(q.receive())).toBe("EFSM")
      await q.send("three")
      expect(strs(await within(r.receive(), 3000, "request 2"))).toEqual(["three"])
    } finally {
      closeAll(q, r)
    }
  })

  it("REP: send before a request is EFSM; a second receive before replying is EFSM", async () => {
    const q = new Request()
    const r = new Reply()
    try {
      await r.bind("tcp://127.0.0.1:*")
      q.connect(r.lastEndpoint!)
      expect(await codeOf(r.send("nothing asked"))).toBe("EFSM")
      await q.send("ask")
      await within(r.receive(), 3000, "request")
      expect(await codeOf(r.receive())).toBe("EFSM")
      await r.send("answer")
      expect(strs(await within(q.receive(), 3000, "reply"))).toEqual(["answer"])
      expect(await codeOf(r.send("unasked"))).toBe("EFSM")
    } finally {
      closeAll(q, r)
    }
  })

  it("a failed EFSM call leaves the state unchanged (the valid call still works)", async () => {
    const q = new Request()
    const r = new Reply()
    try {
      await r.bind("tcp://127.0.0.1:*")
      q.connect(r.lastEndpoint!)
      expect(await codeOf(q.receive())).toBe("EFSM")
      expect(await codeOf(q.receive())).toBe("EFSM")
      await q.send("x")
      await within(r.receive(), 3000, "request")
      expect(await codeOf(r.receive())).toBe("EFSM")
      await r.send("y")
      expect(strs(await within(q.receive(), 3000, "reply"))).toEqual(["y"])
    } finally {
      closeAll(q, r)
    }
  })
})

for (const transport of transports) {
  describe(`REQ / REP over ${transport}`, () => {
    it("many lock-step round trips between two REQs and one REP, each reply to its own asker", async () => {
      const rep = new Reply()
      const reqs = [new Request(), new Request()]
      try {
        await rep.bind(bindEndpoint(transport))
        for (const q of reqs) q.connect(rep.lastEndpoint!)
        const server = (async () => {
          for (let i = 0; i < 40; i++) {
            const [body] = await rep.receive()
            await rep.send([`re:${body!.toString()}`])
          }
        })()
        await Promise.all(
          reqs.map(async (q, n) => {
            for (let i = 0; i < 20; i++) {
              await q.send(`q${n}-${i}`)
              expect(strs(await within(q.receive(), 3000, "reply"))).toEqual([`re:q${n}-${i}`])
            }
          }),
        )
        await within(server, 3000, "server loop")
      } finally {
        closeAll(rep, ...reqs)
      }
    })

    it("REQ: send() and receive() issued together without awaiting the send are served in call order (no EBUSY, no EFSM)", async () => {
      const rep = new Reply()
      const q = new Request()
      try {
        await rep.bind(bindEndpoint(transport))
        q.connect(rep.lastEndpoint!)
        const server = (async () => {
          for (let i = 0; i < 3; i++) {
            const [b] = await rep.receive()
            await rep.send(`re:${b!.toString()}`)
          }
        })()
        for (let i = 0; i < 3; i++) {
          const [, reply] = await within(Promise.all([q.send(`n${i}`), q.receive()]), 3000, "round trip")
          expect(strs(reply)).toEqual([`re:n${i}`])
        }
        await within(server, 3000, "server")
      } finally {
        closeAll(rep, q)
      }
    })

    it("REQ envelope: the peer sees [empty delimiter, body...]; a reply [empty, body] reaches the app as [body] (RFC 28 REQ 'SHALL prefix the outgoing message with an empty delimiter frame')", async () => {
      const router = new Router()
      const q = new Request({ routingId: "client-1" })
      try {
        await router.bind(bindEndpoint(transport))
        q.connect(router.lastEndpoint!)
        await q.send(["a", "b"])
        const m = await within(router.receive(), 3000, "request")
        expect(strs(m)).toEqual(["client-1", "", "a", "b"])
        await router.send([m[0]!, "", "r1", "r2"])
        expect(strs(await within(q.receive(), 3000, "reply"))).toEqual(["r1", "r2"])
      } finally {
        closeAll(router, q)
      }
    })

    it("REQ takes a reply only from the peer it asked; replies from another peer are dropped (RFC 28 REQ 'SHALL discard silently any messages received from other peers')", async () => {
      const x = new Router()
      const y = new Router()
      const q = new Request({ routingId: "Q" })
      const ev = recordEvents(q)
      try {
        await x.bind(bindEndpoint(transport))
        await y.bind(bindEndpoint(transport))
        q.connect(x.lastEndpoint!)
        q.connect(y.lastEndpoint!)
        await until(() => ev.filter((e) => e.type === "handshake").length === 2, 3000, "two handshakes")
        await q.send("question")
        // Find which router got the request; the other one tries to answer first.
        const asked = await Promise.race([
          x.receive().then(() => x),
          y.receive().then(() => y),
        ])
        const other = asked === x ? y : x
        await other.send(["Q", "", "impostor"])
        expect(await nothingArrives(q, 150)).toBe(true)
        await asked.send(["Q", "", "genuine"])
        expect(strs(await within(q.receive(), 3000, "reply"))).toEqual(["genuine"])
      } finally {
        closeAll(x, y, q)
      }
    })

    it("REP restores the whole envelope (every frame up to the delimiter) on the reply (RFC 28 REP 'SHALL prepend the address envelope and delimiter')", async () => {
      const rep = new Reply()
      const d = new Dealer()
      try {
        await rep.bind(bindEndpoint(transport))
        d.connect(rep.lastEndpoint!)
        await d.send(["hop-1", "hop-2", "", "body-1", "body-2"])
        expect(strs(await within(rep.receive(), 3000, "request"))).toEqual(["body-1", "body-2"])
        await rep.send(["answer"])
        expect(strs(await within(d.receive(), 3000, "reply"))).toEqual(["hop-1", "hop-2", "", "answer"])
      } finally {
        closeAll(rep, d)
      }
    })

    it("REP drops a request without an empty delimiter and serves the next valid one (libzmq rep: malformed requests are discarded)", async () => {
      const rep = new Reply()
      const d = new Dealer()
      try {
        await rep.bind(bindEndpoint(transport))
        d.connect(rep.lastEndpoint!)
        await d.send(["no-delimiter"])
        await d.send(["still", "none"])
        await d.send(["", "valid"])
        expect(strs(await within(rep.receive(), 3000, "valid request"))).toEqual(["valid"])
        await rep.send("ok")
        expect(strs(await within(d.receive(), 3000, "reply"))).toEqual(["", "ok"])
        expect(await nothingArrives(rep, 100)).toBe(true)
      } finally {
        closeAll(rep, d)
      }
    })

    it("REP answers each of several peers through their own envelope, in fair-queue order", async () => {
      const rep = new Reply()
      const ds = [new Dealer(), new Dealer()]
      try {
        await rep.bind(bindEndpoint(transport))
        for (const d of ds) d.connect(rep.lastEndpoint!)
        await ds[0]!.send(["", "from-0"])
        await ds[1]!.send(["", "from-1"])
        for (let i = 0; i < 2; i++) {
          const [body] = await within(rep.receive(), 3000, "request")
          await rep.send(`re:${body!.toString()}`)
        }
        expect(strs(await within(ds[0]!.receive(), 3000, "d0"))).toEqual(["", "re:from-0"])
        expect(strs(await within(ds[1]!.receive(), 3000, "d1"))).toEqual(["", "re:from-1"])
      } finally {
        closeAll(rep, ...ds)
      }
    })
  })
}
