/**
 * Socket events as zeromq.js reports them (issue 15 item 8), side by side: each scenario runs on
 * zeromq.js (whose events are libzmq 4.3.5's socket monitor) and on zmtp, and each socket's events
 * are compared whole: type, `address` exactly as libzmq names the endpoint, and the error object
 * (`code`, `errno`, message). Ports and paths, which differ between the two runs, are replaced by
 * placeholders first; reconnect intervals are compared only as positive numbers.
 *
 * Where timing decides how often a step repeats (reconnect attempts), a socket's events are compared
 * as the set of distinct events it reported; otherwise as the sequence.
 */
import { randomBytes } from "node:crypto"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { libs, type LibName, type Zmq } from "./side-by-side.js"
import { RawPeer, command, greeting } from "../../spec-tests/wire/raw-peer.js"
import { cleanupIpc, freeTcpPort, ipcEndpoint, sleep } from "../helpers.js"


const cleanup: (() => unknown)[] = []
async function runCleanup(): Promise<void> {
  for (const f of cleanup.splice(0).reverse()) await f()
}
afterEach(runCleanup)
afterAll(cleanupIpc)

function track<T extends { close(): void; closed: boolean; linger: number }>(s: T): T {
  cleanup.push(() => {
    if (s.closed) return
    s.linger = 0
    s.close()
  })
  return s
}

/** An event as compared: what zeromq.js has, with the error reduced to what callers read. */
interface Ev {
  type: string
  address?: string
  interval?: string
  error?: { isError: boolean; code?: string; errno?: number; message: string; status?: number }
}

/** Records a socket's events, with ports and paths replaced by placeholders. */
class Log {
  readonly seen: Ev[] = []
  private readonly subs: [string, string][] = []
  constructor(sock: { events: AsyncIterable<unknown> }) {
    void (async () => {
      try {
        for await (const raw of sock.events) this.seen.push(this.reduce(raw as Record<string, unknown>))
      } catch {
        // The observer ends with the socket.
      }
    })()
  }

  /** Replace `from` by `to` in every address recorded (earlier ones too). */
  hide(from: string | number, to: string): this {
    this.subs.push([String(from), to])
    for (const e of this.seen) if (e.address !== undefined) e.address = this.sub(e.address)
    return this
  }

  private sub(a: string): string {
    for (const [from, to] of this.subs) a = a.split(from).join(to)
    return a
  }

  private reduce(raw: Record<string, unknown>): Ev {
    const e: Ev = { type: raw.type as string }
    for (const k of Object.keys(raw)) {
      if (!["type", "address", "interval", "error"].includes(k)) e[k as "type"] = `unexpected key ${k}` as never
    }
    if ("address" in raw) e.address = this.sub(raw.address as string)
    if ("interval" in raw) e.interval = typeof raw.interval === "number" && raw.interval > 0 ? "positive" : String(raw.interval)
    if ("error" in raw) {
      const err = raw.error as { code?: string; errno?: number; message: string; status?: number }
      e.error = { isError: err instanceof Error, message: err.message }
      if (err.code !== undefined) e.error.code = err.code
      if (err.errno !== undefined) e.error.errno = err.errno
      if (err.status !== undefined) e.error.status = err.status
    }
    return e
  }

  count(type: string): number {
    return this.seen.filter((e) => e.type === type).length
  }

  /** Resolves once `n` events of `type` were seen. */
  async waitFor(type: string, n = 1, ms = 5000): Promise<void> {
    const end = Date.now() + ms
    while (this.count(type) < n) {
      if (Date.now() > end) throw new Error(`event ${type} #${n} not seen within ${ms} ms; seen: ${this.seen.map((e) => e.type).join(", ")}`)
      await sleep(5)
    }
  }

  /** The distinct events, in a stable order. */
  distinct(): string[] {
    return [...new Set(this.seen.map((e) => JSON.stringify(e)))].sort()
  }
}

/**
 * Waits for `log` to see an event, letting libzmq act meanwhile: its socket carries out commands
 * queued from its I/O thread (a listener's or a session's termination) only when the application
 * calls into it, so a zeromq.js socket is polled (`readable` asks libzmq for ZMQ_EVENTS). zmtp acts
 * at once and is polled the same way, harmlessly.
 */
