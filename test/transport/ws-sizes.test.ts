/**
 * ws:// message sizes on every runtime (issue 18: under Bun, `ws` is Bun's own module, whose
 * WebSocket has no receiver, so its limit cannot be raised after the handshake as under Node):
 * the handshake's 64 KiB limit gives way to maxMessageSize once the peer is ready, both ways,
 * and a message over either is refused with 1009 (from its header under Node; on arrival under Bun).
 */
import { Buffer } from "node:buffer"
import { afterEach, describe, expect, it } from "vitest"
import * as z from "../../src/index.js"
import { closeAfterEach, recordEvents, until, within } from "../helpers.js"
import { closeRawPeers, rawZws, readyBody, zf } from "./ws-helpers.js"

const track = closeAfterEach()
afterEach(() => closeRawPeers())

describe("ws:// message sizes", () => {
  it("after the handshake a message far over the handshake's 64 KiB limit arrives, both ways", async () => {
    const rep = track(new z.Reply())
    await rep.bind("ws://127.0.0.1:*/big")
    const req = track(new z.Request())
    req.connect(rep.lastEndpoint!)
    const big = Buffer.alloc(300 * 1024, 7)
    await req.send(big)
    const [got] = await within(rep.receive(), 5000, "the 300 KiB request")
    expect(got!.length).toBe(big.length)
    await rep.send(Buffer.concat([got!, got!]))
    const [back] = await within(req.receive(), 5000, "the 600 KiB reply")
    expect(back!.length).toBe(2 * big.length)
    expect(rep.statistics.protocolErrors).toBe(0)
  })

  it("a message over maxMessageSize after the handshake is refused with 1009 and counted", async () => {
    const pull = track(new z.Pull({ maxMessageSize: 1000 }))
    await pull.bind("ws://127.0.0.1:*/max")
    const events = recordEvents(pull)
    const peer = await rawZws(pull.lastEndpoint!, "ZWS2.0/NULL")
    peer.ws.send(zf(2, readyBody("PUSH")))
    await until(() => events.some((e) => e.type === "handshake"))
    peer.ws.send(zf(0, Buffer.alloc(5000, 1)))
    const received = pull.receive().then(() => "delivered", () => "closed")
    expect(await within(peer.closed, 3000, "close after an oversized message")).toBe(1009)
    await until(() => pull.statistics.protocolErrors > 0).catch(() => undefined)
    expect(pull.statistics.protocolErrors).toBe(1)
    expect(await Promise.race([received, new Promise((r) => setTimeout(() => r("not delivered"), 200))])).toBe("not delivered")
  })

  it("the connecting side refuses a message over its maxMessageSize too (Bun: its global WebSocket client)", async () => {
    const push = track(new z.Push())
    await push.bind("ws://127.0.0.1:*/down")
    const pull = track(new z.Pull({ maxMessageSize: 1000 }))
    pull.connect(push.lastEndpoint!)
    await push.send(Buffer.alloc(5000, 1))
    const received = pull.receive().then(() => "delivered", () => "closed")
    await until(() => pull.statistics.protocolErrors > 0)
    expect(pull.statistics.protocolErrors).toBeGreaterThanOrEqual(1)
    expect(await Promise.race([received, new Promise((r) => setTimeout(() => r("not delivered"), 200))])).toBe("not delivered")
  })

  it("before the handshake a message over 64 KiB is refused with 1009", async () => {
    const pull = track(new z.Pull())
    await pull.bind("ws://127.0.0.1:*/pre")
    const peer = await rawZws(pull.lastEndpoint!, "ZWS2.0/NULL")
    peer.ws.send(zf(2, Buffer.alloc(70 * 1024, 1)))
    expect(await within(peer.closed, 3000, "close after an oversized command")).toBe(1009)
  })
})
