/**
 * One handle over the two libzmq builds that zmtp is checked against:
 *
 * - "zeromq.js": libzmq 4.3.5 inside the zeromq.js addon, in this process;
 * - "pyzmq": Debian's libzmq 4.3.x through pyzmq, in a child process driven by interop/peer.py.
 *
 * Tests talk to both through {@link LibzmqPeer} and {@link PeerSocket}, so every scenario runs the
 * same way against either build. Message frames are always `Buffer[]`.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as zmq from "zeromq"
import { inProcessLibzmq } from "../test/helpers.js"

/** The socket types the interop suite uses (RFC 28). */
export type SocketType = "REQ" | "REP" | "DEALER" | "ROUTER"
/** The publish-subscribe socket types (RFC 29). */
export type PubSubType = "PUB" | "SUB" | "XPUB" | "XSUB"
/** The pipeline (RFC 30) and exclusive pair (RFC 31) socket types. */
export type PipelineType = "PUSH" | "PULL" | "PAIR"

/** Options a libzmq peer socket can be created with; names follow zeromq.js. */
export interface PeerSocketOptions {
  /** ZMQ_ROUTING_ID */
  routingId?: string
  /** ZMQ_CONNECT_ROUTING_ID: the id given to the peer of the next connect(). */
  connectRoutingId?: string
  /** ZMQ_ROUTER_MANDATORY */
  mandatory?: boolean
  /** ZMQ_RECONNECT_IVL in milliseconds. */
  reconnectInterval?: number
  /** Start the socket monitor before any bind or connect (see {@link PeerSocket.waitForEvent}). */
  monitor?: boolean
  /** ZMQ_PLAIN_SERVER (RFC 24) */
  plainServer?: boolean
  /** ZMQ_PLAIN_USERNAME */
  plainUsername?: string
  /** ZMQ_PLAIN_PASSWORD */
  plainPassword?: string
  /** ZMQ_CURVE_SERVER (RFC 26) */
  curveServer?: boolean
  /** ZMQ_CURVE_PUBLICKEY, Z85 (40 characters) */
  curvePublicKey?: string
  /** ZMQ_CURVE_SECRETKEY, Z85 */
  curveSecretKey?: string
  /** ZMQ_CURVE_SERVERKEY, Z85 */
  curveServerKey?: string
  /** ZMQ_ZAP_DOMAIN */
  zapDomain?: string
  /** ZMQ_XPUB_VERBOSE (allSubs) or ZMQ_XPUB_VERBOSER (allSubsUnsubs), XPUB only. */
  verbosity?: "allSubs" | "allSubsUnsubs"
  /** ZMQ_SNDHWM */
  sendHighWaterMark?: number
  /** ZMQ_RCVHWM */
  receiveHighWaterMark?: number
}

/** The security options of {@link PeerSocketOptions}, named as zeromq.js names them. */
const SECURITY_OPTIONS = [
  "plainServer",
  "plainUsername",
  "plainPassword",
  "curveServer",
  "curvePublicKey",
  "curveSecretKey",
  "curveServerKey",
  "zapDomain",
] as const

/** The same options as libzmq's ZMQ_* names (what peer.py passes to setsockopt). */
const LIBZMQ_SECURITY_NAMES: Record<(typeof SECURITY_OPTIONS)[number], string> = {
  plainServer: "PLAIN_SERVER",
  plainUsername: "PLAIN_USERNAME",
  plainPassword: "PLAIN_PASSWORD",
  curveServer: "CURVE_SERVER",
  curvePublicKey: "CURVE_PUBLICKEY",
  curveSecretKey: "CURVE_SECRETKEY",
  curveServerKey: "CURVE_SERVERKEY",
  zapDomain: "ZAP_DOMAIN",
}

/**
 * What a peer's ZAP handler (RFC 27) lets in: PLAIN with exactly this username and password, CURVE
 * with a client public key (Z85) in the list. Everything else gets status 400.
 */
export interface ZapPolicy {
  plain?: { username: string; password: string }
  curve?: string[]
}

/**
 * A ZAP handler inside a libzmq peer: a ROUTER bound at inproc://zeromq.zap.01 in that peer's
 * context. Each request it answers shows as an event named `ZAP_<MECHANISM>_<STATUS>`, e.g.
 * `ZAP_PLAIN_200` or `ZAP_CURVE_400`.
 */
