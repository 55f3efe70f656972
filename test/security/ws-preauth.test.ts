/**
 * Before authentication, a ws:// peer costs us at most one bounded message (issue 19 item 5, after
 * preauth.test.ts for tcp). Raw WebSocket peers (test/robustness/ws-raw.ts, never reading) attack
 * servers before their handshake completes: NULL with a ZAP domain whose handler never answers,
 * PLAIN before HELLO and with HELLO waiting for ZAP, CURVE without a key. Each floods one of: a
 * stream of ZWS MORE frames, one binary message declaring 128 MiB trickled in, one message sent as
 * endless continuation fragments, WebSocket pings. The servers allow 256 MiB messages, so nothing but
 * the handshake's own bound (64 KiB + 1 until then: the WebSocket's maxPayload) may stop these.
 *
 * Criterion, as over tcp: the connection is closed, or the server stops reading from it until the
 * handshake timer closes it, before it has read 1 MiB of the flood (its net socket's bytesRead; the
 * peer's own count includes the kernel's buffers, about 4.2 MiB on loopback); with 200 such connections at once the
 * process holds less than 32 MiB more (heap plus Buffers after a settled GC; a generous ceiling).
 */
import { Buffer } from "node:buffer"
import { createServer } from "node:http"
import type { Socket } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { Router } from "../../src/index.js"
import { curveKeyPair } from "../../src/mechanisms/curve-keys.js"
import { closeAfterEach, nothingArrives } from "../helpers.js"
import { OP, rawWsConnect, type RawWs, wsFrame, zwsBody, zwsCommand, zwsReady } from "../robustness/ws-raw.js"
import { getGc, settledHeldMemory, startZapHandler } from "./helpers.js"

const track = closeAfterEach()
const raws: RawWs[] = []
afterEach(() => {
  for (const r of raws.splice(0)) r.destroy()
})

const MiB = 1024 * 1024
const MAX_MESSAGE = 256 * MiB
const HANDSHAKE_MS = 1500
const CHUNK = Buffer.alloc(16 * 1024, 0x61)
const serverKeys = curveKeyPair()
const serverOpts = { maxMessageSize: MAX_MESSAGE, handshakeInterval: HANDSHAKE_MS, linger: 0 }
type ServerOpts = typeof serverOpts

interface Target {
  name: string
  /** The subprotocol the peer offers (RFC 45 "Handshake"). */
  offer: string
  server(opts: ServerOpts): Router
  prelude(r: RawWs): void
}

const TARGETS: Target[] = [
  {
    name: "NULL with a ZAP domain, handler never answers",
    offer: "ZWS2.0/NULL",
    server: (opts) => new Router({ ...opts, zapDomain: "preauth" }),
    prelude: (r) => r.send(zwsReady("DEALER")),
  },
  {
    name: "PLAIN server before HELLO",
    offer: "ZWS2.0/PLAIN",
    server: (opts) => new Router({ ...opts, plainServer: true }),
    prelude: () => {},
  },
  {
    name: "PLAIN server, HELLO waiting for a handler that never answers",
    offer: "ZWS2.0/PLAIN",
    server: (opts) => new Router({ ...opts, plainServer: true }),
    prelude: (r) => r.send(zwsCommand("HELLO", Buffer.from("\x05admin\x06secret", "latin1"))),
  },
  {
    name: "CURVE server, peer without a key",
    offer: "ZWS2.0/CURVE",
    server: (opts) => new Router({ ...opts, curveServer: true, curveSecretKey: serverKeys.secretKey }),
    prelude: () => {},
  },
]

/** Chunk sources for RawWs.push: each call of a shape starts a fresh flood for that peer. */
const SHAPES: { name: string; flood(r: RawWs): () => Buffer }[] = [
  {
    name: "a stream of MORE frames",
    flood: (r) => {
      const m = r.encode(zwsBody(0x01, CHUNK))
      return () => m
    },
  },
  {
    name: "one 128 MiB message trickled in",
    flood: (r) => {
      let head: Buffer | undefined = wsFrame(OP.binary, Buffer.alloc(0), { mask: r.client, declared: 128 * MiB })
      return () => {
        const h = head
        head = undefined
        return h ?? CHUNK
      }
    },
  },
  {
    name: "one message in endless fragments",
    flood: (r) => {
      // RFC 6455 section 5.4: a first frame without FIN, then continuation frames without FIN.
      let first: Buffer | undefined = wsFrame(OP.binary, zwsBody(0x00, CHUNK), { mask: r.client, fin: false })
      const cont = wsFrame(OP.continuation, CHUNK, { mask: r.client, fin: false })
      return () => {
        const f = first
        first = undefined
        return f ?? cont
      }
    },
  },
  {
    name: "WebSocket pings",
    flood: (r) => {
      const pings = Buffer.concat(Array.from({ length: 128 }, () => r.encode(Buffer.alloc(125, 7), OP.ping)))
      return () => pings
    },
  },
]

