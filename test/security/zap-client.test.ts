/**
 * The ZAP client (RFC 27) forgets a request whose handshake ended before the handler answered: the
 * peer left, or the handshake timer fired. Its entry must not wait in the client for a reply that a
 * slow or silent handler may never send (each one kept its engine alive), and a reply that does come
 * late must be dropped while later requests are still matched with their own replies.
 */
import { afterEach, describe, expect, it } from "vitest"
import { encodeCommand } from "../../src/codec/command.js"
import { Dealer, Router } from "../../src/index.js"
import { ZAP_ENDPOINT, ZAP_MAX_UNSENT, zapRequest, zapRequestsWaiting } from "../../src/mechanisms/zap-client.js"
import { closeAfterEach, recordEvents, strs, until, within } from "../helpers.js"
import { RawPeer } from "./raw.js"

const track = closeAfterEach()
const raws: RawPeer[] = []
afterEach(() => {
  for (const r of raws.splice(0)) r.destroy()
})

/** A raw PLAIN client that sends its HELLO (the server then asks ZAP) and waits. */
async function plainHello(endpoint: string): Promise<RawPeer> {
  const r = await RawPeer.connect(endpoint)
  raws.push(r)
  r.greet("PLAIN")
  r.send(encodeCommand("HELLO", Buffer.from("\x01u\x01p", "latin1")))
  return r
}

/** A handler at inproc://zeromq.zap.01 that keeps every request and answers only when told to. */
async function heldZapHandler() {
  const router = track(new Router())
  await router.bind("inproc://zeromq.zap.01")
  const requests: Buffer[][] = []
  void (async () => {
    for await (const m of router) requests.push(m)
  })()
  const answer = (req: Buffer[], status: string) => {
    const [id, delim, , requestId] = req
    return router.send([id!, delim!, "1.0", requestId!, status, status === "200" ? "OK" : "denied", "", ""])
  }
  return { requests, answer }
}

describe("ZAP requests of handshakes that ended", () => {
  it("are forgotten when the peer leaves or the handshake timer fires; late replies are dropped", async () => {
    const zap = await heldZapHandler()
    const server = track(new Router({ plainServer: true, handshakeInterval: 500 }))
    await server.bind("tcp://127.0.0.1:*")
    const events = recordEvents(server)
    const base = zapRequestsWaiting()

    const leaving = await Promise.all([1, 2, 3].map(() => plainHello(server.lastEndpoint!)))
    const staying = await plainHello(server.lastEndpoint!)
    await until(() => zap.requests.length === 4, 3000, "4 ZAP requests")
    expect(zapRequestsWaiting()).toBe(base + 4)

    // Three peers leave while their requests are out.
    for (const r of leaving) r.destroy()
    await until(() => events.filter((e) => e.type === "disconnect").length === 3, 3000, "3 disconnects")
    expect(zapRequestsWaiting()).toBe(base + 1)
    // The fourth is ended by the handshake timer.
    await staying.waitClosed(5000)
    await until(() => events.filter((e) => e.type === "disconnect").length === 4, 3000, "4th disconnect")
    expect(zapRequestsWaiting()).toBe(base)

    // The handler answers at last: nothing is left to apply these to...
    for (const req of zap.requests.splice(0)) await zap.answer(req, "200")
    // ...and the next request is still matched with its own reply.
    const dealer = track(new Dealer({ plainUsername: "admin", plainPassword: "secret" }))
    dealer.connect(server.lastEndpoint!)
    await until(() => zap.requests.length === 1, 3000, "the next ZAP request")
    expect(zapRequestsWaiting()).toBe(base + 1)
    await zap.answer(zap.requests[0]!, "200")
    await dealer.send("after")
    const [, body] = await within(server.receive(), 3000)
    expect(strs([body!])).toEqual(["after"])
    expect(zapRequestsWaiting()).toBe(base)
  })
})

describe("a ZAP handler that does not read", () => {
  it("costs at most ZAP_MAX_UNSENT queued requests: later ones fail at once with 500", async () => {
    const handler = track(new Router({ receiveHighWaterMark: 1, linger: 0 }))
    await handler.bind(ZAP_ENDPOINT)
    const replies: string[] = []
    const forgets: (() => void)[] = []
    const credentials = [Buffer.from("domain"), Buffer.from("127.0.0.1"), Buffer.alloc(0), Buffer.from("PLAIN"), Buffer.alloc(200, 0x75), Buffer.alloc(200, 0x70)]
    const total = ZAP_MAX_UNSENT * 3
    for (let i = 0; i < total; i++) {
      const f = zapRequest(credentials, (r) => replies.push(r ? r[0]!.toString() : "none"))
      expect(f).toBeDefined()
      forgets.push(f!)
      // Let the client's engine write what the transport takes.
      if (i % 100 === 0) await new Promise((r) => setImmediate(r))
    }
    // Every request either waits or has failed fast; none is answered (the handler reads nothing).
    await until(() => replies.length + zapRequestsWaiting() === total, 5000, "every request accounted for")
    // What waits is bounded: the unsent queue plus one write budget the transport took in.
    expect(zapRequestsWaiting()).toBeLessThan(2 * ZAP_MAX_UNSENT)
    expect(new Set(replies)).toEqual(new Set(["500"]))
    for (const f of forgets) f()
    expect(zapRequestsWaiting()).toBe(0)
  })
})