export interface PeerZapHandler {
  waitForEvent(name: string, timeoutMs?: number): Promise<PeerEvent>
  /** Names of the requests answered so far, in order. */
  answered(): string[]
  close(): Promise<void>
}

/** A socket monitor event, named as libzmq names it without the ZMQ_EVENT_ prefix. */
export interface PeerEvent {
  name: string
  endpoint?: string
}

/** A libzmq socket, in this process or in the pyzmq child. */
export interface PeerSocket {
  readonly type: SocketType | PubSubType | PipelineType
  /** Binds and resolves with the real endpoint (the chosen port for tcp "*"). */
  bind(endpoint: string): Promise<string>
  connect(endpoint: string): Promise<void>
  /** Resolves once libzmq has queued the whole multipart message. Errors carry `code`. */
  send(frames: Buffer[]): Promise<void>
  /** One whole multipart message; rejects with code EAGAIN after `timeoutMs`. */
  receive(timeoutMs?: number): Promise<Buffer[]>
  /** From now on every message received is sent straight back (a ROUTER's keeps its envelope). */
  echo(): Promise<void>
  /** ZMQ_SUBSCRIBE (a SUB's subscribe()). */
  subscribe(topic: Buffer): Promise<void>
  /** ZMQ_UNSUBSCRIBE. */
  unsubscribe(topic: Buffer): Promise<void>
  /** Resolves with the first monitor event called `name` (seen before or after the call). */
  waitForEvent(name: string, timeoutMs?: number): Promise<PeerEvent>
  /** The names of the monitor events seen so far, in order (empty without `monitor`). */
  seenEvents(): string[]
  close(): Promise<void>
}

/** A running ROUTER/DEALER proxy (zmq_proxy) inside a libzmq peer. */
export interface PeerProxy {
  readonly frontend: string
  readonly backend: string
  stop(): Promise<void>
}

/** One libzmq build. */
export interface LibzmqPeer {
  readonly name: "zeromq.js" | "pyzmq"
  readonly libzmqVersion: string
  socket(type: SocketType | PubSubType | PipelineType, options?: PeerSocketOptions): Promise<PeerSocket>
  /**
   * zmq_proxy between a ROUTER bound at `frontend` and a DEALER bound at `backend`, or with
   * `pubsub`, between an XSUB (frontend, facing publishers) and an XPUB (backend, facing subscribers).
   */
  proxy(frontend: string, backend: string, pubsub?: boolean): Promise<PeerProxy>
  /**
   * Starts a ZAP handler in this peer. libzmq consults it when a server socket's connection starts
   * its handshake, so start it before that socket binds.
   */
  zap(policy: ZapPolicy): Promise<PeerZapHandler>
  /** Closes every socket and proxy; for pyzmq the child process is gone when this resolves. */
  close(): Promise<void>
}

/** An error from a peer, with the libzmq error name as `code` (EAGAIN, EHOSTUNREACH, EFSM ...). */
export class PeerError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
    this.name = "PeerError"
  }
}

const DEFAULT_TIMEOUT = 10_000

function timeoutError(what: string, ms: number): PeerError {
  return new PeerError(`${what}: no answer within ${ms} ms`, "EAGAIN")
}

/** Collects monitor events so that a waiter never misses one that arrived before it asked. */
class EventLog {
  private readonly seen: PeerEvent[] = []
  private waiters: { name: string; resolve: (e: PeerEvent) => void }[] = []

  names(): string[] {
    return this.seen.map((e) => e.name)
  }

  push(event: PeerEvent): void {
    this.seen.push(event)
    const ready = this.waiters.filter((w) => w.name === event.name)
    this.waiters = this.waiters.filter((w) => w.name !== event.name)
    for (const w of ready) w.resolve(event)
  }

  wait(name: string, timeoutMs: number, what: string): Promise<PeerEvent> {
    const found = this.seen.find((e) => e.name === name)
    if (found) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const waiter = {
        name,
        resolve: (e: PeerEvent) => {
          clearTimeout(timer)
          resolve(e)
        },
      }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        const names = this.seen.map((e) => e.name).join(", ") || "none"
        reject(timeoutError(`${what}: waiting for monitor event ${name} (seen: ${names})`, timeoutMs))
      }, timeoutMs)
      this.waiters.push(waiter)
    })
  }
}

// ---------------------------------------------------------------------------------------------
// zeromq.js, in process
// ---------------------------------------------------------------------------------------------

