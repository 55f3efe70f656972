/**
 * Hostile and broken peers against PLAIN and CURVE (RFC 24, RFC 26): malformed, misordered and
 * forged handshake commands, replayed nonces, downgrade attempts, oversized metadata
 * (CVE-2019-13132 class) and stalled handshakes (CVE-2020-15166 class). In every case the connection
 * closes and nothing the peer sent is delivered; the socket keeps serving honest peers.
 */
import { afterEach, describe, expect, it } from "vitest"
import { encodeCommand } from "../../src/codec/command.js"
import { encodeMessage } from "../../src/codec/frame-encoder.js"
import { Reply, Request } from "../../src/index.js"
import { curveKeyPair, toKey } from "../../src/mechanisms/curve-keys.js"
import { CurveClient, CurveServer } from "../../src/mechanisms/curve.js"
import { closeAll, nothingArrives, strs, within } from "../helpers.js"
import { nextEvent } from "./helpers.js"
import { RawPeer, rawServer } from "./raw.js"

const open: { close(): void; closed?: boolean }[] = []
const raws: RawPeer[] = []
afterEach(() => {
  closeAll(...open.splice(0))
  for (const r of raws.splice(0)) r.destroy()
})
function track<T extends { close(): void }>(s: T): T {
  open.push(s)
  return s
}
async function raw(endpoint: string): Promise<RawPeer> {
  const r = await RawPeer.connect(endpoint)
  raws.push(r)
  return r
}

const server = curveKeyPair()
const client = curveKeyPair()
const REQ_PROPS = [
  ["Socket-Type", "REQ"],
  ["Identity", ""],
] as const

function curveClient(props: ReadonlyArray<readonly [string, string | Buffer]> = REQ_PROPS): CurveClient {
  return new CurveClient(props, toKey(client.publicKey), toKey(client.secretKey), toKey(server.publicKey))
}

async function curveRep(): Promise<Reply> {
  const rep = track(new Reply({ curveServer: true, curveSecretKey: server.secretKey }))
  await rep.bind("tcp://127.0.0.1:*")
  return rep
}

/** Flips one octet of a command frame's body (after the 2- or 9-octet header). */
function corrupt(frame: Buffer, bodyOffset: number): Buffer {
  const out = Buffer.from(frame)
  const hs = out[0]! & 0x02 ? 9 : 2
  out[hs + bodyOffset]! ^= 0x01
  return out
}

/** Runs a raw CURVE client through HELLO/WELCOME; returns the peer, the mechanism and its INITIATE frame. */
async function toInitiate(rep: Reply, props?: ReadonlyArray<readonly [string, string | Buffer]>) {
  const r = await raw(rep.lastEndpoint!)
  const mech = curveClient(props)
  r.greet("CURVE")
  r.send(...mech.start().send!)
  const welcome = await r.command(0)
  expect(welcome.name).toBe("WELCOME")
  const initiate = mech.onCommand(welcome).send![0]!
  return { r, mech, initiate }
}

