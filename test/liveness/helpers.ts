/**
 * Shared pieces of the liveness and observability tests (issue 6): the two libraries under test
 * side by side, an event recorder, a TCP relay that can be frozen to simulate a silent peer (a
 * network partition: nothing passes, nothing is closed), and a listener that never accepts (for
 * connectTimeout). Raw ZMTP peers come from spec-tests/wire/raw-peer.ts.
 */
import { spawn, type ChildProcess } from "node:child_process"
import * as net from "node:net"
import { afterEach } from "vitest"
import * as zmq from "zeromq"
import { RawPeer } from "../../spec-tests/wire/raw-peer.js"
import * as zmtp from "../../src/index.js"
import { sleep } from "../helpers.js"

/** The zeromq.js v6 API, which both libraries provide. */
export type Zmq = typeof import("zeromq")
export type LibName = "libzmq" | "zmtp"

/** libzmq (zeromq.js 6.8, the reference) and zmtp, typed alike so one scenario runs on both. */
export const libs: readonly { name: LibName; zmq: Zmq }[] = [
  { name: "libzmq", zmq },
  { name: "zmtp", zmq: zmtp as unknown as Zmq },
]

export type AnySocket = InstanceType<Zmq["Dealer"]> | InstanceType<Zmq["Router"]> | InstanceType<Zmq["Request"]> | InstanceType<Zmq["Reply"]>

/** One event as both libraries report it. */
export interface Ev {
  type: string
  address?: string
  interval?: number
  error?: { code?: string; message?: string }
}

/** Records a socket's events from the moment it is created until it closes. */
export class EventLog {
  readonly seen: Ev[] = []
  constructor(sock: { events: AsyncIterable<unknown> }) {
    void (async () => {
      try {
        for await (const e of sock.events) this.seen.push(e as Ev)
      } catch {
        // The observer ends with the socket.
      }
    })()
  }

  types(): string[] {
    return this.seen.map((e) => e.type)
  }

  count(type: string): number {
    return this.seen.filter((e) => e.type === type).length
  }

  of(type: string): Ev[] {
    return this.seen.filter((e) => e.type === type)
  }

  /** Resolves with the n-th event of `type` once it has been seen; fails after `ms`. */
  async waitFor(type: string, n = 1, ms = 5000): Promise<Ev> {
    const end = Date.now() + ms
    for (;;) {
      const all = this.of(type)
      if (all.length >= n) return all[n - 1]!
      if (Date.now() > end) {
        throw new Error(`event ${type} #${n} not seen within ${ms} ms; seen: ${this.types().join(", ")}`)
      }
      await sleep(5)
    }
  }
}

/**
 * A TCP relay in front of `target`. `freeze()` makes every connection open at that moment drop all
 * it reads from either side and propagate no close: to both ends the peer has gone silent, as in a
 * network partition. Connections made later are relayed normally, so a socket that reconnects
 * through the relay reaches the target again.
 */
export class FreezableRelay {
  private readonly pairs: { a: net.Socket; b: net.Socket; frozen: boolean }[] = []
  /** Connections accepted so far. */
  accepted = 0

  private constructor(
    private readonly server: net.Server,
    readonly endpoint: string,
  ) {}

  static async start(targetEndpoint: string): Promise<FreezableRelay> {
    const m = /^tcp:\/\/(.+):(\d+)$/.exec(targetEndpoint)
    if (!m) throw new Error(`relay needs a tcp endpoint, got ${targetEndpoint}`)
    const target = { host: m[1]!, port: Number(m[2]) }
    const server = net.createServer()
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(0, "127.0.0.1", () => resolve())
    })
    const relay = new FreezableRelay(server, `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`)
    server.on("connection", (a) => {
      relay.accepted++
      const b = net.connect(target)
      const pair = { a, b, frozen: false }
      relay.pairs.push(pair)
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        from.on("error", () => {})
        from.on("data", (d: Buffer) => {
          if (!pair.frozen) to.write(d)
        })
        from.on("close", () => {
          if (!pair.frozen) to.destroy()
        })
      }
    })
    return relay
  }

  /** Silences every connection open now. */
  freeze(): void {
    for (const p of this.pairs) p.frozen = true
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.a.destroy()
      p.b.destroy()
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/**
 * A TCP listener whose accept queue is full, so that a further connect() hangs (the kernel drops
 * the SYN). It lives in a child process whose event loop is blocked, so it never accepts; its tiny
 * backlog is filled by a few plain connections first.
 */
export class StalledListener {
  private constructor(
    private readonly child: ChildProcess,
    private readonly fillers: net.Socket[],
    readonly endpoint: string,
  ) {}

  static async start(): Promise<StalledListener> {
    const script =
      "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{" +
      "process.stdout.write(String(s.address().port)+'\\n');Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0)})"
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "ignore"] })
    const port = await new Promise<number>((resolve, reject) => {
      child.once("error", reject)
      child.stdout!.once("data", (b: Buffer) => resolve(Number(b.toString().trim())))
    })
    const fillers: net.Socket[] = []
    const stalled = new StalledListener(child, fillers, `tcp://127.0.0.1:${port}`)
    // Connect until one attempt does not complete: from then on the queue is full.
    for (let i = 0; i < 16; i++) {
      const s = net.connect({ host: "127.0.0.1", port })
      s.on("error", () => {})
      fillers.push(s)
      const done = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 250)
        s.once("connect", () => {
          clearTimeout(t)
          resolve(true)
        })
      })
      if (!done) return stalled
    }
    stalled.close()
    throw new Error("could not fill the accept queue of the stalled listener")
  }

  close(): void {
    for (const s of this.fillers) s.destroy()
    this.child.kill("SIGKILL")
  }
}

/** Binds, retrying while an old listener on the same endpoint is still being torn down. */
export async function bindRetrying(sock: AnySocket, endpoint: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    try {
      return await sock.bind(endpoint)
    } catch (err) {
      if ((err as { code?: string }).code !== "EADDRINUSE" || Date.now() > end) throw err
      await sleep(20)
    }
  }
}

/** Closes sockets (linger 0), ignoring ones already closed. */
export function closeQuietly(...socks: ({ close(): void; closed: boolean; linger: number } | undefined)[]): void {
  for (const s of socks) {
    if (!s || s.closed) continue
    s.linger = 0
    s.close()
  }
}

/**
 * Per-test cleanup for a test file: what is registered here is undone after each test, last first.
 * `track` closes a socket quietly, `rawTo` connects a raw ZMTP peer and destroys it, `defer` runs
 * anything else (relays, listeners).
 */
export function testCleanup() {
  const cleanup: (() => unknown)[] = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
  })
  return {
    defer(f: () => unknown): void {
      cleanup.push(f)
    },
    track<T extends AnySocket>(s: T): T {
      cleanup.push(() => closeQuietly(s))
      return s
    },
    async rawTo(endpoint: string): Promise<RawPeer> {
      const p = await RawPeer.connect(endpoint)
      cleanup.push(() => p.destroy())
      return p
    },
  }
}