/** zeromq.js event types mapped to libzmq's ZMQ_EVENT_* names. */
const ZEROMQJS_EVENTS: Record<string, string> = {
  accept: "ACCEPTED",
  "accept:error": "ACCEPT_FAILED",
  bind: "LISTENING",
  "bind:error": "BIND_FAILED",
  connect: "CONNECTED",
  "connect:delay": "CONNECT_DELAYED",
  "connect:retry": "CONNECT_RETRIED",
  close: "CLOSED",
  "close:error": "CLOSE_FAILED",
  disconnect: "DISCONNECTED",
  end: "MONITOR_STOPPED",
  handshake: "HANDSHAKE_SUCCEEDED",
  "handshake:error:protocol": "HANDSHAKE_FAILED_PROTOCOL",
  "handshake:error:auth": "HANDSHAKE_FAILED_AUTH",
  "handshake:error:other": "HANDSHAKE_FAILED_NO_DETAIL",
}

type ZmqSocket = zmq.Request | zmq.Reply | zmq.Dealer | zmq.Router | zmq.Publisher | zmq.Subscriber | zmq.XPublisher | zmq.XSubscriber | zmq.Push | zmq.Pull | zmq.Pair

class ZeromqJsSocket implements PeerSocket {
  private readonly events = new EventLog()
  private echoing: Promise<void> | undefined

  constructor(
    readonly type: SocketType | PubSubType | PipelineType,
    private readonly sock: ZmqSocket,
    monitor: boolean,
    private readonly connectRoutingId?: string,
  ) {
    if (monitor) void this.observe()
  }

  private async observe(): Promise<void> {
    try {
      for await (const event of this.sock.events) {
        this.events.push({ name: ZEROMQJS_EVENTS[event.type] ?? event.type, endpoint: (event as { address?: string }).address })
      }
    } catch {
      // The observer ends with the socket.
    }
  }

  async bind(endpoint: string): Promise<string> {
    await this.sock.bind(endpoint)
    return this.sock.lastEndpoint ?? endpoint
  }

  async connect(endpoint: string): Promise<void> {
    // zeromq.js takes ZMQ_CONNECT_ROUTING_ID as an option of Router.connect().
    if (this.connectRoutingId !== undefined) (this.sock as zmq.Router).connect(endpoint, { routingId: this.connectRoutingId })
    else this.sock.connect(endpoint)
  }

  async send(frames: Buffer[]): Promise<void> {
    await (this.sock as zmq.Dealer).send(frames)
  }

  async subscribe(topic: Buffer): Promise<void> {
    ;(this.sock as zmq.Subscriber).subscribe(topic)
  }

  async unsubscribe(topic: Buffer): Promise<void> {
    ;(this.sock as zmq.Subscriber).unsubscribe(topic)
  }

  async receive(timeoutMs = DEFAULT_TIMEOUT): Promise<Buffer[]> {
    const sock = this.sock as zmq.Dealer
    sock.receiveTimeout = timeoutMs
    try {
      return await sock.receive()
    } catch (err) {
      const code = (err as { code?: string }).code ?? "EUNKNOWN"
      throw new PeerError(`zeromq.js ${this.type} receive: ${(err as Error).message}`, code)
    }
  }

  async echo(): Promise<void> {
    if (this.echoing) return
    const sock = this.sock as zmq.Dealer
    this.echoing = (async () => {
      try {
        for await (const msg of sock) await sock.send(msg)
      } catch {
        // Ends when the socket closes.
      }
    })()
  }

  waitForEvent(name: string, timeoutMs = DEFAULT_TIMEOUT): Promise<PeerEvent> {
    return this.events.wait(name, timeoutMs, `zeromq.js ${this.type}`)
  }

  seenEvents(): string[] {
    return this.events.names()
  }

  async close(): Promise<void> {
    if (!this.sock.closed) this.sock.close()
    await this.echoing
  }
}

class ZeromqJsPeer implements LibzmqPeer {
  readonly name = "zeromq.js" as const
  readonly libzmqVersion = zmq.version
  private readonly sockets = new Set<ZeromqJsSocket>()
  private readonly proxies = new Set<PeerProxy>()
  private readonly zaps = new Set<PeerZapHandler>()