/**
 * Binds a server on an http.Server of the test's, so that the test sees each upgraded connection's
 * net socket (its bytesRead: what the server really read of a flood, whatever the kernel buffers).
 */
async function startServer(t: Target, opts: ServerOpts, sockets: Socket[] = []): Promise<{ server: Router; sockets: Socket[] }> {
  const http = createServer()
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()))
  const server = track(t.server(opts))
  await server.bind(`ws://127.0.0.1:${(http.address() as { port: number }).port}/preauth`, { server: http })
  http.on("upgrade", (_req, sock: Socket) => void sockets.push(sock))
  track({ close: () => http.close() })
  return { server, sockets }
}

async function raw(server: Router, t: Target): Promise<RawWs> {
  const { peer, protocol } = await rawWsConnect(server.lastEndpoint!, t.offer)
  raws.push(peer)
  expect(protocol).toBe(t.offer)
  t.prelude(peer)
  return peer
}

/**
 * Under Bun a ws server's message limit is fixed when the connection is made (Bun's `ws` has no
 * receiver to lower it during the handshake; README, Runtime notes), so an unauthenticated peer may
 * send one message up to maxMessageSize (256 MiB here), and Bun reads and answers WebSocket pings
 * itself. A NULL server waiting on ZAP has paused reading, so those cases hold under Bun too; the
 * others, a large message, endless fragments and pings sent while PLAIN or CURVE reads its
 * handshake, cannot.
 */
const bun = typeof (process.versions as { bun?: string }).bun === "string"
const bunCannotBound = (t: Target, shape: { name: string }) =>
  bun && !t.name.startsWith("NULL") && /128 MiB|fragments|pings/.test(shape.name)
const BUN_REASON = " [skipped under Bun: its ws has no receiver, the pre-auth limit is maxMessageSize]"

describe("an unauthenticated ws peer is held to one bounded message", () => {
  for (const t of TARGETS) {
    for (const shape of SHAPES) {
      const skip = bunCannotBound(t, shape)
      it.skipIf(skip)(`${t.name}: ${shape.name}${skip ? BUN_REASON : ""}`, async () => {
        track(await startZapHandler(() => null))
        const { server, sockets } = await startServer(t, serverOpts)
        const r = await raw(server, t)
        const { pushed, outcome } = await r.push(shape.flood(r), 16 * MiB)
        const read = sockets[0]!.bytesRead
        if (process.env.PREAUTH_VERBOSE) console.log(`ws ${t.name}: ${shape.name}: ${outcome} after ${pushed} octets, the server read ${read}`)
        // Held back: by the close, or by the kernel's buffers once the server stopped reading (on
        // loopback they took about 4.2 MiB here: what the peer pushed is not what the server read).
        expect(outcome, `pushed ${pushed} octets`).not.toBe("cap")
        expect(read, `the server read ${read} of the ${pushed} octets pushed`).toBeLessThan(MiB)
        // Closed at once, or (server no longer reading) by the handshake timer. The peer never
        // reads, so it learns of the close from its next write.
        const end = Date.now() + HANDSHAKE_MS + 5000
        while (!r.closed && Date.now() < end) {
          r.sock.write(Buffer.alloc(1))
          await new Promise((res) => setTimeout(res, 100))
        }
        expect(r.closed, "the server ended the connection").toBe(true)
        expect(server.statistics.peers).toBe(0)
        expect(await nothingArrives(server)).toBe(true)
      })
    }
  }
})

describe("200 unauthenticated ws peers at once", () => {
  it.skipIf(bun)(`no server reads 1 MiB of any flood, and the process holds less than 32 MiB more${bun ? BUN_REASON : ""}`, async () => {
    const gc = getGc()
    track(await startZapHandler(() => null))
    // The handshake timer is long, so that what the servers hold is measured while every connection
    // is still theirs to hold.
    const servers: Router[] = []
    const sockets: Socket[] = []
    for (const t of TARGETS) {
      servers.push((await startServer(t, { ...serverOpts, handshakeInterval: 20_000 }, sockets)).server)
    }
    const base = settledHeldMemory(gc)
    const peers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const k = i % TARGETS.length
        const shape = SHAPES[Math.floor(i / TARGETS.length) % SHAPES.length]!
        const r = await raw(servers[k]!, TARGETS[k]!)
        return { r, ...(await r.push(shape.flood(r), 1.5 * MiB)), what: `${TARGETS[k]!.name}: ${shape.name}` }
      }),
    )
    const held = settledHeldMemory(gc) - base
    if (process.env.PREAUTH_VERBOSE) console.log(`200 ws peers: held ${(held / MiB).toFixed(1)} MiB, pushed at most ${Math.max(...peers.map((p) => p.pushed))} octets`)
    expect(sockets.length).toBe(200)
    for (const sock of sockets) expect(sock.bytesRead, "read by a server of one flood").toBeLessThan(MiB)
    expect(held, `held ${(held / MiB).toFixed(1)} MiB more`).toBeLessThan(32 * MiB)
    for (const s of servers) expect(await nothingArrives(s, 50)).toBe(true)
  }, 90_000)
})
