/**
 * A raw peer for the negative tests: a plain TCP connection that sends exactly the bytes a test
 * scripts and collects the commands and messages the other side answers with. Valid CURVE/PLAIN
 * commands come from the pure mechanisms, then get corrupted by the test.
 */
import { connect, createServer, type Server, type Socket } from "node:net"
import { decodeCommand, type Command } from "../../src/codec/command.js"
import { FrameDecoder } from "../../src/codec/frame-decoder.js"
import { encodeGreeting } from "../../src/codec/greeting.js"
import { ioTurn } from "../../src/event-loop.js"
import { within } from "../helpers.js"

export class RawPeer {
  readonly commands: Command[] = []
  readonly messages: Buffer[][] = []
  /** Data frames seen, flattened (CURVE MESSAGE boxes arrive as data frames). */
  readonly frames: Buffer[] = []
  closed = false
  private greetingLeft = 64
  private readonly decoder = new FrameDecoder(
    {
      message: (f) => {
        this.messages.push(f)
        this.frames.push(...f)
      },
      command: (b) => {
        this.commands.push(decodeCommand(b))
      },
    },
    { maxMessageSize: -1, maxCommandSize: -1 },
  )
  private waiters: (() => void)[] = []

  constructor(readonly sock: Socket) {
    sock.on("data", (d: Buffer) => {
      if (this.greetingLeft > 0) {
        const n = Math.min(this.greetingLeft, d.length)
        this.greetingLeft -= n
        d = d.subarray(n)
      }
      if (d.length) this.decoder.feed(d)
      this.wake()
    })
    sock.on("error", () => {})
    sock.on("close", () => {
      this.closed = true
      this.wake()
    })
  }

  static async connect(endpoint: string): Promise<RawPeer> {
    const [, host, port] = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint)!
    const sock = connect({ host: host!, port: Number(port) })
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve)
      sock.once("error", reject)
    })
    return new RawPeer(sock)
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }

  /** Waits until `cond` holds (checked on every input), or fails the test after `ms`. */
  async until(cond: () => boolean, ms = 3000, what = "condition"): Promise<void> {
    await within(
      (async () => {
        while (!cond()) await new Promise<void>((r) => this.waiters.push(r))
      })(),
      ms,
      what,
    )
  }

  /** The n-th command, once it has arrived (within `ms`). */
  async command(n: number, ms = 3000): Promise<Command> {
    await this.until(() => this.commands.length > n || this.closed, ms, `command ${n}`)
    if (this.commands.length <= n) throw new Error(`connection closed before command ${n}`)
    return this.commands[n]!
  }

  greet(mechanism: string, asServer = false): void {
    this.sock.write(encodeGreeting({ mechanism, asServer }))
  }

  send(...bufs: Buffer[]): void {
    for (const b of bufs) this.sock.write(b)
  }

  /**
   * Floods the other side: writes the chunks `next` returns, each once the kernel took the one before,
   * until the other side closes the connection ("closed"), stops taking octets so that one write waits
   * `stallMs` ("stalled": it stopped reading and the socket buffers are full), or `cap` octets went out
   * ("cap"). `pushed` counts the octets the kernel accepted: what this peer managed to make the other
   * side receive or hold in its socket buffers.
   */
  async push(next: () => Buffer, cap: number, stallMs = 500): Promise<{ pushed: number; outcome: "closed" | "stalled" | "cap" }> {
    let pushed = 0
    while (pushed < cap) {
      if (this.closed || this.sock.destroyed) return { pushed, outcome: "closed" }
      const chunk = next()
      const r = await new Promise<"ok" | "closed" | "stalled">((resolve) => {
        const t = setTimeout(() => resolve("stalled"), stallMs)
        this.sock.write(chunk, (err) => {
          clearTimeout(t)
          resolve(err ? "closed" : "ok")
        })
      })
      if (r !== "ok") return { pushed, outcome: r === "closed" || this.closed ? "closed" : "stalled" }
      pushed += chunk.length
      // One chunk per event-loop turn in which sockets are read: a peer in this process must not
      // starve the other side's reads, nor its own of the close (a write the kernel takes completes
      // without a turn of the loop). Under Deno a setImmediate is no such turn (see ioTurn).
      await ioTurn()
    }
    return { pushed, outcome: "cap" }
  }

  /** Resolves once the other side has closed the connection. */
  waitClosed(ms = 3000): Promise<void> {
    return this.until(() => this.closed, ms, "close by the other side")
  }

  destroy(): void {
    this.sock.destroy()
  }
}

/** A raw TCP server that hands each accepted connection to `onPeer`. */
export async function rawServer(onPeer: (p: RawPeer) => void): Promise<{ endpoint: string; server: Server; close(): void }> {
  const peers: RawPeer[] = []
  const server = createServer((s) => {
    const p = new RawPeer(s)
    peers.push(p)
    onPeer(p)
  })
  await new Promise<void>((r) => server.listen({ host: "127.0.0.1", port: 0 }, r))
  const { port } = server.address() as { port: number }
  return {
    endpoint: `tcp://127.0.0.1:${port}`,
    server,
    close: () => {
      for (const p of peers) p.destroy()
      server.close()
    },
  }
}