  async socket(type: SocketType | PubSubType | PipelineType, options: PeerSocketOptions = {}): Promise<PeerSocket> {
    const base = { linger: 0 } as Record<string, unknown>
    if (options.routingId !== undefined) base.routingId = options.routingId
    if (options.reconnectInterval !== undefined) base.reconnectInterval = options.reconnectInterval
    for (const key of SECURITY_OPTIONS) if (options[key] !== undefined) base[key] = options[key]
    if (options.sendHighWaterMark !== undefined) base.sendHighWaterMark = options.sendHighWaterMark
    if (options.receiveHighWaterMark !== undefined) base.receiveHighWaterMark = options.receiveHighWaterMark
    let sock: ZmqSocket
    switch (type) {
      case "REQ":
        sock = new zmq.Request(base)
        break
      case "REP":
        sock = new zmq.Reply(base)
        break
      case "DEALER":
        sock = new zmq.Dealer(base)
        break
      case "ROUTER": {
        const router = new zmq.Router(base)
        if (options.mandatory !== undefined) router.mandatory = options.mandatory
        sock = router
        break
      }
      case "PUB":
        sock = new zmq.Publisher(base)
        break
      case "SUB":
        sock = new zmq.Subscriber(base)
        break
      case "XPUB": {
        const x = new zmq.XPublisher(base)
        if (options.verbosity !== undefined) x.verbosity = options.verbosity
        sock = x
        break
      }
      case "XSUB":
        sock = new zmq.XSubscriber(base)
        break
      case "PUSH":
        sock = new zmq.Push(base)
        break
      case "PULL":
        sock = new zmq.Pull(base)
        break
      case "PAIR":
        sock = new zmq.Pair(base)
        break
    }
    const handle = new ZeromqJsSocket(type, sock, options.monitor ?? false, options.connectRoutingId)
    this.sockets.add(handle)
    return handle
  }

  async proxy(frontend: string, backend: string, pubsub = false): Promise<PeerProxy> {
    const proxy = pubsub
      ? new zmq.Proxy<zmq.XSubscriber | zmq.Router, zmq.XPublisher | zmq.Dealer>(new zmq.XSubscriber({ linger: 0 }), new zmq.XPublisher({ linger: 0 }))
      : new zmq.Proxy<zmq.XSubscriber | zmq.Router, zmq.XPublisher | zmq.Dealer>(new zmq.Router({ linger: 0 }), new zmq.Dealer({ linger: 0 }))
    await proxy.frontEnd.bind(frontend)
    await proxy.backEnd.bind(backend)
    const running = proxy.run()
    const handle: PeerProxy = {
      frontend: proxy.frontEnd.lastEndpoint ?? frontend,
      backend: proxy.backEnd.lastEndpoint ?? backend,
      stop: async () => {
        this.proxies.delete(handle)
        proxy.terminate()
        await running
      },
    }
    this.proxies.add(handle)
    return handle
  }

  async zap(policy: ZapPolicy): Promise<PeerZapHandler> {
    const router = new zmq.Router({ linger: 0 })
    await bindZapEndpoint(router)
    const log = new EventLog()
    const serving = (async () => {
      try {
        for await (const [id, delim, , requestId, , , , mechanism, ...credentials] of router) {
          const status = zapStatus(policy, mechanism!.toString(), credentials)
          await router.send([id!, delim!, "1.0", requestId!, status, status === "200" ? "OK" : "denied", status === "200" ? "user" : "", ""])
          log.push({ name: `ZAP_${mechanism!.toString()}_${status}`, endpoint: "inproc://zeromq.zap.01" })
        }
      } catch {
        // Ends when the handler closes.
      }
    })()
    const handle: PeerZapHandler = {
      waitForEvent: (name, timeoutMs = DEFAULT_TIMEOUT) => log.wait(name, timeoutMs, "zeromq.js ZAP handler"),
      answered: () => log.names(),
      close: async () => {
        this.zaps.delete(handle)
        if (!router.closed) router.close()
        await serving
      },
    }
    this.zaps.add(handle)
    return handle
  }

  async close(): Promise<void> {
    for (const p of [...this.proxies]) await p.stop()
    for (const z of [...this.zaps]) await z.close()
    for (const s of this.sockets) await s.close()
    this.sockets.clear()
  }
}

/**
 * Binds inproc://zeromq.zap.01. A handler closed just before (the previous test's) releases the
 * address asynchronously in libzmq, so EADDRINUSE is retried briefly.
 */
