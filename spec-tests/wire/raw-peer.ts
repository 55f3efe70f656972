/**
 * A scripted ZMTP peer on a plain Node `net` socket, written from the RFCs
 * (13/ZMTP 1.0, 15/ZMTP 2.0, 23/ZMTP 3.0, 37/ZMTP 3.1) and independent of
 * src/. Tests use it to send exactly the bytes a scenario needs (hostile or
 * not, whole, in stages or one byte at a time) and to read what the socket
 * under test answers, one greeting, frame or command at a time.
 *
 * Everything that waits takes a timeout, so a silent subject fails a test
 * instead of hanging it.
 */
import * as net from "node:net"

// ---------------------------------------------------------------------------
// Encoders (pure)
// ---------------------------------------------------------------------------

/** RFC 37 "Framing": flag bits of the first frame octet. */
export const MORE = 0x01
export const LONG = 0x02
export const COMMAND = 0x04

export interface GreetingOptions {
  /** version-major (RFC 23/37: %x03). */
  major?: number
  /** version-minor (RFC 23: %x00, RFC 37: %x01). */
  minor?: number
  /** Mechanism name, null-padded to 20 octets (RFC 23 "Authentication and Confidentiality"). */
  mechanism?: string
  asServer?: boolean
  /** The 8 padding octets of the signature ("Not significant"); default zeros. */
  padding?: Buffer
  /** The 31 filler octets (RFC 37 grammar: 31%x00, but a peer MUST NOT validate them). */
  filler?: Buffer
}

/** A full 64-octet ZMTP 3.x greeting (RFC 23/37 "Formal Grammar": signature version mechanism as-server filler). */
export function greeting(opts: GreetingOptions = {}): Buffer {
  const g = Buffer.alloc(64)
  g[0] = 0xff
  ;(opts.padding ?? Buffer.alloc(8)).copy(g, 1, 0, 8)
  g[9] = 0x7f
  g[10] = opts.major ?? 3
  g[11] = opts.minor ?? 1
  const mech = Buffer.from(opts.mechanism ?? "NULL", "latin1")
  if (mech.length > 20) throw new Error("mechanism longer than 20 octets")
  mech.copy(g, 12)
  g[32] = opts.asServer ? 1 : 0
  ;(opts.filler ?? Buffer.alloc(31)).copy(g, 33, 0, 31)
  return g
}

/** RFC 15 socket-type octets of the ZMTP 2.0 greeting. */
export const ZMTP2_SOCKET_TYPE = { PAIR: 0, PUB: 1, SUB: 2, REQ: 3, REP: 4, DEALER: 5, ROUTER: 6, PULL: 7, PUSH: 8 } as const

/**
 * A ZMTP 2.0 greeting (RFC 15 "Formal Grammar"): signature %xFF 8%x00 %x7F,
 * revision %x01, socket-type, and an identity frame (final-short).
 */
export function greetingV2(socketType: keyof typeof ZMTP2_SOCKET_TYPE, identity: Buffer = Buffer.alloc(0)): Buffer {
  if (identity.length > 255) throw new Error("identity longer than 255 octets")
  const head = Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0x01, ZMTP2_SOCKET_TYPE[socketType], 0x00, identity.length])
  return Buffer.concat([head, identity])
}

/** A ZMTP 1.0 frame (RFC 13): length (flags + body) as 1 octet, or %xFF + 8 octets; flags; body. */
export function frameV1(body: Buffer | string, more = false): Buffer {
  const b = typeof body === "string" ? Buffer.from(body) : body
  const len = b.length + 1
  let head: Buffer
  if (len < 255) head = Buffer.from([len, more ? 1 : 0])
  else {
    head = Buffer.alloc(10)
    head[0] = 0xff
    head.writeBigUInt64BE(BigInt(len), 1)
    head[9] = more ? 1 : 0
  }
  return Buffer.concat([head, b])
}

/** A ZMTP 1.0 greeting (RFC 13 "The Connection Layer"): an identity frame, empty for an anonymous peer. */
export function greetingV1(identity: Buffer = Buffer.alloc(0)): Buffer {
  return frameV1(identity)
}