describe("CURVE server against malformed client commands", () => {
  it("HELLO one octet short, with a wrong name, or with a corrupted box gets no WELCOME and is closed", async () => {
    const rep = await curveRep()
    const hello = curveClient().start().send![0]!
    const body = hello.subarray(2)
    const variants = [
      encodeCommand("HELLO", body.subarray(6, body.length - 1)),
      encodeCommand("HALLO", body.subarray(6)),
      corrupt(hello, 150),
      corrupt(hello, 6), // version 1.0 -> 0.0
    ]
    for (const v of variants) {
      const r = await raw(rep.lastEndpoint!)
      r.greet("CURVE")
      r.send(v)
      await r.waitClosed()
      expect(r.commands.filter((c) => c.name === "WELCOME")).toEqual([])
    }
  })

  it("INITIATE before HELLO, with a bad cookie, or with a corrupted box gets no READY and is closed", async () => {
    const rep = await curveRep()
    // Out of order: INITIATE first.
    const first = await raw(rep.lastEndpoint!)
    first.greet("CURVE")
    first.send(encodeCommand("INITIATE", Buffer.alloc(300)))
    await first.waitClosed()
    // Bad cookie (octet 20 of the body is inside the cookie box), corrupted initiate box.
    for (const offset of [9 + 20, 9 + 96 + 8 + 30]) {
      const { r, initiate } = await toInitiate(rep)
      r.send(corrupt(initiate, offset))
      await r.waitClosed()
      expect(r.commands.map((c) => c.name)).toEqual(["WELCOME"])
    }
    expect(await nothingArrives(rep)).toBe(true)
  })

  it("a cookie from another connection is refused (cookies are bound to their short-term keys)", async () => {
    const rep = await curveRep()
    const a = await toInitiate(rep)
    const b = await toInitiate(rep)
    // b's INITIATE carries b's cookie; sent on a's connection it must not open.
    a.r.send(b.initiate)
    await a.r.waitClosed()
    expect(a.r.commands.map((c) => c.name)).toEqual(["WELCOME"])
  })

  it("an INITIATE carrying 60 KiB of metadata (CVE-2019-13132 class) is handled: no crash, the socket serves on", async () => {
    const rep = await curveRep()
    const { r, mech, initiate } = await toInitiate(rep, [...REQ_PROPS, ["X-Big", Buffer.alloc(60 * 1024, 0x41)]])
    r.send(initiate)
    const ready = await r.command(1)
    expect(ready.name).toBe("READY")
    mech.onCommand(ready)
    r.send(mech.codec.encodeMessage([Buffer.alloc(0), Buffer.from("big-meta")]))
    expect(strs(await within(rep.receive(), 3000))).toEqual(["big-meta"])
  })

  it("an INITIATE above the 64 KiB pre-auth command limit closes that connection only; the socket serves on", async () => {
    const rep = await curveRep()
    const { r, initiate } = await toInitiate(rep, [...REQ_PROPS, ["X-Big", Buffer.alloc(64 * 1024, 0x41)]])
    r.send(initiate)
    await r.waitClosed()
    const { r: r2, mech: mech2, initiate: ok } = await toInitiate(rep)
    r2.send(ok)
    mech2.onCommand(await r2.command(1))
    r2.send(mech2.codec.encodeMessage([Buffer.alloc(0), Buffer.from("after")]))
    expect(strs(await within(rep.receive(), 3000))).toEqual(["after"])
  })

  it("a replayed MESSAGE closes the connection; the original is delivered once", async () => {
    const rep = await curveRep()
    const { r, mech, initiate } = await toInitiate(rep)
    r.send(initiate)
    mech.onCommand(await r.command(1))
    const msg = mech.codec.encodeMessage([Buffer.alloc(0), Buffer.from("once")])
    r.send(msg)
    expect(strs(await within(rep.receive(), 3000))).toEqual(["once"])
    await rep.send("reply")
    r.send(msg)
    await r.waitClosed()
    expect(await nothingArrives(rep)).toBe(true)
  })

  it("a plaintext message after the handshake is refused (every frame must be boxed)", async () => {
    const rep = await curveRep()
    const { r, mech, initiate } = await toInitiate(rep)
    r.send(initiate)
    mech.onCommand(await r.command(1))
    r.send(encodeMessage([Buffer.alloc(0), Buffer.from("clear")]))
    await r.waitClosed()
    expect(await nothingArrives(rep)).toBe(true)
  })

  it("downgrade attempts (ZMTP 2.0 greeting, ZMTP 3.0 with NULL) never deliver a message", async () => {
    const rep = await curveRep()
    const v2 = await raw(rep.lastEndpoint!)
    // RFC 15 greeting: signature, revision 1, socket type REQ, empty identity; then a message.
    v2.send(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 3, 0, 0]), Buffer.from([1, 0, 0, 5, ...Buffer.from("hello")]))
    await v2.waitClosed()
    const nul = await raw(rep.lastEndpoint!)
    nul.greet("NULL")
    nul.send(encodeCommand("READY", Buffer.from("\x0bSocket-Type\x00\x00\x00\x03REQ", "latin1")), encodeMessage([Buffer.alloc(0), Buffer.from("x")]))
    await nul.waitClosed()
    expect(await nothingArrives(rep)).toBe(true)
  })
})