export async function bindZapEndpoint(router: { bind(ep: string): Promise<void> }): Promise<void> {
  const deadline = Date.now() + 3000
  for (;;) {
    try {
      await router.bind("inproc://zeromq.zap.01")
      return
    } catch (err) {
      if ((err as { code?: string }).code !== "EADDRINUSE" || Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 10))
    }
  }
}

const Z85_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

/** Z85 (RFC 32) of a buffer whose length is a multiple of 4; kept here so the harness never needs src/. */
function z85Encode(data: Buffer): string {
  let out = ""
  for (let i = 0; i < data.length; i += 4) {
    let value = data.readUInt32BE(i)
    let chunk = ""
    for (let j = 0; j < 5; j++) {
      chunk = Z85_ALPHABET[value % 85]! + chunk
      value = Math.floor(value / 85)
    }
    out += chunk
  }
  return out
}

/** The ZAP decision of {@link ZapPolicy} (RFC 27 credentials: PLAIN username, password; CURVE the 32-octet key). */
export function zapStatus(policy: ZapPolicy, mechanism: string, credentials: Buffer[]): "200" | "400" {
  if (mechanism === "PLAIN" && policy.plain && credentials.length === 2) {
    if (credentials[0]!.toString() === policy.plain.username && credentials[1]!.toString() === policy.plain.password) return "200"
  }
  if (mechanism === "CURVE" && credentials.length === 1 && credentials[0]!.length === 32) {
    if ((policy.curve ?? []).includes(z85Encode(credentials[0]!))) return "200"
  }
  return "400"
}

/**
 * Whether the zeromq.js peer can run in this process (not under Bun 1.4: its first socket aborts the
 * process), and if not why; see {@link inProcessLibzmq}.
 */
export function zeromqJsAvailability(): { ok: true } | { ok: false; reason: string } {
  return inProcessLibzmq()
}

/** The in-process libzmq 4.3.5 of zeromq.js; throws (rather than abort the process) where it cannot run. */
export function zeromqJsPeer(): LibzmqPeer {
  const c = zeromqJsAvailability()
  if (!c.ok) throw new PeerError(c.reason, "ENOTSUP")
  return new ZeromqJsPeer()
}

// ---------------------------------------------------------------------------------------------
// pyzmq, in a child process
// ---------------------------------------------------------------------------------------------

/** The interpreter that has Debian's python3-zmq (INTEROP_PYTHON overrides it, e.g. to check the skip path). */
export const PYTHON = process.env.INTEROP_PYTHON ?? "/usr/bin/python3"
/** What to run when pyzmq is missing. */
export const PYZMQ_INSTALL = "apt-get install python3-zmq"
const PEER_SCRIPT = fileURLToPath(new URL("./peer.py", import.meta.url))

let pyzmqCheck: { ok: boolean; detail: string } | undefined

/** Whether `/usr/bin/python3 -c 'import zmq'` works here (checked once per process). */
export function pyzmqAvailability(): { ok: boolean; detail: string } {
  if (!pyzmqCheck) {
    const r = spawnSync(PYTHON, ["-c", "import zmq; print(zmq.zmq_version())"], { encoding: "utf8", timeout: 20_000 })
    pyzmqCheck =
      r.status === 0
        ? { ok: true, detail: `libzmq ${r.stdout.trim()}` }
        : { ok: false, detail: (r.error?.message ?? r.stderr ?? "").trim().split("\n").pop() ?? "" }
  }
  return pyzmqCheck
}

/**
 * The pyzmq peer is skipped when python3-zmq is missing locally, with a message naming the install
 * command; under CI=true it is required, so its absence fails the run instead.
 */
export function pyzmqMustRun(): boolean {
  return process.env.CI === "true"
}

/** A message explaining why the pyzmq peer is not available. */
export function pyzmqMissingMessage(): string {
  return (
    `pyzmq peer unavailable (${PYTHON} -c 'import zmq' failed: ${pyzmqAvailability().detail}). ` +
    `Install it with: ${PYZMQ_INSTALL}`
  )
}

type Reply = { id: number; ok: boolean; code?: string; error?: string; [k: string]: unknown }

class PyzmqPeer implements LibzmqPeer {
  readonly name = "pyzmq" as const
  libzmqVersion = "?"
  private readonly child: ChildProcessWithoutNullStreams
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>()
  readonly events = new Map<number, EventLog>()
  private buffered = ""
  private exited: Promise<void>
  private hasExited = false
  private stderr = ""
  private readonly killOnExit = () => this.child.kill("SIGKILL")

