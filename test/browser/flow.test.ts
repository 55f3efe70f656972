/**
 * Flow control and liveness of the browser build, run in Node on the bundle itself (the page's
 * code path): its inproc transport honours the high-water marks and yields to timers, its ws
 * transport holds a bounded amount while paused (a page's WebSocket cannot push back), and a page
 * that heartbeats is not dropped by libzmq's ws engine, which never answers an RFC 37 PING. Node 20
 * has no global WebSocket: `ws`'s client stands in for it (it too reads all the server sends).
 * The same cases run in Chromium in page.test.ts.
 */
import { Buffer } from "node:buffer"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import * as esbuild from "esbuild"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import WebSocket, { WebSocketServer } from "ws"
import { browserBuildOptions } from "../../src/browser/bundle.js"
import * as z from "../../src/index.js"
import { closeAfterEach, describeLibzmq, sleep, until } from "../helpers.js"

const track = closeAfterEach()
let B: typeof z
let dir: string
const g = globalThis as { WebSocket?: unknown }
const hadWebSocket = g.WebSocket

beforeAll(async () => {
  if (hadWebSocket === undefined) g.WebSocket = WebSocket
  const code = (await esbuild.build(browserBuildOptions())).outputFiles![0]!.text
  dir = mkdtempSync(join(tmpdir(), "zmtp-browser-flow-"))
  const file = join(dir, "browser.mjs")
  writeFileSync(file, code)
  B = (await import(pathToFileURL(file).href)) as typeof z
}, 60_000)

afterAll(() => {
  if (hadWebSocket === undefined) delete g.WebSocket
  rmSync(dir, { recursive: true, force: true })
})

/**
 * Receives until nothing comes for `quietMs` (by receiveTimeout, so that no receive() is left
 * pending to take a later message); returns how many arrived.
 */
async function drain(s: { receive(): Promise<Buffer[]>; receiveTimeout: number }, quietMs = 300): Promise<number> {
  const before = s.receiveTimeout
  s.receiveTimeout = quietMs
  let n = 0
  try {
    for (;;) {
      await s.receive()
      n++
    }
  } catch (e) {
    if ((e as { code?: string }).code !== "EAGAIN") throw e
  } finally {
    s.receiveTimeout = before
  }
  return n
}

describe("inproc:// in the browser build", () => {
  it("a PUSH to a PULL that never reads blocks near the high-water marks", async () => {
    const pull = track(new B.Pull({ linger: 0, receiveHighWaterMark: 10 }))
    await pull.bind("inproc://flow-hwm")
    const push = track(new B.Push({ linger: 0, sendHighWaterMark: 10 }))
    push.connect("inproc://flow-hwm")
    await sleep(50)
    const body = Buffer.alloc(1024, 1)
    let sent = 0
    let accepted = 0
    const stop = sleep(1000).then(() => "stop")
    // Bounded by a count too: a loop never held back would not yield to the timer above.
    while (sent < 5000) {
      const r = await Promise.race([push.send(body).then(() => (accepted++, "sent")), stop])
      if (r !== "sent") break
      sent++
    }
    // Held at HWM 10 + 10 and the engine's 256 KiB write budget (256 of these): Node's inproc blocks
    // after a few dozen of 64 KiB.
    expect(sent).toBeLessThan(1000)
    // Nothing accepted was lost: the PULL gets every one once it reads (the send still blocked
    // when the clock stopped the loop included).
    const got = await drain(pull)
    expect(got).toBe(accepted)
  })

  it("a send loop to a PULL that keeps up lets a timer run before it ends", async () => {
    const pull = track(new B.Pull({ linger: 0 }))
    await pull.bind("inproc://flow-yield")
    const push = track(new B.Push({ linger: 0 }))
    push.connect("inproc://flow-yield")
    let got = 0
    void (async () => {
      for await (const _ of pull) got++
    })().catch(() => {})
    await sleep(50)
    const total = 20000
    let sent = 0
    let sentWhenTimerRan = -1
    setTimeout(() => (sentWhenTimerRan = sent), 0)
    const body = Buffer.alloc(16, 2)
    while (sent < total) {
      await push.send(body)
      sent++
    }
    await until(() => got === total, 10000, "every message at the PULL")
    // Before the fix every hand-over was a microtask: the timer ran only after the whole loop.
    expect(sentWhenTimerRan).toBeGreaterThanOrEqual(0)
    expect(sentWhenTimerRan).toBeLessThan(total)
  })
})

