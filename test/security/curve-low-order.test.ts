/**
 * CURVE public keys that are low-order points of Curve25519. X25519 with such a point gives the
 * all-zero shared secret whatever the secret key (RFC 7748 section 6.1), so every box "between" the
 * two keys is keyed with a value anyone can compute: a peer announcing one could forge its boxes.
 * libsodium's crypto_box_beforenm refuses them, and libzmq then fails the handshake with
 * ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC on either side (probed with zeromq.js: a client given a
 * zero server key, and a server sent a HELLO with a zero C'). zmtp must do the same: a typed
 * ProtocolError ERR_ZMTP_CRYPTOGRAPHIC, never an untyped throw, wherever the key comes from: C' in
 * HELLO, C in INITIATE, S' in WELCOME, or the configured server key S.
 */
import { hsalsa } from "@noble/ciphers/salsa"
import { x25519 } from "@noble/curves/ed25519"
import { describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import { encodeCommand } from "../../src/codec/command.js"
import { Reply, Request } from "../../src/index.js"
import { boxKey, curveKeyPair, nonce, rawKeyPair, seal, toKey } from "../../src/mechanisms/curve-keys.js"
import { CurveClient } from "../../src/mechanisms/curve.js"
import { z85Encode } from "../../src/mechanisms/z85.js"
import { closeAfterEach, itLibzmq } from "../helpers.js"
import { nextEvent } from "./helpers.js"
import { RawPeer, rawServer } from "./raw.js"

const track = closeAfterEach()

const P = 2n ** 255n - 19n
/**
 * The low-order points of Curve25519 as u-coordinates (libsodium's blocklist): 0 and 1, the two
 * points of order 8, p-1, and the non-canonical p and p+1; each also with bit 255 set, which X25519
 * ignores (RFC 7748 section 5).
 */
const LOW_ORDER: bigint[] = (() => {
  const canonical = [
    0n,
    1n,
    325606250916557431795983626356110631294008115727848805560023387167927233504n,
    39382357235489614581723060781553021112529911719440698176882885853963445705823n,
    P - 1n,
    P,
    P + 1n,
  ]
  return [...canonical, ...canonical.map((u) => u + 2n ** 255n)]
})()

/** 32 octets, little-endian (RFC 7748's encoding of u). */
function le(u: bigint): Buffer {
  const b = Buffer.alloc(32)
  for (let i = 0; i < 32; i++) b[i] = Number((u >> BigInt(8 * i)) & 0xffn)
  return b
}
const label = (u: bigint) => le(u).toString("hex")

/** The box key of the all-zero shared secret: what a forger would use (HSalsa20 of zeros). */
function zeroBoxKey(): Uint8Array {
  const sigma = new Uint32Array(new Uint8Array(Buffer.from("expand 32-byte k", "latin1")).buffer)
  const out = new Uint32Array(8)
  hsalsa(sigma, new Uint32Array(8), new Uint32Array(4), out)
  return new Uint8Array(out.buffer)
}

const server = curveKeyPair()
const client = curveKeyPair()
const PROPS = [["Socket-Type", "REQ"]] as const

async function curveRep(): Promise<Reply> {
  const rep = track(new Reply({ curveServer: true, curveSecretKey: server.secretKey }))
  await rep.bind("tcp://127.0.0.1:*")
  return rep
}

/** Runs `run` and expects `sock` to report its handshake failed with ERR_ZMTP_CRYPTOGRAPHIC. */
async function expectCryptoFailure(sock: Parameters<typeof nextEvent>[0], run: () => Promise<unknown>): Promise<void> {
  const failed = nextEvent(sock, "handshake:error:protocol")
  await run()
  const e = await failed
  expect((e.error as { code?: string }).code).toBe("ERR_ZMTP_CRYPTOGRAPHIC")
}

describe("the list itself", () => {
  it("every point gives an all-zero X25519 result (or is refused by the library)", () => {
    const sk = rawKeyPair().sec
    for (const u of LOW_ORDER) {
      let zero: boolean
      try {
        zero = x25519.getSharedSecret(sk, le(u)).every((b) => b === 0)
      } catch {
        zero = true
      }
      expect(zero, label(u)).toBe(true)
    }
  })

  it("boxKey refuses each with a typed ERR_ZMTP_CRYPTOGRAPHIC", () => {
    const sk = rawKeyPair().sec
    for (const u of LOW_ORDER) expect(() => boxKey(le(u), sk), label(u)).toThrow(expect.objectContaining({ code: "ERR_ZMTP_CRYPTOGRAPHIC" }))
  })
})

describe("a CURVE server refuses a low-order client key", () => {
  it("as C' in HELLO (the box made with the all-zero key a forger knows)", async () => {
    const rep = await curveRep()
    for (const u of LOW_ORDER) {
      await expectCryptoFailure(rep, async () => {
        const r = await RawPeer.connect(rep.lastEndpoint!)
        const n = Buffer.from([0, 0, 0, 0, 0, 0, 0, 1])
        const box = seal(zeroBoxKey(), nonce("CurveZMQHELLO---", n), new Uint8Array(64))
        r.greet("CURVE")
        r.send(encodeCommand("HELLO", Buffer.concat([Buffer.from([1, 0]), Buffer.alloc(72), le(u), n, box])))
        await r.waitClosed()
        expect(r.commands.map((c) => c.name), label(u)).toEqual([])
        r.destroy()
      })
    }
  })

  it("as the long-term key C in INITIATE", async () => {
    const rep = await curveRep()
    for (const u of LOW_ORDER) {
      await expectCryptoFailure(rep, async () => {
        const r = await RawPeer.connect(rep.lastEndpoint!)
        const mech = new CurveClient(PROPS, le(u), rawKeyPair().sec, toKey(server.publicKey))
        r.greet("CURVE")
        r.send(...mech.start().send!)
        r.send(...mech.onCommand(await r.command(0)).send!)
        await r.waitClosed()
        expect(r.commands.map((c) => c.name), label(u)).toEqual(["WELCOME"])
        r.destroy()
      })
    }
  })

  itLibzmq("libzmq does the same with C' = 0 and an order-8 point", async () => {
    const rep = track(new zmq.Reply({ curveServer: true, curveSecretKey: server.secretKey }))
    await rep.bind("tcp://127.0.0.1:*")
    for (const u of [LOW_ORDER[0]!, LOW_ORDER[2]!]) {
      await expectCryptoFailure(rep as unknown as Parameters<typeof nextEvent>[0], async () => {
        const r = await RawPeer.connect(rep.lastEndpoint!)
        const n = Buffer.from([0, 0, 0, 0, 0, 0, 0, 1])
        const box = seal(zeroBoxKey(), nonce("CurveZMQHELLO---", n), new Uint8Array(64))
        r.greet("CURVE")
        r.send(encodeCommand("HELLO", Buffer.concat([Buffer.from([1, 0]), Buffer.alloc(72), le(u), n, box])))
        await r.waitClosed()
        r.destroy()
      })
    }
  })
})

describe("a CURVE client refuses a low-order server key", () => {
  it("as the configured server key S (nothing is sent), as libzmq does", async () => {
    const rep = await curveRep()
    for (const u of LOW_ORDER) {
      const req = track(new Request({ curveServerKey: z85Encode(le(u)), curvePublicKey: client.publicKey, curveSecretKey: client.secretKey, reconnectInterval: 60_000 }))
      await expectCryptoFailure(req, async () => req.connect(rep.lastEndpoint!))
      req.close()
    }
  })

  itLibzmq("libzmq refuses the configured server key S = 0 too", async () => {
    const rep = await curveRep()
    const lz = track(new zmq.Request({ curveServerKey: z85Encode(le(0n)), curvePublicKey: client.publicKey, curveSecretKey: client.secretKey, reconnectInterval: 60_000 }))
    await expectCryptoFailure(lz as unknown as Parameters<typeof nextEvent>[0], async () => lz.connect(rep.lastEndpoint!))
  })

  it("as S' in WELCOME (a server that knows s boxes a low-order short-term key)", async () => {
    const s = toKey(server.secretKey)
    const points = [...LOW_ORDER]
    const raw = await rawServer((p) => {
      const u = points.shift()!
      p.greet("CURVE", true)
      void (async () => {
        const hello = await p.command(0)
        const clientShort = hello.data.subarray(74, 106)
        const wn = Buffer.alloc(16, 7)
        const box = seal(boxKey(clientShort, s), nonce("WELCOME-", wn), Buffer.concat([le(u), Buffer.alloc(96, 1)]))
        p.send(encodeCommand("WELCOME", Buffer.concat([wn, box])))
      })().catch(() => {})
    })
    try {
      for (const u of LOW_ORDER) {
        const req = track(new Request({ curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey, reconnectInterval: 60_000 }))
        await expectCryptoFailure(req, async () => req.connect(raw.endpoint))
        req.close()
        expect(points.length, label(u)).toBe(LOW_ORDER.length - 1 - LOW_ORDER.indexOf(u))
      }
    } finally {
      raw.close()
    }
  })
})
