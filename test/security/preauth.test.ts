/**
 * Before authentication, a peer costs us at most one bounded frame (DESIGN.md "Budgets, not hopes").
 *
 * Raw peers attack servers before their handshake completes: NULL with a ZAP domain (the handler
 * never answers, or denies after a second), PLAIN before HELLO and with HELLO waiting for ZAP, CURVE
 * without a key and with INITIATE waiting for ZAP. Each floods one of: a stream of MORE frames, one
 * data frame declaring 128 MiB trickled in, one command declaring 128 MiB trickled in. The servers
 * allow 256 MiB messages, so nothing but the handshake's own bound may stop these.
 *
 * Criterion (issue 14): the connection is closed, or the server stops reading from it until the
 * handshake timer closes it, before the peer has pushed 4 MiB; with 200 such connections at once the
 * process grows by less than 32 MiB (heap plus Buffers, counted once on every runtime: heldMemory;
 * a generous ceiling).
 */
import { afterEach, describe, expect, it } from "vitest"
import { encodeCommand, encodeReady } from "../../src/codec/command.js"
import { HANDSHAKE_MAX_COMMAND_SIZE } from "../../src/codec/frame-decoder.js"
import { Router } from "../../src/index.js"
import { curveKeyPair, toKey } from "../../src/mechanisms/curve-keys.js"
import { CurveClient } from "../../src/mechanisms/curve.js"
import { frame } from "../../spec-tests/wire/raw-peer.js"
import { closeAfterEach, nothingArrives } from "../helpers.js"
import { getGc, heldMemory, startZapHandler } from "./helpers.js"
import { RawPeer } from "./raw.js"

const track = closeAfterEach()
const raws: RawPeer[] = []
afterEach(() => {
  for (const r of raws.splice(0)) r.destroy()
})
async function raw(endpoint: string): Promise<RawPeer> {
  const r = await RawPeer.connect(endpoint)
  raws.push(r)
  return r
}

const MiB = 1024 * 1024
/** The servers' maxMessageSize: far above anything the handshake may let through. */
const MAX_MESSAGE = 256 * MiB
/** The servers' handshake timer: it ends a connection the server stopped reading from. */
const HANDSHAKE_MS = 1500
const CHUNK = Buffer.alloc(16 * 1024, 0x61)

const serverKeys = curveKeyPair()
const clientKeys = curveKeyPair()
const serverOpts = { maxMessageSize: MAX_MESSAGE, handshakeInterval: HANDSHAKE_MS, linger: 0 }
type ServerOpts = typeof serverOpts

/** A server kind, and what a peer sends to get as far as it lets an unauthenticated peer go. */
interface Target {
  name: string
  /** The ZAP handler's behaviour: null never answers. */
  zap: { status: "400" | null; delayMs?: number }
  server(opts: ServerOpts): Router
  prelude(r: RawPeer): Promise<void>
}

const nullTarget = (name: string, zap: Target["zap"]): Target => ({
  name,
  zap,
  server: (opts) => new Router({ ...opts, zapDomain: "preauth" }),
  prelude: async (r) => {
    // Our READY is legal here (RFC 23 lets either side send READY first); the server holds it while
    // its ZAP request is out.
    r.greet("NULL")
    r.send(encodeReady([["Socket-Type", "DEALER"]]))
  },
})

