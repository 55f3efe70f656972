// A Jupyter kernel client written against the zeromq.js v6 API, and a launcher for a local kernel.
//
// The client is handed the ZeroMQ module (`import * as zmq from "zmtp"` or `from "zeromq"`) and uses
// only what zeromq.js offers: `new Dealer({ routingId })`, `new Subscriber()`, `new Request()`,
// un-awaited `connect()`, `subscribe()`, `send()` and `for await` on each socket. The same code runs
// on either module; interop/jupyter.test.ts runs it on both against a real ipykernel.
//
// Wire format: the Jupyter messaging protocol, version 5.3
// (https://jupyter-client.readthedocs.io/en/stable/messaging.html, "The Wire Protocol"):
//
//   [identities..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...]
//
// where the signature is the hex HMAC (the connection file's `signature_scheme`, hmac-sha256 here) of
// the four JSON frames that follow it, keyed with the connection file's `key`. An empty key turns
// signing off: the signature frame is then empty.

import { spawn } from "node:child_process"
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto"
import { EventEmitter } from "node:events"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** The frame that separates the routing identities from the message (messaging spec, wire protocol). */
export const DELIMITER = "<IDS|MSG>"
/** The messaging protocol version this client speaks. */
export const PROTOCOL_VERSION = "5.3"

/**
 * The hex signature of a message's four JSON frames, or "" when `key` is empty (signing off).
 * `scheme` is the connection file's signature_scheme, `hmac-<digest>` (hmac-sha256 by default).
 */
export function sign(key, scheme, frames) {
  if (!key) return ""
  const match = /^hmac-([a-z0-9-]+)$/i.exec(scheme ?? "hmac-sha256")
  if (!match) throw new Error(`unsupported signature_scheme ${JSON.stringify(scheme)}`)
  const hmac = createHmac(match[1], key)
  for (const frame of frames) hmac.update(frame)
  return hmac.digest("hex")
}

/** Encodes a message as the frames a Dealer sends (a Dealer adds no identity of its own). */
export function serialize(msg, key, scheme) {
  const json = [msg.header, msg.parent_header ?? {}, msg.metadata ?? {}, msg.content ?? {}].map((part) =>
    Buffer.from(JSON.stringify(part)),
  )
  return [...(msg.identities ?? []), Buffer.from(DELIMITER), Buffer.from(sign(key, scheme, json)), ...json, ...(msg.buffers ?? [])]
}

/**
 * Decodes received frames into a message. Throws if the delimiter is missing, a frame is not JSON,
 * or the signature does not match (a kernel must drop such a message, and so does this client).
 */
export function deserialize(frames, key, scheme) {
  const at = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER)
  if (at < 0) throw new Error("not a Jupyter message: no <IDS|MSG> delimiter")
  if (frames.length < at + 6) throw new Error(`not a Jupyter message: ${frames.length - at - 1} frames after the delimiter, 5 needed`)
  const json = frames.slice(at + 2, at + 6)
  const expected = Buffer.from(sign(key, scheme, json))
  const got = Buffer.from(frames[at + 1])
  if (expected.length !== got.length || !timingSafeEqual(expected, got)) throw new Error("invalid message signature")
  const [header, parent_header, metadata, content] = json.map((f) => JSON.parse(f.toString()))
  return { identities: frames.slice(0, at), header, parent_header, metadata, content, buffers: frames.slice(at + 6) }
}