async function waitPolling(log: Log, type: string, socks: { readable: boolean }[], n = 1): Promise<void> {
  const end = Date.now() + 5000
  while (log.count(type) < n) {
    for (const s of socks) void s.readable
    if (Date.now() > end) throw new Error(`event ${type} #${n} not seen; seen: ${log.seen.map((e) => e.type).join(", ")}`)
    await sleep(5)
  }
}

async function onBoth<T>(scenario: (zmq: Zmq, lib: LibName) => Promise<T>): Promise<Record<LibName, T>> {
  const out = {} as Record<LibName, T>
  for (const { name, zmq } of libs) {
    out[name] = await scenario(zmq, name)
    await runCleanup()
  }
  return out
}

describe("addresses", () => {
  it("a wildcard tcp bind: bind/close name 0.0.0.0, an accepted connection its own local end; a connect keeps its own string", async () => {
    const runs = await onBoth(async (zmq) => {
      const port = await freeTcpPort()
      const router = track(new zmq.Router())
      const rlog = new Log(router).hide(port, "PORT")
      await router.bind(`tcp://*:${port}`)
      const byIp = track(new zmq.Dealer())
      const byName = track(new zmq.Dealer({ reconnectInterval: 50 }))
      const ipLog = new Log(byIp).hide(port, "PORT")
      const nameLog = new Log(byName).hide(port, "PORT")
      // One after the other, so that the router's events come in one order.
      byIp.connect(`tcp://127.0.0.1:${port}`)
      await byIp.send("a")
      await router.receive()
      await rlog.waitFor("handshake")
      await ipLog.waitFor("handshake")
      byName.connect(`tcp://localhost:${port}`)
      await byName.send("b")
      await router.receive()
      await rlog.waitFor("handshake", 2)
      await nameLog.waitFor("handshake")
      byIp.close()
      await rlog.waitFor("disconnect")
      router.close()
      await rlog.waitFor("end")
      // The bound side went away: the connecting side loses its peer and retries.
      await nameLog.waitFor("connect:retry", 2)
      byName.close()
      await nameLog.waitFor("end")
      await ipLog.waitFor("end")
      return { router: rlog.seen, byIp: ipLog.seen, byName: nameLog.distinct() }
    })
    expect(runs.zmtp.router).toEqual(runs["zeromq.js"].router)
    expect(runs.zmtp.byIp).toEqual(runs["zeromq.js"].byIp)
    expect(runs.zmtp.byName).toEqual(runs["zeromq.js"].byName)
    expect(runs.zmtp.router).toEqual([
      { type: "bind", address: "tcp://0.0.0.0:PORT" },
      { type: "accept", address: "tcp://127.0.0.1:PORT" },
      { type: "handshake", address: "tcp://127.0.0.1:PORT" },
      { type: "accept", address: "tcp://127.0.0.1:PORT" },
      { type: "handshake", address: "tcp://127.0.0.1:PORT" },
      { type: "disconnect", address: "tcp://127.0.0.1:PORT" },
      { type: "close", address: "tcp://0.0.0.0:PORT" },
      { type: "end" },
    ])
    // libzmq names a connection by the connect() string until one made through it is lost; the
    // connecter it starts then is made from the resolved address.
    expect(runs.zmtp.byName).toContain(JSON.stringify({ type: "disconnect", address: "tcp://localhost:PORT" }))
    expect(runs.zmtp.byName).toContain(JSON.stringify({ type: "connect:retry", address: "tcp://127.0.0.1:PORT", interval: "positive" }))
  })

  it("ipc, by path and in the abstract namespace: the endpoint as given, everywhere", async () => {
    const runs = await onBoth(async (zmq) => {
      const path = ipcEndpoint()
      const abstract = `ipc://@zmtp-dropin-${randomBytes(5).toString("hex")}`
      const router = track(new zmq.Router())
      const rlog = new Log(router).hide(path, "PATH").hide(abstract, "ABSTRACT")
      await router.bind(path)
      await router.bind(abstract)
      const dealer = track(new zmq.Dealer({ reconnectInterval: 50 }))
      const dlog = new Log(dealer).hide(path, "PATH").hide(abstract, "ABSTRACT")
      dealer.connect(path)
      dealer.connect(abstract)
      await dealer.send("a")
      await dealer.send("b")
      await router.receive()
      await router.receive()
      await rlog.waitFor("handshake", 2)
      await dlog.waitFor("handshake", 2)
      router.close()
      await rlog.waitFor("end")
      await dlog.waitFor("connect:retry", 2)
      dealer.close()
      await dlog.waitFor("end")
      return { router: rlog.distinct(), dealer: dlog.distinct() }
    })
    expect(runs.zmtp).toEqual(runs["zeromq.js"])
    expect(runs.zmtp.router).toContain(JSON.stringify({ type: "accept", address: "ABSTRACT" }))
  })

  it("connecting to nobody: connect:delay (tcp only), close with no error, connect:retry, with the address as given", async () => {
    const runs = await onBoth(async (zmq) => {
      const p1 = await freeTcpPort()
      const p2 = await freeTcpPort()
      const ipc = ipcEndpoint()
      const dealer = track(new zmq.Dealer({ reconnectInterval: 50 }))
      const log = new Log(dealer).hide(p1, "P1").hide(p2, "P2").hide(ipc, "PATH")
      dealer.connect(`tcp://127.0.0.1:${p1}`)
      dealer.connect(`tcp://localhost:${p2}`)
      dealer.connect(ipc)
      await log.waitFor("connect:retry", 6)
      dealer.close()
      await log.waitFor("end")
      return log.distinct()
    })
    expect(runs.zmtp).toEqual(runs["zeromq.js"])
    expect(runs.zmtp).toContain(JSON.stringify({ type: "close", address: "tcp://localhost:P2" }))
  })

  it("unbind: `close` for the endpoint and no disconnect for the connections it ends; the peer reports its disconnect", async () => {
    const runs = await onBoth(async (zmq) => {
      const router = track(new zmq.Router())
      const rlog = new Log(router)
      await router.bind("tcp://127.0.0.1:*")
      const ep = router.lastEndpoint!
      rlog.hide(ep, "EP")
      const a = track(new zmq.Dealer({ reconnectInterval: 50 }))
      const alog = new Log(a).hide(ep, "EP")
      a.connect(ep)
      await a.send("a")
      await router.receive()
      await rlog.waitFor("handshake")
      await alog.waitFor("handshake")
      await router.unbind(ep)
      await rlog.waitFor("close")
      await waitPolling(alog, "disconnect", [router, a])
      await waitPolling(alog, "connect:retry", [router, a], 2)
      // Anything late would show now.
      await sleep(100)
      router.close()
      a.close()
      await Promise.all([rlog.waitFor("end"), alog.waitFor("end")])
      return { router: rlog.seen, a: alog.distinct() }
    })
    expect(runs.zmtp).toEqual(runs["zeromq.js"])
    expect(runs.zmtp.router.map((e) => e.type)).toEqual(["bind", "accept", "handshake", "close", "end"])
  })

  it("disconnect(): the side that calls it reports no disconnect, the peer does", async () => {
    const runs = await onBoth(async (zmq) => {
      const router = track(new zmq.Router())
      const rlog = new Log(router)
      await router.bind("tcp://127.0.0.1:*")
      const ep = router.lastEndpoint!
      rlog.hide(ep, "EP")
      const b = track(new zmq.Dealer())
      const blog = new Log(b).hide(ep, "EP")
      b.connect(ep)
      await b.send("b")
      await router.receive()
      await rlog.waitFor("handshake")
      await blog.waitFor("handshake")
      b.disconnect(ep)
      await waitPolling(rlog, "disconnect", [router, b])
      // Anything late would show now.
      for (let i = 0; i < 10; i++) {
        void b.readable
        await sleep(10)
      }
      b.close()
      await blog.waitFor("end")
      router.close()
      await rlog.waitFor("end")
      return { b: blog.seen, router: rlog.seen }
    })
    expect(runs.zmtp).toEqual(runs["zeromq.js"])
    expect(runs.zmtp.b.map((e) => e.type)).toEqual(["connect:delay", "connect", "handshake", "end"])
    expect(runs.zmtp.router.map((e) => e.type)).toEqual(["bind", "accept", "handshake", "disconnect", "close", "end"])
  })

  it("inproc: libzmq's monitor reports nothing but `end`, and neither does zmtp", async () => {
    const runs = await onBoth(async (zmq) => {
      const name = `inproc://zmtp-dropin-${randomBytes(5).toString("hex")}`
      const router = track(new zmq.Router())
      const dealer = track(new zmq.Dealer())
      const rlog = new Log(router)
      const dlog = new Log(dealer)
      await router.bind(name)
      dealer.connect(name)
      await dealer.send("x")
      await router.receive()
      dealer.disconnect(name)
      await router.unbind(name)
      await sleep(50)
      router.close()
      dealer.close()
      await Promise.all([rlog.waitFor("end"), dlog.waitFor("end")])
      return { router: rlog.seen, dealer: dlog.seen }
    })
    expect(runs.zmtp).toEqual(runs["zeromq.js"])
    expect(runs.zmtp).toEqual({ router: [{ type: "end" }], dealer: [{ type: "end" }] })
  })
})

