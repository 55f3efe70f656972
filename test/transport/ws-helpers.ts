/** Test helpers for the ws transports: a raw WebSocket peer speaking ZWS frames by hand, and TLS material. */
import { Buffer } from "node:buffer"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { IncomingMessage } from "node:http"
import WebSocket from "ws"

/** A raw peer: every WebSocket message it receives, in order, and the server's subprotocol choice. */
export interface RawZws {
  ws: WebSocket
  /** The subprotocol the server answered with (undefined if none). */
  protocol: string | undefined
  /** Resolves with the next message (flag octet and body). */
  next(ms?: number): Promise<Buffer>
  /** Resolves once the connection has closed, with its close code. */
  closed: Promise<number>
  close(): void
}

const opened: WebSocket[] = []

/** Terminates every raw peer a test opened. */
export function closeRawPeers(): void {
  for (const ws of opened.splice(0)) ws.terminate()
}

/**
 * Opens a raw WebSocket to `url` offering `protocols` (the header written by hand: `ws` refuses
 * "ZWS2.0/NULL" as a token). Rejects if the opening handshake fails (with the HTTP status if any).
 */
export function rawZws(url: string, protocols: string | undefined, opts: WebSocket.ClientOptions = {}): Promise<RawZws> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ...opts, headers: protocols === undefined ? {} : { "Sec-WebSocket-Protocol": protocols } })
    opened.push(ws)
    const queue: Buffer[] = []
    const waiters: ((b: Buffer) => void)[] = []
    let protocol: string | undefined
    let status: number | undefined
    ws.on("upgrade", (res: IncomingMessage) => {
      const p = res.headers["sec-websocket-protocol"]
      protocol = Array.isArray(p) ? p[0] : p
      delete res.headers["sec-websocket-protocol"]
      // Bun's own `ws` (it replaces the package) checks the answer in rawHeaders, after this event.
      const raw = res.rawHeaders
      for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === "sec-websocket-protocol") raw.splice(i, 2)
    })
    ws.on("unexpected-response", (_req, res) => {
      status = res.statusCode
      ws.terminate()
    })
    ws.on("message", (d: Buffer) => {
      const w = waiters.shift()
      if (w) w(d)
      else queue.push(d)
    })
    const closed = new Promise<number>((r) => ws.once("close", (code: number) => r(code)))
    ws.once("error", () => {})
    ws.once("close", () => reject(new Error(`handshake failed${status ? `: HTTP ${status}` : ""}`)))
    ws.once("open", () =>
      resolve({
        ws,
        protocol,
        closed,
        close: () => ws.terminate(),
        next: (ms = 2000) =>
          new Promise<Buffer>((res, rej) => {
            const q = queue.shift()
            if (q) return res(q)
            const t = setTimeout(() => rej(new Error("no message")), ms)
            waiters.push((b) => {
              clearTimeout(t)
              res(b)
            })
          }),
      }),
    )
  })
}

/** ZWS frame: flag octet then body. */
export function zf(flags: number, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from([flags]), typeof body === "string" ? Buffer.from(body, "latin1") : body])
}

/** A NULL READY command body announcing `type` (and an identity for REQ/DEALER/ROUTER). */
export function readyBody(type: string, identity?: string): Buffer {
  const prop = (name: string, v: Buffer) => {
    const h = Buffer.alloc(1 + name.length + 4)
    h[0] = name.length
    h.write(name, 1, "latin1")
    h.writeUInt32BE(v.length, 1 + name.length)
    return Buffer.concat([h, v])
  }
  const props = [prop("Socket-Type", Buffer.from(type))]
  if (identity !== undefined) props.push(prop("Identity", Buffer.from(identity)))
  return Buffer.concat([Buffer.from("\x05READY", "latin1"), ...props])
}

/** A self-signed certificate for 127.0.0.1 and localhost (openssl), as PEM strings. */
export function selfSigned(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "zmtp-wss-"))
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem"), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
      { stdio: "ignore" },
    )
    return { cert: readFileSync(join(dir, "c.pem"), "utf8"), key: readFileSync(join(dir, "k.pem"), "utf8") }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