  constructor() {
    this.child = spawn(PYTHON, ["-u", PEER_SCRIPT], { stdio: ["pipe", "pipe", "pipe"] })
    // Belt and braces: peer.py exits on stdin EOF, and this kills it if the test process exits
    // without calling close().
    process.once("exit", this.killOnExit)
    this.child.stdout.setEncoding("utf8")
    this.child.stdout.on("data", (chunk: string) => this.onData(chunk))
    this.child.stderr.setEncoding("utf8")
    this.child.stderr.on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000)
    })
    this.child.stdin.on("error", () => {})
    this.exited = new Promise((resolve) => {
      this.child.once("exit", () => {
        this.hasExited = true
        process.removeListener("exit", this.killOnExit)
        const err = new PeerError(`pyzmq peer exited; stderr: ${this.stderr.trim()}`, "ETERM")
        for (const p of this.pending.values()) p.reject(err)
        this.pending.clear()
        resolve()
      })
    })
  }

  private onData(chunk: string): void {
    this.buffered += chunk
    let nl: number
    while ((nl = this.buffered.indexOf("\n")) >= 0) {
      const line = this.buffered.slice(0, nl)
      this.buffered = this.buffered.slice(nl + 1)
      if (!line.trim()) continue
      const msg = JSON.parse(line) as Reply & { event?: string; sock?: number; name?: string; endpoint?: string }
      if (msg.event === "monitor" && typeof msg.sock === "number") {
        this.log(msg.sock).push({ name: String(msg.name), endpoint: msg.endpoint })
        continue
      }
      const p = this.pending.get(msg.id)
      if (!p) continue
      this.pending.delete(msg.id)
      p.resolve(msg)
    }
  }

  log(sock: number): EventLog {
    let log = this.events.get(sock)
    if (!log) {
      log = new EventLog()
      this.events.set(sock, log)
    }
    return log
  }

  /** Sends one command and resolves with its reply; rejects with a PeerError carrying `code`. */
  async call(cmd: string, args: Record<string, unknown> = {}): Promise<Reply> {
    if (this.hasExited) throw new PeerError(`pyzmq peer has exited; stderr: ${this.stderr.trim()}`, "ETERM")
    const id = this.nextId++
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.child.stdin.write(JSON.stringify({ id, cmd, ...args }) + "\n")
    })
    if (!reply.ok) throw new PeerError(`pyzmq ${cmd}: ${reply.error}`, reply.code ?? "EUNKNOWN")
    return reply
  }

  async start(): Promise<this> {
    const hello = await this.call("hello")
    this.libzmqVersion = String(hello.libzmq)
    return this
  }

  async socket(type: SocketType | PubSubType | PipelineType, options: PeerSocketOptions = {}): Promise<PeerSocket> {
    const opts: Record<string, unknown> = {}
    if (options.routingId !== undefined) opts.ROUTING_ID = { str: options.routingId }
    if (options.connectRoutingId !== undefined) opts.CONNECT_ROUTING_ID = { str: options.connectRoutingId }
    if (options.mandatory !== undefined) opts.ROUTER_MANDATORY = options.mandatory ? 1 : 0
    if (options.reconnectInterval !== undefined) opts.RECONNECT_IVL = options.reconnectInterval
    if (options.verbosity === "allSubs") opts.XPUB_VERBOSE = 1
    if (options.verbosity === "allSubsUnsubs") opts.XPUB_VERBOSER = 1
    if (options.sendHighWaterMark !== undefined) opts.SNDHWM = options.sendHighWaterMark
    if (options.receiveHighWaterMark !== undefined) opts.RCVHWM = options.receiveHighWaterMark
    for (const key of SECURITY_OPTIONS) {
      const value = options[key]
      if (value === undefined) continue
      opts[LIBZMQ_SECURITY_NAMES[key]] = typeof value === "boolean" ? (value ? 1 : 0) : { str: value }
    }
    const { sock } = (await this.call("socket", { type, options: opts })) as Reply & { sock: number }
    if (options.monitor) await this.call("monitor", { sock })
    return new PyzmqSocket(this, type, sock)
  }

  async proxy(frontend: string, backend: string, pubsub = false): Promise<PeerProxy> {
    const r = (await this.call("proxy", { frontend, backend, pubsub })) as Reply & { proxy: number; frontend: string; backend: string }
    return {
      frontend: r.frontend,
      backend: r.backend,
      stop: async () => {
        await this.call("proxy_stop", { proxy: r.proxy })
      },
    }
  }

  async zap(policy: ZapPolicy): Promise<PeerZapHandler> {
    const { sock } = (await this.call("zap", { plain: policy.plain, curve: policy.curve ?? [] })) as Reply & { sock: number }
    return {
      waitForEvent: (name, timeoutMs = DEFAULT_TIMEOUT) => this.log(sock).wait(name, timeoutMs, "pyzmq ZAP handler"),
      answered: () => this.log(sock).names(),
      close: async () => {
        await this.call("close", { sock }).catch(() => {})
      },
    }
  }

  async close(): Promise<void> {
    if (!this.hasExited) {
      // Ask politely; peer.py closes its sockets and exits. Then make sure.
      this.call("exit").catch(() => {})
      this.child.stdin.end()
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000)
      await this.exited
      clearTimeout(timer)
    }
  }
}