describe("bind:error", () => {
  it("the address after the scheme, a `close` first where a descriptor was opened, an error with code and errno; none for a malformed URI", async () => {
    const missingDir = `ipc://${join(tmpdir(), `zmtp-missing-${randomBytes(4).toString("hex")}`, "x.sock")}`
    const runs = await onBoth(async (zmq) => {
      const holder = track(new zmq.Router())
      await holder.bind("tcp://127.0.0.1:*")
      const ep = holder.lastEndpoint!
      const port = ep.slice(ep.lastIndexOf(":") + 1)
      const s = track(new zmq.Router())
      const log = new Log(s).hide(port, "PORT").hide(missingDir.slice("ipc://".length), "/MISSING")
      for (const a of [ep, `tcp://*:${port}`, `tcp://localhost:${port}`, missingDir, "tcp://127.0.0.1:abc", `tcp://:${port}`, "foo://bar", "nope", "tcp://"]) {
        await s.bind(a).catch(() => {})
      }
      s.close()
      await log.waitFor("end")
      return log.seen
    })
    expect(runs.zmtp).toEqual(runs["zeromq.js"])
    const inUse = { isError: true, code: "EADDRINUSE", errno: 98, message: "Address already in use" }
    expect(runs.zmtp).toEqual([
      { type: "close" },
      { type: "bind:error", address: "127.0.0.1:PORT", error: inUse },
      { type: "close" },
      { type: "bind:error", address: "*:PORT", error: inUse },
      { type: "close" },
      { type: "bind:error", address: "localhost:PORT", error: inUse },
      { type: "close", address: "ipc:///MISSING" },
      { type: "bind:error", address: "/MISSING", error: { isError: true, code: "ENOENT", errno: 2, message: "No such endpoint" } },
      { type: "bind:error", address: "127.0.0.1:abc", error: { isError: true, code: "EINVAL", errno: 22, message: "Invalid argument" } },
      { type: "bind:error", address: ":PORT", error: { isError: true, code: "ENODEV", errno: 19, message: "No such device" } },
      { type: "end" },
    ])
  })

  it("deviation: while events are read, libzmq's bind() rejects with EAGAIN where the event has the cause; zmtp rejects with the cause", async () => {
    const port = await freeTcpPort()
    const outcomes: Record<LibName, string | undefined> = { "zeromq.js": undefined, zmtp: undefined }
    for (const { name, zmq } of libs) {
      const s = track(new zmq.Router())
      const log = new Log(s)
      outcomes[name] = await s.bind(`tcp://:${port}`).then(
        () => "ok",
        (e: { code?: string }) => e.code,
      )
      await log.waitFor("bind:error")
      expect(log.seen.find((e) => e.type === "bind:error")!.error!.code).toBe("ENODEV")
    }
    expect(outcomes).toEqual({ "zeromq.js": "EAGAIN", zmtp: "ENODEV" })
  })
})

