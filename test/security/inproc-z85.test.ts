/** The inproc transport (for ZAP, RFC 27 "Architecture") and Z85 (RFC 32) / key helpers. */
import { describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import { Dealer, Reply, Request, Router } from "../../src/index.js"
import { curveKeyPair, curvePublicKey } from "../../src/mechanisms/curve-keys.js"
import { z85Decode, z85Encode } from "../../src/mechanisms/z85.js"
import { closeAfterEach, strs, within } from "../helpers.js"

const track = closeAfterEach()

describe("inproc", () => {
  it("REQ/REP and DEALER/ROUTER pass messages in process", async () => {
    const rep = track(new Reply())
    await rep.bind("inproc://sec-reqrep")
    const req = track(new Request())
    req.connect("inproc://sec-reqrep")
    await req.send(["a", "b"])
    expect(strs(await within(rep.receive(), 2000))).toEqual(["a", "b"])
    await rep.send("c")
    expect(strs(await within(req.receive(), 2000))).toEqual(["c"])

    const router = track(new Router())
    await router.bind("inproc://sec-dr")
    const dealer = track(new Dealer({ routingId: "D" }))
    dealer.connect("inproc://sec-dr")
    await dealer.send("x")
    const [id, x] = await within(router.receive(), 2000)
    expect([id!.toString(), x!.toString()]).toEqual(["D", "x"])
  })

  it("a connect before the bind completes once the name is bound (libzmq 4.x)", async () => {
    const req = track(new Request())
    req.connect("inproc://sec-late")
    const sent = req.send("early")
    const rep = track(new Reply())
    await rep.bind("inproc://sec-late")
    await sent
    expect(strs(await within(rep.receive(), 2000))).toEqual(["early"])
  })

  it("binding a bound name fails with EADDRINUSE; unbind frees it", async () => {
    const a = track(new Reply())
    await a.bind("inproc://sec-dup")
    const b = track(new Reply())
    await expect(b.bind("inproc://sec-dup")).rejects.toMatchObject({ code: "EADDRINUSE" })
    await a.unbind("inproc://sec-dup")
    await b.bind("inproc://sec-dup")
  })
})

describe("Z85 and keys", () => {
  it("RFC 32 test vector", () => {
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])
    expect(z85Encode(bytes)).toBe("HelloWorld")
    expect(z85Decode("HelloWorld").equals(bytes)).toBe(true)
  })

  it("refuses bad lengths and characters", () => {
    expect(() => z85Encode(Buffer.alloc(3))).toThrow()
    expect(() => z85Decode("Hell")).toThrow()
    expect(() => z85Decode("Hell~")).toThrow()
  })

  it("curveKeyPair makes 40-character Z85 keys; the public key derives from the secret as libzmq does", () => {
    const k = curveKeyPair()
    expect(k.publicKey).toHaveLength(40)
    expect(k.secretKey).toHaveLength(40)
    expect(curvePublicKey(k.secretKey)).toBe(k.publicKey)
    const l = zmq.curveKeyPair()
    expect(curvePublicKey(l.secretKey)).toBe(l.publicKey)
  })
})