const TARGETS: Target[] = [
  nullTarget("NULL with a ZAP domain, handler never answers", { status: null }),
  nullTarget("NULL with a ZAP domain, handler denies after 1 s", { status: "400", delayMs: 1000 }),
  {
    name: "PLAIN server before HELLO",
    zap: { status: null },
    server: (opts) => new Router({ ...opts, plainServer: true }),
    prelude: async (r) => r.greet("PLAIN"),
  },
  {
    name: "PLAIN server, HELLO waiting for a handler that never answers",
    zap: { status: null },
    server: (opts) => new Router({ ...opts, plainServer: true }),
    prelude: async (r) => {
      r.greet("PLAIN")
      r.send(encodeCommand("HELLO", Buffer.from("\x05admin\x06secret", "latin1")))
    },
  },
  {
    name: "CURVE server, peer without a key",
    zap: { status: null },
    server: (opts) => new Router({ ...opts, curveServer: true, curveSecretKey: serverKeys.secretKey }),
    prelude: async (r) => r.greet("CURVE"),
  },
  {
    name: "CURVE server, INITIATE waiting for a handler that never answers",
    zap: { status: null },
    server: (opts) => new Router({ ...opts, curveServer: true, curveSecretKey: serverKeys.secretKey, zapDomain: "preauth" }),
    prelude: async (r) => {
      const mech = new CurveClient([["Socket-Type", "DEALER"]], toKey(clientKeys.publicKey), toKey(clientKeys.secretKey), toKey(serverKeys.publicKey))
      r.greet("CURVE")
      r.send(...mech.start().send!)
      // Generous: in the 200-peers case forty of these handshakes share the CPU at once (a full
      // run on 2 cores once took over 3 s to answer one).
      const welcome = await r.command(0, 15_000)
      r.send(...mech.onCommand(welcome).send!)
    },
  },
]

/** Chunk sources for RawPeer.push: each call of a shape starts a fresh flood. */
const SHAPES: { name: string; flood(): () => Buffer }[] = [
  {
    name: "a stream of MORE frames",
    flood: () => {
      const f = frame(CHUNK, { more: true })
      return () => f
    },
  },
  {
    name: "one 128 MiB data frame trickled in",
    flood: () => {
      let head: Buffer | undefined = frame(Buffer.alloc(0), { declaredSize: 128n * BigInt(MiB), long: true })
      return () => {
        const h = head
        head = undefined
        return h ?? CHUNK
      }
    },
  },
  {
    name: "one 128 MiB command trickled in",
    flood: () => {
      let head: Buffer | undefined = frame(Buffer.alloc(0), { declaredSize: 128n * BigInt(MiB), long: true, command: true })
      return () => {
        const h = head
        head = undefined
        return h ?? CHUNK
      }
    },
  },
]

async function startTarget(t: Target): Promise<Router> {
  track(await startZapHandler(() => t.zap.status, { delayMs: t.zap.delayMs }))
  const server = track(t.server(serverOpts))
  await server.bind("tcp://127.0.0.1:*")
  return server
}

describe("an unauthenticated peer is held to one bounded frame", () => {
  for (const t of TARGETS) {
    for (const shape of SHAPES) {
      it(`${t.name}: ${shape.name}`, async () => {
        const server = await startTarget(t)
        const r = await raw(server.lastEndpoint!)
        await t.prelude(r)
        const { pushed, outcome } = await r.push(shape.flood(), 8 * MiB)
        if (process.env.PREAUTH_VERBOSE) console.log(`${t.name}: ${shape.name}: ${outcome} after ${pushed} octets`)
        expect(outcome, `pushed ${pushed} octets`).not.toBe("cap")
        expect(pushed).toBeLessThan(4 * MiB)
        // Closed at once, or (server no longer reading) by the handshake timer.
        await r.waitClosed(HANDSHAKE_MS + 5000)
        expect(await nothingArrives(server)).toBe(true)
      })
    }
  }
})

describe("the one frame an unauthenticated peer may cost", () => {
  it("a command at the pre-auth limit, trickled in while ZAP is asked, is read once and then fails the handshake", async () => {
    // The engine keeps reading while the ZAP request is out (a peer that leaves is noticed at once);
    // what it reads cannot pile up: PLAIN expects no command until the handler answers.
    const plainWaiting = TARGETS.find((t) => t.name.startsWith("PLAIN server, HELLO waiting"))!
    const server = await startTarget(plainWaiting)
    const r = await raw(server.lastEndpoint!)
    await plainWaiting.prelude(r)
    const limit = HANDSHAKE_MAX_COMMAND_SIZE
    let head: Buffer | undefined = frame(Buffer.alloc(0), { declaredSize: BigInt(limit), long: true, command: true })
    const { pushed, outcome } = await r.push(() => {
      const h = head
      head = undefined
      return h ?? CHUNK
    }, 8 * MiB)
    expect(outcome).toBe("closed")
    expect(pushed).toBeGreaterThan(limit)
    expect(pushed).toBeLessThan(4 * MiB)
    expect(await nothingArrives(server)).toBe(true)
  })
})