/** A whole ZMTP 1.0 message. */
export function messageV1(frames: Array<Buffer | string>): Buffer {
  return Buffer.concat(frames.map((f, i) => frameV1(f, i < frames.length - 1)))
}

export interface FrameOptions {
  more?: boolean
  command?: boolean
  /** Force the 8-octet size field even for a short body. */
  long?: boolean
  /** Put this in the size field instead of the body length (hostile frames). */
  declaredSize?: bigint
}

/** One ZMTP 3.x (or 2.0) frame: flags, 1- or 8-octet size, body (RFC 37 "Framing"). */
export function frame(body: Buffer | string, opts: FrameOptions = {}): Buffer {
  const b = typeof body === "string" ? Buffer.from(body) : body
  const size = opts.declaredSize ?? BigInt(b.length)
  const long = opts.long || size > 255n
  const flags = (opts.more ? MORE : 0) | (long ? LONG : 0) | (opts.command ? COMMAND : 0)
  let head: Buffer
  if (long) {
    head = Buffer.alloc(9)
    head[0] = flags
    head.writeBigUInt64BE(size, 1)
  } else head = Buffer.from([flags, Number(size)])
  return Buffer.concat([head, b])
}

/** A whole message: every frame but the last has MORE set (RFC 37 grammar "message"). */
export function message(frames: Array<Buffer | string>): Buffer {
  return Buffer.concat(frames.map((f, i) => frame(f, { more: i < frames.length - 1 })))
}

/** A command body: command-name (short-size + name) then command-data (RFC 37 grammar "command-body"). */
export function commandBody(name: string, data: Buffer = Buffer.alloc(0)): Buffer {
  const n = Buffer.from(name, "latin1")
  return Buffer.concat([Buffer.from([n.length]), n, data])
}

/** A command frame (COMMAND flag; short or long size). */
export function command(name: string, data: Buffer = Buffer.alloc(0), opts: { long?: boolean } = {}): Buffer {
  return frame(commandBody(name, data), { command: true, long: opts.long })
}

export interface PropertySpec {
  name: string
  value: Buffer | string
  /** Put this in the 4-octet value size instead of the real length (hostile READY). */
  declaredLength?: number
  /** Put this in the 1-octet name size instead of the real length. */
  declaredNameLength?: number
}

/** READY metadata (RFC 23 "The NULL Security Mechanism": property = name value, value = 4OCTET *OCTET). */
export function metadata(props: PropertySpec[]): Buffer {
  return Buffer.concat(
    props.map((p) => {
      const name = Buffer.from(p.name, "latin1")
      const value = typeof p.value === "string" ? Buffer.from(p.value) : p.value
      const size = Buffer.alloc(4)
      size.writeUInt32BE(p.declaredLength ?? value.length)
      return Buffer.concat([Buffer.from([p.declaredNameLength ?? name.length]), name, size, value])
    }),
  )
}

/** A READY command; `props` may be a plain map (Socket-Type, Identity ...) or hand-built specs. */
export function ready(props: Record<string, Buffer | string> | PropertySpec[]): Buffer {
  const specs = Array.isArray(props) ? props : Object.entries(props).map(([name, value]) => ({ name, value }))
  return command("READY", metadata(specs))
}

/** PING (RFC 37 "Connection Heartbeating"): 2-octet TTL in tenths of a second, then 0-16 octets of context. */
export function ping(ttl = 0, context: Buffer | string = Buffer.alloc(0)): Buffer {
  const t = Buffer.alloc(2)
  t.writeUInt16BE(ttl)
  return command("PING", Buffer.concat([t, typeof context === "string" ? Buffer.from(context) : context]))
}

/** PONG: echoes the ping-context. */
export function pong(context: Buffer | string = Buffer.alloc(0)): Buffer {
  return command("PONG", typeof context === "string" ? Buffer.from(context) : context)
}

