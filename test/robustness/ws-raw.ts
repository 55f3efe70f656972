/**
 * A raw WebSocket peer written by hand over `net` (RFC 6455), for the ws exhaustion tests: it sends
 * exactly the frames a test scripts (any declared length, fragments, control frames), and after the
 * opening handshake it never reads, so the other side's output piles up in its own buffers as it
 * would with a real peer that stopped reading. As a client it masks with the all-zero key (RFC 6455
 * section 5.3 allows any key; a zero key leaves the payload as it is); as a server it does not mask.
 */
import { Buffer } from "node:buffer"
import { createHash } from "node:crypto"
import { connect, createServer, type Server, type Socket } from "node:net"
import { ioTurn } from "../../src/event-loop.js"
import { within } from "../helpers.js"

/** RFC 6455 section 5.2 opcodes. */
export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const

/** One WebSocket frame's octets. `declared` overrides the payload length in the header (a frame whose body follows in later writes). */
export function wsFrame(opcode: number, payload: Buffer, opts: { mask: boolean; fin?: boolean; declared?: number }): Buffer {
  const len = opts.declared ?? payload.length
  const b0 = (opts.fin === false ? 0 : 0x80) | opcode
  const m = opts.mask ? 0x80 : 0
  let head: Buffer
  if (len < 126) head = Buffer.from([b0, m | len])
  else if (len < 65536) {
    head = Buffer.alloc(4)
    head[0] = b0
    head[1] = m | 126
    head.writeUInt16BE(len, 2)
  } else {
    head = Buffer.alloc(10)
    head[0] = b0
    head[1] = m | 127
    head.writeBigUInt64BE(BigInt(len), 2)
  }
  return Buffer.concat(opts.mask ? [head, Buffer.alloc(4), payload] : [head, payload])
}

/** A ZWS frame (RFC 45 "Framing": flag octet, then body) as one binary WebSocket message. */
export function zwsBody(flags: number, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from([flags]), typeof body === "string" ? Buffer.from(body, "latin1") : body])
}

/** A ZWS command body: name-size, name, data (RFC 45 after RFC 23 "Commands"). */
export function zwsCommand(name: string, data: Buffer = Buffer.alloc(0)): Buffer {
  return zwsBody(0x02, Buffer.concat([Buffer.from([name.length]), Buffer.from(name, "latin1"), data]))
}

/** A NULL READY command announcing `type`, as a ZWS command. */
export function zwsReady(type: string): Buffer {
  const name = "Socket-Type"
  const h = Buffer.alloc(1 + name.length + 4)
  h[0] = name.length
  h.write(name, 1, "latin1")
  h.writeUInt32BE(type.length, 1 + name.length)
  return zwsCommand("READY", Buffer.concat([h, Buffer.from(type, "latin1")]))
}

export class RawWs {
  closed = false
  private waiters: (() => void)[] = []

  constructor(
    readonly sock: Socket,
    /** True for the side that opened the WebSocket: its frames are masked. */
    readonly client: boolean,
  ) {
    sock.on("error", () => {})
    sock.on("close", () => {
      this.closed = true
      for (const w of this.waiters.splice(0)) w()
    })
  }

  /** Sends one frame. */
  frame(opcode: number, payload: Buffer, opts: { fin?: boolean; declared?: number } = {}): void {
    this.sock.write(wsFrame(opcode, payload, { mask: this.client, ...opts }))
  }

  /** Sends one binary message. */
  send(payload: Buffer): void {
    this.frame(OP.binary, payload)
  }

  /** The octets of one binary message from this side, to hand to {@link push}. */
  encode(payload: Buffer, opcode: number = OP.binary): Buffer {
    return wsFrame(opcode, payload, { mask: this.client })
  }

  /**
   * Writes the chunks `next` returns, each once the kernel took the one before and one turn of the
   * event loop later (so the other side, in this process, gets to read), until the other side closes
   * ("closed"), a write waits `stallMs` (it stopped reading: "stalled"), or `cap` octets went out.
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
      await ioTurn()
    }
    return { pushed, outcome: "cap" }
  }

  /** Resolves once the other side has closed the connection (fails after `ms`). */
  waitClosed(ms = 3000): Promise<void> {
    return within(
      (async () => {
        while (!this.closed) await new Promise<void>((r) => this.waiters.push(r))
      })(),
      ms,
      "close by the other side",
    )
  }

  destroy(): void {
    this.sock.destroy()
  }
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
const accept = (key: string) => createHash("sha1").update(key + GUID).digest("base64")

/** Reads one HTTP head (up to CRLF CRLF) from `sock`, then stops reading from it for good. */
function readHead(sock: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0)
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d])
      const end = got.indexOf("\r\n\r\n")
      if (end < 0) return
      sock.off("data", onData)
      sock.pause()
      resolve(got.subarray(0, end).toString("latin1"))
    }
    sock.on("data", onData)
    sock.once("close", () => reject(new Error("closed during the opening handshake")))
  })
}

/**
 * Opens a WebSocket to `url` (ws://host:port/path) offering `protocols`, and returns once the server
 * answered 101 (rejects with the status line otherwise). Nothing is read after that.
 */
export async function rawWsConnect(url: string, protocols: string): Promise<{ peer: RawWs; protocol: string }> {
  const u = new URL(url)
  const sock = connect({ host: u.hostname, port: Number(u.port) })
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve)
    sock.once("error", reject)
  })
  const peer = new RawWs(sock, true)
  const key = Buffer.alloc(16, 7).toString("base64")
  sock.write(
    `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocols}\r\n\r\n`,
  )
  const head = await readHead(sock)
  if (!head.startsWith("HTTP/1.1 101")) {
    sock.destroy()
    throw new Error(`upgrade refused: ${head.split("\r\n")[0]}`)
  }
  const protocol = /\r\nsec-websocket-protocol: *([^\r]*)/i.exec(head)?.[1] ?? ""
  return { peer, protocol }
}

/**
 * A WebSocket server written by hand: answers each opening handshake with 101 and the subprotocol
 * `choose` picks from the offer, then hands the connection (which it never reads again) to `onPeer`.
 */
export async function rawWsServer(choose: (offer: string) => string, onPeer: (p: RawWs, protocol: string) => void): Promise<{ url: string; server: Server; close(): void }> {
  const peers: RawWs[] = []
  const server = createServer((sock) => {
    const peer = new RawWs(sock, false)
    peers.push(peer)
    void readHead(sock).then(
      (head) => {
        const key = /\r\nsec-websocket-key: *([^\r]*)/i.exec(head)?.[1] ?? ""
        const offer = /\r\nsec-websocket-protocol: *([^\r]*)/i.exec(head)?.[1] ?? ""
        const protocol = choose(offer)
        sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`)
        onPeer(peer, protocol)
      },
      () => {},
    )
  })
  await new Promise<void>((r) => server.listen({ host: "127.0.0.1", port: 0 }, r))
  const { port } = server.address() as { port: number }
  return {
    url: `ws://127.0.0.1:${port}/raw`,
    server,
    close: () => {
      for (const p of peers) p.destroy()
      server.close()
    },
  }
}