class PyzmqSocket implements PeerSocket {
  private closed = false

  constructor(
    private readonly peer: PyzmqPeer,
    readonly type: SocketType | PubSubType | PipelineType,
    private readonly sock: number,
  ) {}

  async bind(endpoint: string): Promise<string> {
    const r = await this.peer.call("bind", { sock: this.sock, endpoint })
    return String(r.endpoint)
  }

  async connect(endpoint: string): Promise<void> {
    await this.peer.call("connect", { sock: this.sock, endpoint })
  }

  async send(frames: Buffer[]): Promise<void> {
    await this.peer.call("send", { sock: this.sock, frames: frames.map((f) => f.toString("base64")) })
  }

  async receive(timeoutMs = DEFAULT_TIMEOUT): Promise<Buffer[]> {
    const r = await this.peer.call("recv", { sock: this.sock, timeout: timeoutMs })
    return (r.frames as string[]).map((f) => Buffer.from(f, "base64"))
  }

  async echo(): Promise<void> {
    await this.peer.call("echo", { sock: this.sock })
  }

  async subscribe(topic: Buffer): Promise<void> {
    await this.peer.call("setopt", { sock: this.sock, name: "SUBSCRIBE", value: { b64: topic.toString("base64") } })
  }

  async unsubscribe(topic: Buffer): Promise<void> {
    await this.peer.call("setopt", { sock: this.sock, name: "UNSUBSCRIBE", value: { b64: topic.toString("base64") } })
  }

  waitForEvent(name: string, timeoutMs = DEFAULT_TIMEOUT): Promise<PeerEvent> {
    return this.peer.log(this.sock).wait(name, timeoutMs, `pyzmq ${this.type}`)
  }

  seenEvents(): string[] {
    return this.peer.log(this.sock).names()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.peer.call("close", { sock: this.sock }).catch(() => {})
  }
}

/** Starts a pyzmq child process running interop/peer.py. Close it with {@link LibzmqPeer.close}. */
export async function pyzmqPeer(): Promise<LibzmqPeer> {
  const peer = new PyzmqPeer()
  try {
    return await peer.start()
  } catch (err) {
    await peer.close()
    throw err
  }
}

/** The peers a test file runs against, by name. */
export const PEER_NAMES = ["zeromq.js", "pyzmq"] as const
export type PeerName = (typeof PEER_NAMES)[number]

/** Starts the named peer. */
export async function startPeer(name: PeerName): Promise<LibzmqPeer> {
  return name === "zeromq.js" ? zeromqJsPeer() : pyzmqPeer()
}

/** Resolves to `receive()`'s message, or undefined when it fails with EAGAIN (its timeout). */
async function orTimeout(p: Promise<Buffer[]>): Promise<Buffer[] | undefined> {
  try {
    return await p
  } catch (e) {
    if ((e as { code?: string }).code === "EAGAIN") return undefined
    throw e
  }
}

/** Receives from a zmtp socket within `ms`, or undefined. */
export function subjectTry(s: { receiveTimeout: number; receive(): Promise<Buffer[]> }, ms: number): Promise<Buffer[] | undefined> {
  s.receiveTimeout = ms
  return orTimeout(s.receive())
}

/** Receives from a libzmq socket within `ms`, or undefined. */
export function peerTry(s: PeerSocket, ms: number): Promise<Buffer[] | undefined> {
  return orTimeout(s.receive(ms))
}