/** ERROR (RFC 23 NULL grammar): error-reason = short-size 0*255VCHAR. */
export function errorCommand(reason: string): Buffer {
  const r = Buffer.from(reason, "latin1")
  return command("ERROR", Buffer.concat([Buffer.from([r.length]), r]))
}

// ---------------------------------------------------------------------------
// Decoders (pure)
// ---------------------------------------------------------------------------

export interface ParsedGreeting {
  raw: Buffer
  /** Octets 1-8: not significant (libzmq puts its identity size + 1 here). */
  padding: Buffer
  signatureEnd: number
  major: number
  minor: number
  /** Mechanism with the null padding stripped. */
  mechanism: string
  mechanismRaw: Buffer
  asServer: number
  filler: Buffer
}

export function parseGreeting(raw: Buffer): ParsedGreeting {
  if (raw.length !== 64) throw new Error(`greeting must be 64 octets, got ${raw.length}`)
  const mechanismRaw = raw.subarray(12, 32)
  const nul = mechanismRaw.indexOf(0)
  return {
    raw,
    padding: raw.subarray(1, 9),
    signatureEnd: raw[9]!,
    major: raw[10]!,
    minor: raw[11]!,
    mechanism: mechanismRaw.subarray(0, nul < 0 ? 20 : nul).toString("latin1"),
    mechanismRaw,
    asServer: raw[32]!,
    filler: raw.subarray(33, 64),
  }
}

export interface ParsedFrame {
  flags: number
  more: boolean
  command: boolean
  long: boolean
  body: Buffer
}

export interface ParsedCommand {
  name: string
  data: Buffer
}

export function parseCommand(body: Buffer): ParsedCommand {
  const n = body[0] ?? 0
  if (body.length < 1 + n) throw new Error("command name runs past the command body")
  return { name: body.subarray(1, 1 + n).toString("latin1"), data: body.subarray(1 + n) }
}

/** READY/metadata properties; names are case-insensitive (RFC 23), so keys are lower-cased. */
export function parseMetadata(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  let i = 0
  while (i < data.length) {
    const nameLen = data[i]!
    if (i + 1 + nameLen + 4 > data.length) throw new Error("property name runs past the command")
    const name = data.subarray(i + 1, i + 1 + nameLen).toString("latin1").toLowerCase()
    i += 1 + nameLen
    const valueLen = data.readUInt32BE(i)
    i += 4
    if (i + valueLen > data.length) throw new Error("property value runs past the command")
    out.set(name, data.subarray(i, i + valueLen))
    i += valueLen
  }
  return out
}

// ---------------------------------------------------------------------------
// The peer
// ---------------------------------------------------------------------------

/** Which framing `readFrame` decodes: ZMTP 3.x/2.0 (flags first) or ZMTP 1.0 (length first). */
export type Framing = "v3" | "v1"

const DEFAULT_MS = 3000

/** Connection options of a tcp:// or ipc:// endpoint for net.connect. */
export function netTarget(endpoint: string): net.NetConnectOpts {
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint)
  if (m) return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) }
  if (endpoint.startsWith("ipc://")) return { path: endpoint.slice("ipc://".length) }
  throw new Error(`raw peer cannot reach ${endpoint}`)
}

/**
 * One raw connection. It buffers what the subject sends and hands it out in
 * greeting / frame / command / message units; it never answers on its own
 * (no automatic PONG, no automatic READY), so every byte on the wire is one
 * the test wrote.
 */