describe("handshake errors", () => {
  it("handshake:error:other carries an errno error (EAGAIN for the timeout, EPIPE for a peer gone mid-greeting); :protocol a coded one", async () => {
    const runs = await onBoth(async (zmq) => {
      const router = track(new zmq.Router({ handshakeInterval: 200 }))
      const log = new Log(router)
      await router.bind("tcp://127.0.0.1:*")
      const ep = router.lastEndpoint!
      log.hide(ep, "EP")
      const errors: Record<string, Ev | undefined> = {}
      const steps: [string, Buffer | undefined, boolean][] = [
        ["silent", undefined, false],
        ["gone mid-greeting", greeting().subarray(0, 20), true],
        ["mechanism mismatch", greeting({ mechanism: "PLAIN" }), false],
        ["unexpected command", Buffer.concat([greeting(), command("BOGUS")]), false],
      ]
      for (const [i, [step, bytes, leave]] of steps.entries()) {
        const peer = await RawPeer.connect(ep)
        cleanup.push(() => peer.destroy())
        if (bytes) await peer.send(bytes)
        if (leave) {
          await sleep(50)
          peer.destroy()
        } else {
          expect(await peer.closedWithin(4000), `${step}: dropped`).toBe(true)
        }
        await log.waitFor("disconnect", i + 1)
        errors[step] = log.seen.filter((e) => e.type.startsWith("handshake:error")).at(-1)
        if (errors[step] && log.seen.filter((e) => e.type.startsWith("handshake:error")).length !== i + 1) errors[step] = undefined
      }
      return errors
    })
    expect(runs.zmtp).toEqual(runs["zeromq.js"])
    expect(runs.zmtp.silent).toEqual({
      type: "handshake:error:other",
      address: "EP",
      error: { isError: true, code: "EAGAIN", errno: 11, message: "Operation was not possible or timed out" },
    })
    expect(runs.zmtp["mechanism mismatch"]).toEqual({
      type: "handshake:error:protocol",
      address: "EP",
      error: { isError: true, code: "ERR_ZMTP_MECHANISM_MISMATCH", message: "ZMTP protocol error" },
    })
  })

  it("handshake:error:auth: the ZAP status and zeromq.js's wording for it", async () => {
    const runs = await onBoth(async (zmq) => {
      // A ZAP handler (RFC 27) that refuses everyone with 400.
      const zap = track(new zmq.Router())
      for (let tries = 0; ; tries++) {
        try {
          await zap.bind("inproc://zeromq.zap.01")
          break
        } catch (e) {
          // libzmq frees a closed socket's inproc name from its reaper thread, a moment later.
          if ((e as { code?: string }).code !== "EADDRINUSE" || tries > 100) throw e
          await sleep(10)
        }
      }
      void (async () => {
        try {
          for await (const [id, delim, version, requestId] of zap) {
            await zap.send([id!, delim!, version!, requestId!, "400", "denied", "", ""])
          }
        } catch {
          // Closed.
        }
      })()
      const server = track(new zmq.Router({ plainServer: true }))
      const slog = new Log(server)
      await server.bind("tcp://127.0.0.1:*")
      const ep = server.lastEndpoint!
      slog.hide(ep, "EP")
      const client = track(new zmq.Dealer({ plainUsername: "u", plainPassword: "p", reconnectInterval: -1 }))
      client.connect(ep)
      await slog.waitFor("handshake:error:auth")
      return { server: slog.seen.find((e) => e.type === "handshake:error:auth")! }
    })
    // zmtp's error also has a code, ERR_ZMTP_AUTH (deviation: zeromq.js's has only `status`).
    const { code, ...rest } = runs.zmtp.server.error!
    expect(code).toBe("ERR_ZMTP_AUTH")
    expect({ ...runs.zmtp.server, error: rest }).toEqual(runs["zeromq.js"].server)
    expect(rest).toEqual({ isError: true, status: 400, message: "Authentication failure" })
  })
})