describe("the browser build's ws transport while paused (a page cannot push back)", () => {
  it("holds a bounded number of octets, then drops the connection with a typed error", async () => {
    const { BrowserWsTransport, HELD_BUDGET } = await import("../../src/browser/ws.js")
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" })
    await new Promise<void>((r) => wss.once("listening", () => r()))
    const msg = Buffer.alloc(64 * 1024, 1)
    const total = 512 // 32 MiB
    wss.on("connection", (s) => {
      for (let i = 0; i < total; i++) s.send(msg)
    })
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`)
    let arrived = 0
    ws.on("message", () => arrived++)
    const t = new BrowserWsTransport(ws as unknown as globalThis.WebSocket, "ZWS2.0")
    let closedWith: string | undefined
    let maxHeld = 0
    t.setHandlers({ message: () => {}, close: (e) => void (closedWith = e?.code ?? "none"), alive: () => {} })
    ws.on("message", () => (maxHeld = Math.max(maxHeld, (t as unknown as { heldBytes: number }).heldBytes)))
    try {
      t.pause()
      await until(() => arrived === total || closedWith !== undefined, 10000, "the flood to arrive or the drop")
      // Before the fix: all 32 MiB held, and the connection stayed.
      expect(closedWith).toBe("ERR_ZMTP_MSGSIZE")
      expect(maxHeld).toBeLessThanOrEqual(HELD_BUDGET + msg.length)
    } finally {
      t.terminate()
      for (const c of wss.clients) c.terminate()
      wss.close()
    }
  })

  it("a page SUB that does not read keeps its connection and drops at its high-water mark, as a PUB would", async () => {
    const pub = track(new z.Publisher({ linger: 0 }))
    await pub.bind("ws://127.0.0.1:*/flow-pub")
    const sub = track(new B.Subscriber({ linger: 0, receiveHighWaterMark: 10 }))
    let disconnects = 0
    sub.events.on("disconnect", () => disconnects++)
    sub.connect(pub.lastEndpoint!)
    sub.subscribe()
    // The subscription has to reach the PUB first (RFC 29: a PUB drops what nobody subscribed to).
    sub.receiveTimeout = 50
    for (let i = 0; i < 100; i++) {
      await pub.send("hello")
      if (await sub.receive().then(() => true, () => false)) break
    }
    await drain(sub, 100)
    const body = Buffer.alloc(64 * 1024, 3)
    const total = 512 // 32 MiB, over ws (the PUB's own HWM does not hold: the page reads all)
    for (let i = 0; i < total; i++) await pub.send(body)
    // Every message reaches the page (its WebSocket reads it); then the SUB reads.
    await sleep(1500)
    const got = await drain(sub)
    // Before the fix: all 512 were held and then handed over (unbounded memory in the page).
    expect(got).toBeLessThanOrEqual(10 + 2)
    expect(got).toBeGreaterThan(0)
    expect(disconnects).toBe(0)
    // The connection still works.
    await pub.send("after")
    expect((await sub.receive())[0]!.toString()).toBe("after")
  })

  it("a page PULL that does not read is dropped past the held budget rather than holding all that arrives", async () => {
    const push = track(new z.Push({ linger: 0, sendHighWaterMark: 10 }))
    await push.bind("ws://127.0.0.1:*/flow-push")
    const pull = track(new B.Pull({ linger: 0, receiveHighWaterMark: 10, reconnectInterval: 50 }))
    let disconnects = 0
    pull.events.on("disconnect", () => disconnects++)
    pull.connect(push.lastEndpoint!)
    const body = Buffer.alloc(64 * 1024, 4)
    let sent = 0
    const stop = sleep(3000).then(() => "stop")
    while (disconnects === 0 && sent < 2000) {
      if ((await Promise.race([push.send(body).then(() => "sent"), stop])) !== "sent") break
      sent++
    }
    // Before the fix the page held every message: no disconnect, 2000 x 64 KiB sent.
    expect(disconnects).toBeGreaterThan(0)
    expect(sent).toBeLessThan(2000)
  })
})

/** A raw ws server that speaks the NULL handshake (or bare ZWS2.0), then stays silent. */
async function silentPeer(protocol: "ZWS2.0+NULL" | "ZWS2.0", pongs: number): Promise<{ url: string; close(): void }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", handleProtocols: (p) => (p.has(protocol) ? protocol : false) })
  await new Promise<void>((r) => wss.once("listening", () => r()))
  const cmd = (name: string, data: Buffer) => Buffer.concat([Buffer.from([2, name.length]), Buffer.from(name), data])
  const prop = (k: string, v: string) => {
    const b = Buffer.alloc(1 + k.length + 4 + v.length)
    b[0] = k.length
    b.write(k, 1)
    b.writeUInt32BE(v.length, 1 + k.length)
    b.write(v, 5 + k.length)
    return b
  }
  wss.on("connection", (s) => {
    if (protocol === "ZWS2.0") s.send(Buffer.from([0, ...Buffer.from("srv")]))
    else s.send(cmd("READY", Buffer.concat([prop("Socket-Type", "ROUTER"), prop("Identity", "")])))
    let left = pongs
    s.on("message", (d: Buffer) => {
      // PING (RFC 37): flags 0x02, name length 4, "PING", TTL (2), context.
      if (left > 0 && d[0] === 2 && d.subarray(2, 6).toString() === "PING") {
        left--
        s.send(cmd("PONG", d.subarray(8)))
      }
    })
  })
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`,
    close: () => {
      for (const c of wss.clients) c.terminate()
      wss.close()
    },
  }
}

describe("heartbeats from a page (no WebSocket ping: RFC 37 PING commands)", () => {
  const hb = { linger: 0, heartbeatInterval: 100, heartbeatTimeout: 300 }

  it("a silent zmtp peer (ZWS2.0+NULL, zmtp's own alias) is still dropped by the heartbeat timeout", async () => {
    const peer = await silentPeer("ZWS2.0+NULL", 0)
    try {
      const d = track(new B.Dealer(hb))
      let disconnects = 0
      d.events.on("disconnect", () => disconnects++)
      d.connect(peer.url)
      await until(() => disconnects > 0, 5000, "the heartbeat timeout")
    } finally {
      peer.close()
    }
  })

  it("a bare ZWS2.0 peer that answered a PING and then went silent is dropped by the heartbeat timeout", async () => {
    const peer = await silentPeer("ZWS2.0", 1)
    try {
      const d = track(new B.Dealer(hb))
      let disconnects = 0
      d.events.on("disconnect", () => disconnects++)
      d.connect(peer.url)
      await until(() => disconnects > 0, 5000, "the heartbeat timeout")
    } finally {
      peer.close()
    }
  })
})

describeLibzmq("heartbeats from a page to libzmq's ws:// (zeromq.js)", () => {
  it("a page DEALER with heartbeatInterval 100, heartbeatTimeout 300 is not dropped by an idle libzmq ROUTER", async () => {
    const zmq = await import("zeromq")
    const router = new zmq.Router({ linger: 0 })
    try {
      await router.bind("ws://127.0.0.1:*/hb")
      void (async () => {
        for await (const [id, m] of router) await router.send([id!, m!])
      })().catch(() => {})
      const d = track(new B.Dealer({ linger: 0, heartbeatInterval: 100, heartbeatTimeout: 300 }))
      let disconnects = 0
      d.events.on("disconnect", () => disconnects++)
      d.connect(router.lastEndpoint!)
      await d.send("x")
      expect((await d.receive())[0]!.toString()).toBe("x")
      await sleep(2000)
      // Before the fix: dropped every ~400 ms (libzmq never answers the page's PING).
      expect(disconnects).toBe(0)
      await d.send("y")
      expect((await d.receive())[0]!.toString()).toBe("y")
    } finally {
      router.close()
    }
  })
})