describe("200 unauthenticated peers at once", () => {
  it("every connection ends before its peer pushed 1 MiB, and the process holds less than 32 MiB more", async () => {
    const gc = getGc()
    // One silent handler serves every server here: the NULL, PLAIN-after-HELLO and CURVE-after-
    // INITIATE connections all wait on it. The handshake timer is long, so that what the servers
    // hold is measured while every connection is still theirs to hold.
    track(await startZapHandler(() => null))
    const targets = TARGETS.filter((t) => t.zap.status === null)
    const servers: Router[] = []
    for (const t of targets) {
      const s = track(t.server({ ...serverOpts, handshakeInterval: 20_000 }))
      await s.bind("tcp://127.0.0.1:*")
      servers.push(s)
    }
    const usage = heldMemory
    gc()
    const base = usage()
    const peers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const k = i % targets.length
        const shape = SHAPES[Math.floor(i / targets.length) % SHAPES.length]!
        const r = await raw(servers[k]!.lastEndpoint!)
        await targets[k]!.prelude(r)
        return { r, ...(await r.push(shape.flood(), MiB)), what: `${targets[k]!.name}: ${shape.name}` }
      }),
    )
    gc()
    const held = usage() - base
    if (process.env.PREAUTH_VERBOSE) console.log(`200 peers: held ${(held / MiB).toFixed(1)} MiB, pushed at most ${Math.max(...peers.map((p) => p.pushed))} octets`)
    for (const p of peers) expect(p.outcome, `${p.what}: pushed ${p.pushed}`).not.toBe("cap")
    expect(held, `held ${(held / MiB).toFixed(1)} MiB more`).toBeLessThan(32 * MiB)
    await Promise.all(peers.map((p) => p.r.waitClosed(25_000)))
    for (const s of servers) expect(await nothingArrives(s, 50)).toBe(true)
  }, 90_000)
})

describe("200 unauthenticated peers each holding one large command", () => {
  // At the pre-auth limit the frame is held until the handshake timer; at the old 1 MiB limit it is
  // refused at its header now (it used to be held: 200 MiB).
  for (const size of [HANDSHAKE_MAX_COMMAND_SIZE, 1 << 20]) {
    it(`cost less than 32 MiB together (each declares ${size} octets and sends all but the last)`, async () => {
      const gc = getGc()
      const server = track(new Router({ ...serverOpts, zapDomain: "preauth", handshakeInterval: 20_000 }))
      track(await startZapHandler(() => null))
      await server.bind("tcp://127.0.0.1:*")
      const usage = heldMemory
      // One body shared by every peer, so the attackers themselves hold one copy only.
      const body = Buffer.alloc(size - 1, 0x61)
      const head = frame(Buffer.alloc(0), { declaredSize: BigInt(size), long: true, command: true })
      gc()
      const base = usage()
      const peers = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const r = await raw(server.lastEndpoint!)
          await TARGETS[0]!.prelude(r)
          r.send(head)
          r.send(body)
          return r
        }),
      )
      await new Promise((res) => setTimeout(res, 1000))
      gc()
      const held = usage() - base
      for (const r of peers) r.destroy()
      if (process.env.PREAUTH_VERBOSE) console.log(`200 peers, ${size} octets each: held ${(held / MiB).toFixed(1)} MiB`)
      expect(held, `held ${(held / MiB).toFixed(1)} MiB more`).toBeLessThan(32 * MiB)
    }, 60_000)
  }
})