export class RawPeer {
  private buf: Buffer = Buffer.alloc(0)
  private waiter: (() => void) | undefined
  private isClosed = false
  private readonly closedPromise: Promise<void>
  /** Commands seen while reading messages (PING, unknown ...), in arrival order. */
  readonly skippedCommands: ParsedCommand[] = []

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true)
    socket.on("data", (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
      this.wake()
    })
    // A subject that drops the connection may reset it: that is an outcome we
    // observe through `closed`, not an error of the test.
    socket.on("error", () => {})
    this.closedPromise = new Promise((resolve) =>
      socket.once("close", () => {
        this.isClosed = true
        this.wake()
        resolve()
      }),
    )
  }

  /** Connect to a subject bound at `endpoint` (tcp:// or ipc://). */
  static connect(endpoint: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect(netTarget(endpoint))
      s.once("connect", () => {
        s.off("error", reject)
        resolve(new RawPeer(s))
      })
      s.once("error", reject)
    })
  }

  get closed(): boolean {
    return this.isClosed
  }

  /** Bytes received and not yet consumed. */
  get pending(): Buffer {
    return this.buf
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  /** Write bytes as one chunk. Writing to a connection the subject closed is not an error here. */
  async send(...chunks: Buffer[]): Promise<void> {
    const data = Buffer.concat(chunks)
    if (this.isClosed || this.socket.destroyed) return
    await new Promise<void>((resolve) => this.socket.write(data, () => resolve()))
  }

  /**
   * Write `data` in the given stages (each stage one write, with a pause
   * between stages so the subject sees them as separate reads).
   */
  async sendInStages(stages: Buffer[], pauseMs = 2): Promise<void> {
    for (const s of stages) {
      await this.send(s)
      await new Promise((r) => setTimeout(r, pauseMs))
    }
  }

  /** Write `data` one octet per write, pausing between writes. */
  async sendByteByByte(data: Buffer, pauseMs = 1): Promise<void> {
    const stages: Buffer[] = []
    for (let i = 0; i < data.length; i++) stages.push(data.subarray(i, i + 1))
    await this.sendInStages(stages, pauseMs)
  }

  /** Take exactly `n` octets, waiting up to `ms`. Rejects if the connection closes first. */
  async readBytes(n: number, ms = DEFAULT_MS): Promise<Buffer> {
    const deadline = Date.now() + ms
    while (this.buf.length < n) {
      if (this.isClosed) throw new Error(`connection closed after ${this.buf.length} of ${n} octets`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`only ${this.buf.length} of ${n} octets arrived within ${ms} ms`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiter = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
    const out = Buffer.from(this.buf.subarray(0, n))
    this.buf = this.buf.subarray(n)
    return out
  }

  /** Read the subject's 64-octet ZMTP 3.x greeting. */
  async readGreeting(ms = DEFAULT_MS): Promise<ParsedGreeting> {
    return parseGreeting(await this.readBytes(64, ms))
  }

  /** Read one frame in the given framing. */
  async readFrame(ms = DEFAULT_MS, framing: Framing = "v3"): Promise<ParsedFrame> {
    if (framing === "v1") {
      let len = (await this.readBytes(1, ms))[0]!
      if (len === 0xff) len = Number((await this.readBytes(8, ms)).readBigUInt64BE(0))
      const flags = (await this.readBytes(1, ms))[0]!
      const body = await this.readBytes(len - 1, ms)
      return { flags, more: (flags & MORE) !== 0, command: false, long: false, body }
    }
    const flags = (await this.readBytes(1, ms))[0]!
    const long = (flags & LONG) !== 0
    const size = long ? Number((await this.readBytes(8, ms)).readBigUInt64BE(0)) : (await this.readBytes(1, ms))[0]!
    const body = await this.readBytes(size, ms)
    return { flags, more: (flags & MORE) !== 0, command: (flags & COMMAND) !== 0, long, body }
  }

  /** Read the next frame, which must be a command. */
  async readCommand(ms = DEFAULT_MS): Promise<ParsedCommand> {
    const f = await this.readFrame(ms)
    if (!f.command) throw new Error(`expected a command frame, got flags 0x${f.flags.toString(16)}`)
    return parseCommand(f.body)
  }

  /**
   * Read the next whole message (frames up to one without MORE). Commands
   * in between (a PING from a heartbeating subject ...) are put in
   * `skippedCommands` rather than mixed into the message.
   */
  async readMessage(ms = DEFAULT_MS, framing: Framing = "v3"): Promise<Buffer[]> {
    const frames: Buffer[] = []
    for (;;) {
      const f = await this.readFrame(ms, framing)
      if (f.command) {
        this.skippedCommands.push(parseCommand(f.body))
        continue
      }
      frames.push(f.body)
      if (!f.more) return frames
    }
  }

  /** Read the next message as strings. */
  async readMessageStrs(ms = DEFAULT_MS, framing: Framing = "v3"): Promise<string[]> {
    return (await this.readMessage(ms, framing)).map((b) => b.toString())
  }

  /**
   * Collect the commands that arrive within `ms` (data frames are an error
   * here). For "the subject sends no PING" style checks.
   */
  async commandsWithin(ms: number): Promise<ParsedCommand[]> {
    const out: ParsedCommand[] = []
    const deadline = Date.now() + ms
    for (;;) {
      const left = deadline - Date.now()
      if (left <= 0 || this.isClosed) return out
      try {
        const f = await this.readFrame(left)
        if (!f.command) throw new Error("unexpected message frame")
        out.push(parseCommand(f.body))
      } catch (err) {
        if (err instanceof Error && /within|closed/.test(err.message)) return out
        throw err
      }
    }
  }

  /** Resolve true once the subject has closed the connection, false if it is still open after `ms`. */
  async closedWithin(ms = DEFAULT_MS): Promise<boolean> {
    if (this.isClosed) return true
    let t: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => {
      t = setTimeout(() => resolve(false), ms)
    })
    return Promise.race([this.closedPromise.then(() => true), timedOut]).finally(() => clearTimeout(t))
  }

  /**
   * A complete ZMTP 3.x NULL handshake as the connecting (client) side:
   * send our greeting and READY, read the subject's greeting and READY.
   * Returns the subject's greeting and READY properties.
   */
  async handshake(
    socketType: string,
    opts: { identity?: string; greeting?: GreetingOptions; ms?: number } = {},
  ): Promise<{ greeting: ParsedGreeting; properties: Map<string, Buffer> }> {
    const props: Record<string, string> = { "Socket-Type": socketType }
    if (opts.identity !== undefined) props.Identity = opts.identity
    await this.send(greeting(opts.greeting), ready(props))
    const g = await this.readGreeting(opts.ms)
    const cmd = await this.readCommand(opts.ms)
    if (cmd.name !== "READY") throw new Error(`expected READY, got ${cmd.name}`)
    return { greeting: g, properties: parseMetadata(cmd.data) }
  }

  /** Close our side at once. */
  destroy(): void {
    this.socket.destroy()
  }
}

/**
 * A listening raw peer for subjects that connect: each accepted connection
 * becomes a RawPeer, handed out by `accept()` in arrival order.
 */
export class RawListener {
  private queue: RawPeer[] = []
  private waiters: Array<(p: RawPeer) => void> = []
  readonly peers: RawPeer[] = []

  private constructor(
    readonly server: net.Server,
    readonly endpoint: string,
  ) {
    server.on("connection", (s) => {
      const p = new RawPeer(s)
      this.peers.push(p)
      const w = this.waiters.shift()
      if (w) w(p)
      else this.queue.push(p)
    })
  }

  /** Listen on 127.0.0.1 with an ephemeral port, or on the given ipc path. */
  static async listen(where: { tcp: true } | { ipcPath: string }): Promise<RawListener> {
    const server = net.createServer()
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      if ("ipcPath" in where) server.listen(where.ipcPath, () => resolve())
      else server.listen(0, "127.0.0.1", () => resolve())
    })
    const addr = server.address()
    const endpoint = typeof addr === "string" ? `ipc://${addr}` : `tcp://127.0.0.1:${addr!.port}`
    return new RawListener(server, endpoint)
  }

  async accept(ms = DEFAULT_MS): Promise<RawPeer> {
    const ready = this.queue.shift()
    if (ready) return ready
    let t: NodeJS.Timeout | undefined
    return Promise.race([
      new Promise<RawPeer>((resolve) => this.waiters.push(resolve)),
      new Promise<never>((_, reject) => {
        t = setTimeout(() => reject(new Error(`no connection within ${ms} ms`)), ms)
      }),
    ]).finally(() => clearTimeout(t))
  }

  async close(): Promise<void> {
    for (const p of this.peers) p.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