/** The ZeroMQ endpoint of one of the kernel's ports (ipc endpoints are `<ip>-<port>`, as jupyter_client names them). */
export function endpoint(info, port) {
  return info.transport === "ipc" ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`
}

/**
 * A client of one kernel: shell, control and stdin are Dealers sharing one routing id (the kernel
 * sends each `input_request` on its stdin ROUTER to the identity the request came from on shell),
 * iopub is a Subscriber of everything, and the heartbeat is a Request whose pings the kernel echoes.
 *
 * Emits "iopub" with every iopub message and "invalid" with every message dropped because it did not
 * decode or verify.
 */
export class JupyterClient extends EventEmitter {
  #zmq
  #info
  #pending = new Map()
  #sending = new Map()
  #loops = []
  #handshakes = []
  #closed = false

  constructor(zmq, info, { session = randomUUID(), username = "zmtp" } = {}) {
    super()
    this.#zmq = zmq
    this.#info = info
    this.session = session
    this.username = username
    /** How many received messages were dropped (bad signature, not a Jupyter message). */
    this.invalid = 0
    // One routing id for the three Dealers, as every Jupyter frontend does (messaging spec, "stdin").
    const routingId = session
    this.shell = new zmq.Dealer({ routingId })
    this.control = new zmq.Dealer({ routingId })
    this.stdin = new zmq.Dealer({ routingId })
    this.iopub = new zmq.Subscriber()
    this.heartbeat = new zmq.Request()
  }

  /** Connects every channel and starts reading. Like zeromq.js's connect(), it returns at once. */
  connect() {
    const info = this.#info
    // A ROUTER drops what it sends to an identity it does not know yet, so an input_request sent
    // before our stdin Dealer has connected is lost (the kernel then waits for ever): ready() waits
    // for each Dealer's handshake. Events are watched before connecting so none is missed.
    this.#handshakes = [this.shell, this.control, this.stdin].map(
      (sock) => new Promise((resolve) => sock.events.on("handshake", resolve)),
    )
    this.shell.connect(endpoint(info, info.shell_port))
    this.control.connect(endpoint(info, info.control_port))
    this.stdin.connect(endpoint(info, info.stdin_port))
    this.iopub.connect(endpoint(info, info.iopub_port))
    this.iopub.subscribe()
    this.heartbeat.connect(endpoint(info, info.hb_port))
    this.#loops.push(this.#read("shell", this.shell), this.#read("control", this.control), this.#read("stdin", this.stdin), this.#readIopub())
  }

  /**
   * Resolves once shell, control and stdin have completed their handshakes with the kernel, the
   * kernel answers on shell, and its iopub messages reach us. A PUB socket drops what it publishes
   * before our subscription arrives, so kernel_info_request is repeated every `retryEvery` ms until
   * one comes back with its status messages (jupyter_client's wait_for_ready does the same).
   */
  async ready({ timeout = 30_000, retryEvery = 500 } = {}) {
    const deadline = Date.now() + timeout
    const attempts = []
    try {
      if (!(await settleWithin(timeout, Promise.all(this.#handshakes)))) throw new Error(`kernel channels not connected within ${timeout} ms`)
      for (;;) {
        const attempt = this.#request("shell", "kernel_info_request", {}, { waitForIdle: true })
        attempts.push(attempt)
        const wait = Math.min(retryEvery, deadline - Date.now())
        const done = await settleWithin(wait, Promise.race(attempts.map((a) => a.done)))
        if (done) return done.value
        if (Date.now() >= deadline) throw new Error(`kernel not ready within ${timeout} ms`)
      }
    } finally {
      for (const a of attempts) this.#pending.delete(a.id)
    }
  }

  /** kernel_info_request on shell; resolves with `{ reply, iopub }`. */
  kernelInfo() {
    return this.#request("shell", "kernel_info_request", {}, { waitForIdle: true }).done
  }

  /**
   * execute_request on shell. Resolves with `{ reply, iopub }` once both the execute_reply and the
   * iopub `status: idle` for this request have arrived; `iopub` holds every iopub message whose
   * parent is this request, in arrival order. `onInput(prompt, password)` answers the kernel's
   * input_request messages over stdin (and turns allow_stdin on); if it throws, the kernel is told
   * end of input and the request rejects with that error once the kernel has finished it. `userExpressions` maps names to
   * expressions the kernel evaluates afterwards and returns in the reply's `user_expressions`.
   */
  execute(code, { onInput, silent = false, storeHistory = true, userExpressions = {}, allowStdin = onInput !== undefined, stopOnError = true } = {}) {
    const content = { code, silent, store_history: storeHistory, user_expressions: userExpressions, allow_stdin: allowStdin, stop_on_error: stopOnError }
    return this.#request("shell", "execute_request", content, { waitForIdle: true, onInput }).done
  }

  /** shutdown_request on control; resolves with `{ reply, iopub }` at the shutdown_reply. */
  shutdown({ restart = false } = {}) {
    return this.#request("control", "shutdown_request", { restart }, { waitForIdle: false }).done
  }

  /**
   * Sends one heartbeat and resolves with true when the kernel echoes it within `timeout` ms. On a
   * timeout the Request is replaced (a REQ that got no reply cannot send again).
   */
  async ping(timeout = 2000) {
    const payload = Buffer.from(`ping ${randomUUID()}`)
    const hb = this.heartbeat
    const echoed = (async () => {
      await hb.send(payload)
      const [echo] = await hb.receive()
      return Buffer.compare(echo, payload) === 0
    })()
    echoed.catch(() => {})
    const ok = await settleWithin(timeout, echoed)
    if (!ok && !this.#closed) {
      hb.close()
      this.heartbeat = new this.#zmq.Request()
      this.heartbeat.connect(endpoint(this.#info, this.#info.hb_port))
      return false
    }
    return ok?.value === true
  }

  /** Closes every socket; requests still waiting reject. */
  async close() {
    if (this.#closed) return
    this.#closed = true
    for (const sock of [this.shell, this.control, this.stdin, this.iopub, this.heartbeat]) if (!sock.closed) sock.close()
    const err = new Error("client closed")
    for (const p of this.#pending.values()) p.reject(err)
    this.#pending.clear()
    await Promise.allSettled(this.#loops)
  }

  /** A new message's header (messaging spec, "General Message Format"). */
  #header(msgType) {
    return { msg_id: randomUUID(), session: this.session, username: this.username, date: new Date().toISOString(), msg_type: msgType, version: PROTOCOL_VERSION }
  }

  /** Sends on one socket after its previous send: zeromq.js allows one send in flight (EBUSY). */
  #send(sock, msg) {
    const frames = serialize(msg, this.#info.key, this.#info.signature_scheme)
    const prev = this.#sending.get(sock) ?? Promise.resolve()
    const next = prev.then(() => sock.send(frames))
    this.#sending.set(sock, next.catch(() => {}))
    return next
  }

  #request(channel, msgType, content, { waitForIdle, onInput }) {
    const header = this.#header(msgType)
    let resolve, reject
    const done = new Promise((res, rej) => ((resolve = res), (reject = rej)))
    const entry = { channel, reply: undefined, idle: !waitForIdle, iopub: [], onInput, resolve, reject }
    this.#pending.set(header.msg_id, entry)
    this.#send(this[channel], { header, content }).catch((err) => {
      this.#pending.delete(header.msg_id)
      reject(err)
    })
    return { id: header.msg_id, done }
  }

  #settle(id, entry) {
    if (entry.reply && entry.idle) {
      this.#pending.delete(id)
      if (entry.error) entry.reject(entry.error)
      else entry.resolve({ reply: entry.reply, iopub: entry.iopub })
    }
  }

  #decode(channel, frames) {
    try {
      const msg = deserialize(frames, this.#info.key, this.#info.signature_scheme)
      msg.channel = channel
      return msg
    } catch (err) {
      this.invalid++
      this.emit("invalid", err, channel, frames)
      return undefined
    }
  }

  async #read(channel, sock) {
    try {
      for await (const frames of sock) {
        const msg = this.#decode(channel, frames)
        if (msg) await this.#dispatch(msg)
      }
    } catch (err) {
      this.#failAll(err)
    }
  }

  async #readIopub() {
    try {
      // The first frame is the topic the kernel published under (e.g. "kernel.<id>.status").
      for await (const [topic, ...rest] of this.iopub) {
        const msg = this.#decode("iopub", [topic, ...rest])
        if (!msg) continue
        msg.topic = topic.toString()
        this.emit("iopub", msg)
        const entry = this.#pending.get(msg.parent_header?.msg_id)
        if (!entry) continue
        entry.iopub.push(msg)
        if (msg.header.msg_type === "status" && msg.content.execution_state === "idle") {
          entry.idle = true
          this.#settle(msg.parent_header.msg_id, entry)
        }
      }
    } catch (err) {
      this.#failAll(err)
    }
  }

  async #dispatch(msg) {
    const parentId = msg.parent_header?.msg_id
    const entry = this.#pending.get(parentId)
    if (!entry) return
    if (msg.channel === "stdin" && msg.header.msg_type === "input_request") {
      // Answered on stdin with the input_request as parent (messaging spec, "Messages on the stdin ROUTER/DEALER channel").
      let value = ""
      try {
        if (entry.onInput) value = String(await entry.onInput(msg.content.prompt, msg.content.password))
      } catch (err) {
        // The request fails with the callback's error once the kernel has finished it. The kernel
        // still needs an answer, or it waits for ever: "\x04" is end of input to ipykernel (its
        // input() raises EOFError).
        entry.error ??= err
        value = "\x04"
      }
      await this.#send(this.stdin, { header: this.#header("input_reply"), parent_header: msg.header, content: { value } })
      return
    }
    if (msg.channel === entry.channel && msg.header.msg_type.endsWith("_reply")) {
      entry.reply = msg
      this.#settle(parentId, entry)
    }
  }

  #failAll(err) {
    if (this.#closed) return
    for (const p of this.#pending.values()) p.reject(err)
    this.#pending.clear()
  }
}

/** `{ value }` if `promise` resolves within `ms`, undefined if not (it rejects if `promise` does); the timer never outlives it. */
async function settleWithin(ms, promise) {
  let timer
  try {
    return await Promise.race([promise.then((value) => ({ value })), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))])
  } finally {
    clearTimeout(timer)
  }
}

/** A free tcp port on `host` (the OS picks it; it is released at once for the kernel to bind). */
export function freePort(host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once("error", reject)
    srv.listen({ host, port: 0 }, () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Starts `python -m ipykernel_launcher -f <connection file>` with a connection file written into a
 * fresh temporary directory: a random key, hmac-sha256, and either tcp on `ip` with the given ports
 * (or free ones), or ipc with paths `<dir>/kernel-1` ... `<dir>/kernel-5` (jupyter_client's ipc
 * naming: `ip` is the path prefix, the "port" its suffix). The kernel's IPython directory is in that
 * temporary directory too, so `stop()` leaves nothing behind. Resolves once the process is spawned;
 * use {@link JupyterClient.ready} to wait for the kernel.
 *
 * `ports`: { shell_port, iopub_port, stdin_port, control_port, hb_port }.
 */
export async function startKernel({ python = "python3", transport = "tcp", ip = "127.0.0.1", ports, key = randomBytes(32).toString("hex") } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "jupyter-client-"))
  const names = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"]
  const chosen = {}
  if (transport === "ipc") {
    ip = join(dir, "kernel")
    names.forEach((name, i) => (chosen[name] = i + 1))
  } else {
    for (const name of names) chosen[name] = ports?.[name] ?? (await freePort(ip))
  }
  const info = { ...chosen, ip, key, transport, signature_scheme: "hmac-sha256", kernel_name: "python3" }
  const connectionFile = join(dir, "kernel.json")
  await writeFile(connectionFile, JSON.stringify(info, null, 1), { mode: 0o600 })

  const env = {
    ...process.env,
    IPYTHONDIR: join(dir, "ipython"),
    JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
    // ipykernel loads debugpy, which warns about frozen modules on every start.
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  }
  const child = spawn(python, ["-m", "ipykernel_launcher", "-f", connectionFile], { stdio: ["ignore", "pipe", "pipe"], env })
  let output = ""
  const keep = (chunk) => (output = (output + chunk).slice(-8000))
  child.stdout.setEncoding("utf8").on("data", keep)
  child.stderr.setEncoding("utf8").on("data", keep)
  // If this process exits without stop(), the kernel must not outlive it.
  const killOnExit = () => child.kill("SIGKILL")
  process.once("exit", killOnExit)
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      process.removeListener("exit", killOnExit)
      resolve({ code, signal })
    })
  })
  const spawned = new Promise((resolve, reject) => {
    child.once("spawn", resolve)
    child.once("error", reject)
  })
  try {
    await spawned
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }

  return {
    info,
    connectionFile,
    dir,
    process: child,
    /** Resolves with `{ code, signal }` when the kernel process has exited. */
    exited,
    /** The last 8 KB the kernel wrote to stdout and stderr. */
    output: () => output,
    /** Kills the kernel if it still runs (SIGTERM, then SIGKILL after `grace` ms) and removes the temporary directory. */
    async stop({ grace = 2000 } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM")
        const timer = setTimeout(() => child.kill("SIGKILL"), grace)
        await exited
        clearTimeout(timer)
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}