describe("CURVE client against a malformed server", () => {
  async function scenario(answer: (r: RawPeer, hello: Buffer) => Promise<void>) {
    const srv = await rawServer((r) => {
      r.greet("CURVE", true)
      void r
        .command(0)
        .then((hello) => answer(r, Buffer.concat([Buffer.from([5]), Buffer.from("HELLO"), hello.data])))
        .catch(() => {})
    })
    open.push(srv)
    const req = track(new Request({ curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey, reconnectInterval: 10000 }))
    const failed = nextEvent(req, "handshake:error:protocol")
    req.connect(srv.endpoint)
    return (await failed).error as { code?: string }
  }

  it("WELCOME of the wrong size", async () => {
    const e = await scenario(async (r) => r.send(encodeCommand("WELCOME", Buffer.alloc(100))))
    expect(e.code).toBe("ERR_ZMTP_COMMAND")
  })

  it("WELCOME with a forged box", async () => {
    const e = await scenario(async (r) => r.send(encodeCommand("WELCOME", Buffer.alloc(160, 9))))
    expect(e.code).toBe("ERR_ZMTP_CRYPTOGRAPHIC")
  })

  it("READY before WELCOME, and READY with a corrupted box", async () => {
    const early = await scenario(async (r) => r.send(encodeCommand("READY", Buffer.alloc(40))))
    expect(early.code).toBe("ERR_ZMTP_UNEXPECTED_COMMAND")
    const bad = await scenario(async (r, helloBody) => {
      // A real server mechanism makes a valid WELCOME; its READY then gets corrupted.
      const mech = new CurveServer([["Socket-Type", "REP"]], toKey(server.secretKey), { domain: "", address: "", identity: Buffer.alloc(0) })
      r.send(...mech.onCommand({ name: "HELLO", data: helloBody.subarray(6) }).send!)
      const init = await r.command(1)
      mech.onCommand(init)
      const ready = mech.onZapReply(undefined).send![0]!
      r.send(corrupt(ready, 20))
    })
    expect(bad.code).toBe("ERR_ZMTP_CRYPTOGRAPHIC")
  })
})

describe("PLAIN server against malformed clients", () => {
  it("a HELLO whose username runs past the command, and INITIATE before HELLO, are closed without WELCOME", async () => {
    const rep = track(new Reply({ plainServer: true }))
    await rep.bind("tcp://127.0.0.1:*")
    for (const bad of [encodeCommand("HELLO", Buffer.from([200, 0x41])), encodeCommand("INITIATE")]) {
      const r = await raw(rep.lastEndpoint!)
      r.greet("PLAIN")
      r.send(bad)
      await r.waitClosed()
      expect(r.commands).toEqual([])
    }
    expect(await nothingArrives(rep)).toBe(true)
  })
})

describe("stalled handshakes (CVE-2020-15166 class)", () => {
  it("100 connections stuck mid-handshake do not stop an honest CURVE client", async () => {
    const rep = await curveRep()
    const hello = curveClient().start().send![0]!
    const stalled: RawPeer[] = []
    for (let i = 0; i < 100; i++) {
      const r = await raw(rep.lastEndpoint!)
      // A third send half a greeting, a third a greeting only, a third half a HELLO.
      if (i % 3 === 0) r.send(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3]))
      else {
        r.greet("CURVE")
        if (i % 3 === 2) r.send(hello.subarray(0, 100))
      }
      stalled.push(r)
    }
    const req = track(new Request({ curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey }))
    req.connect(rep.lastEndpoint!)
    await req.send("honest")
    expect(strs(await within(rep.receive(), 5000))).toEqual(["honest"])
    await rep.send("served")
    expect(strs(await within(req.receive(), 5000))).toEqual(["served"])
    expect(stalled.every((r) => !r.closed)).toBe(true)
  })
})
