/** The zmtp subcommands other than `start`: broker, serve, call, req, rep, load. */
import { Buffer } from "node:buffer"
import { Reply, Request } from "../index.js"
import { Broker } from "../rpc/broker.js"
import { RpcClient } from "../rpc/client.js"
import { RpcServer, type Handler } from "../rpc/server.js"
import { DEFAULT_TOPIC } from "../rpc/protocol.js"
import { CliError, UsageError } from "./errors.js"
import { int, num, parse, say, stopSignal, tellParent, unlessStopped } from "./util.js"

export const DEFAULT_FRONTEND = "tcp://127.0.0.1:5555"
export const DEFAULT_BACKEND = "ipc:///tmp/zmtp-backend.sock"

export const HELP: Record<string, string> = {
  broker: `Usage: zmtp broker [--frontend EP] [--backend EP] [--topic NAME=EP ...]

Runs the broker: a ROUTER frontend for clients and a DEALER backend for servers, forwarding
between them. A topic with 1000 requests waiting for a server refuses more at once, and a request
no server took within 5 s is refused (ERR_RPC_UNAVAILABLE). Stops on Ctrl-C.

  --frontend EP      where clients connect (default tcp://*:5555)
  --backend EP       backend of the default topic (default ${DEFAULT_BACKEND})
  --topic NAME=EP    another topic with its own backend (repeatable)
  --quiet            print nothing once running`,
  serve: `Usage: zmtp serve [--connect EP ...] [--topic NAME] [--concurrency N] [--name NAME]

Runs a demo RPC server connected to one broker backend or several (it takes work from each).
Methods:
  echo(value)        returns value
  add([a, b, ...])   returns the sum
  sleep(ms)          waits ms milliseconds, returns ms
  fail(message)      throws an Error with code E_DEMO (to see a RemoteError)
  info()             this server's name, pid and counters

  --connect EP       a broker backend, ipc or tcp (repeatable; default ${DEFAULT_BACKEND})
  --topic NAME       the topic served (default ${DEFAULT_TOPIC})
  --concurrency N    REP sockets per broker, i.e. calls handled at once from each (default 16)
  --name NAME        shown by info() (default server-PID)
  --quiet            print nothing once running`,
  call: `Usage: zmtp call <method> [json-params] [--connect EP ...] [--timeout MS] [--retries N] [--topic NAME] [--cast]

Calls a method through a broker (one of several, if several are given) and prints the result as JSON.

  --connect EP       a broker frontend (repeatable; default ${DEFAULT_FRONTEND})
  --timeout MS       ms to wait for each attempt (default 3000)
  --retries N        resend (same call id) after a timeout, N times (default 0)
  --topic NAME       the topic to call (default ${DEFAULT_TOPIC})
  --cast             only wait for the server's acknowledgement

Example: zmtp call add '[1, 2]'`,
  req: `Usage: zmtp req <frame> [frame ...] [--connect EP] [--timeout MS]

Sends one request from a REQ socket and prints the reply, one frame per line.

  --connect EP       where to send (default ${DEFAULT_FRONTEND})
  --timeout MS       ms to wait for the reply (default 3000)`,
  rep: `Usage: zmtp rep [--bind EP | --connect EP] [--reply TEXT] [--count N]

Answers requests on a REP socket, printing each one (frames joined by " | "). Replies with the
request itself, or with TEXT. Stops on Ctrl-C or after N requests.

  --bind EP          bind here (default tcp://*:5556 unless --connect is given)
  --connect EP       connect here instead (e.g. a broker backend)
  --reply TEXT       reply with TEXT instead of echoing
  --count N          stop after N requests`,
  load: `Usage: zmtp load [--connect EP ...] [--duration S] [--concurrency N] [--method NAME] [--timeout MS] [--retries N]

Calls a method as fast as it can with N calls in flight, printing one line a second: calls/s,
p50 and p99 latency, errors.

  --connect EP       a broker frontend (repeatable; default ${DEFAULT_FRONTEND})
  --duration S       seconds to run (default 5)
  --concurrency N    calls in flight (default 64)
  --method NAME      add (default) or echo
  --timeout MS       per-attempt timeout (default 2000)
  --retries N        resend (same call id) after a timeout, N times (default 0)
  --quiet            print only the summary`,
}

// ---- broker ----------------------------------------------------------------------------------

export async function broker(argv: string[]): Promise<number> {
  const { values } = parse("broker", argv, {
    frontend: { type: "string" },
    backend: { type: "string" },
    topic: { type: "string", multiple: true },
    quiet: { type: "boolean" },
  })
  if (values.help) return help("broker")
  const topics: Record<string, string> = {}
  for (const t of (values.topic as string[] | undefined) ?? []) {
    const eq = t.indexOf("=")
    if (eq <= 0 || eq === t.length - 1) throw new UsageError(`--topic takes NAME=ENDPOINT, not ${JSON.stringify(t)}`, "broker")
    topics[t.slice(0, eq)] = t.slice(eq + 1)
  }
  const b = await Broker.start({
    frontend: (values.frontend as string | undefined) ?? "tcp://*:5555",
    backend: (values.backend as string | undefined) ?? DEFAULT_BACKEND,
    topics,
  })
  const backends = Object.entries(b.backends).map(([t, ep]) => `${ep} (${t})`).join(", ")
  say(values.quiet as boolean, `zmtp broker: frontend ${b.frontend}, backend ${backends}; Ctrl-C to stop`)
  tellParent({ type: "ready", frontend: b.frontend, backends: b.backends })
  await stopSignal()
  await b.close()
  return 0
}

// ---- serve -----------------------------------------------------------------------------------

/** The demo methods of `zmtp serve`. */
export function demoHandlers(name: string, stats: () => unknown): Record<string, Handler> {
  return {
    echo: (value: unknown) => value,
    add: (args: unknown) => {
      const list = Array.isArray(args) ? args : args && typeof args === "object" ? Object.values(args) : [args]
      let sum = 0
      for (const x of list) {
        if (typeof x !== "number") throw Object.assign(new TypeError(`add takes numbers, got ${JSON.stringify(x)}`), { code: "E_ARGS" })
        sum += x
      }
      return sum
    },
    sleep: async (ms: unknown) => {
      const n = typeof ms === "number" && ms >= 0 ? ms : 0
      await new Promise((r) => setTimeout(r, n))
      return n
    },
    fail: (message: unknown) => {
      throw Object.assign(new Error(typeof message === "string" ? message : "failed on purpose"), { code: "E_DEMO" })
    },
    info: () => ({ name, pid: process.pid, stats: stats() }),
  }
}

export async function serve(argv: string[]): Promise<number> {
  const { values } = parse("serve", argv, {
    connect: { type: "string", multiple: true },
    topic: { type: "string" },
    concurrency: { type: "string" },
    name: { type: "string" },
    quiet: { type: "boolean" },
  })
  if (values.help) return help("serve")
  const endpoints = endpointsOf(values.connect, DEFAULT_BACKEND)
  const endpoint = endpoints.join(", ")
  const name = (values.name as string | undefined) ?? `server-${process.pid}`
  const concurrency = int("serve", "concurrency", values.concurrency as string | undefined, 16, 1)
  let server: RpcServer | undefined
  server = new RpcServer(
    demoHandlers(name, () => server?.stats),
    { concurrency, topic: (values.topic as string | undefined) ?? DEFAULT_TOPIC },
  )
  server.connect(endpoints)
  say(values.quiet as boolean, `zmtp serve: ${name} serving topic ${server.topic} at ${endpoint} (${concurrency} REP sockets each); Ctrl-C to stop`)
  tellParent({ type: "ready", name })
  await stopSignal()
  const stats = server.stats
  await server.close()
  tellParent({ type: "done", name, stats })
  return 0
}

// ---- call ------------------------------------------------------------------------------------

export async function call(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    "call",
    argv,
    {
      connect: { type: "string", multiple: true },
      timeout: { type: "string" },
      retries: { type: "string" },
      topic: { type: "string" },
      cast: { type: "boolean" },
    },
    true,
  )
  if (values.help) return help("call")
  const [method, json, ...extra] = positionals
  if (!method) throw new UsageError("name the method to call", "call")
  if (extra.length > 0) throw new UsageError("params must be one JSON value (quote it)", "call")
  let params: unknown = null
  if (json !== undefined) {
    try {
      params = JSON.parse(json)
    } catch (e) {
      throw new UsageError(`params are not valid JSON: ${(e as Error).message}`, "call")
    }
  }
  const endpoints = endpointsOf(values.connect, DEFAULT_FRONTEND)
  const endpoint = endpoints.join(", ")
  const timeout = int("call", "timeout", values.timeout as string | undefined, 3000, 1)
  const retries = int("call", "retries", values.retries as string | undefined, 0)
  const client = new RpcClient(endpoints, { timeout, retries, poolSize: 1 })
  const topic = (values.topic as string | undefined) ?? DEFAULT_TOPIC
  try {
    const outcome = await unlessStopped(() => (values.cast ? client.cast(method, params, { topic }) : client.call(method, params, { topic })))
    if ("stopped" in outcome) return interrupted("call", outcome.stopped)
    console.log(values.cast ? "acknowledged" : JSON.stringify(outcome.value ?? null))
  } catch (e) {
    if ((e as Error).name === "TimeoutError") {
      throw new CliError(`no reply from ${endpoint} within ${timeout} ms${retries ? ` (${retries + 1} attempts)` : ""}: is a broker running there, with a server behind it?`)
    }
    throw e
  } finally {
    client.close()
  }
  return 0
}

/** A one-shot command stopped before its answer came: said on stderr, exit status 128 + SIGINT. */
function interrupted(command: string, why: string): number {
  console.error(`zmtp ${command}: stopped (${why}) before a reply came`)
  return 130
}

// ---- req / rep -------------------------------------------------------------------------------

/** A frame as text if it is printable UTF-8, else as 0x-prefixed hex (e.g. an msgpack RPC reply). */
export function printable(f: Buffer): string {
  const s = f.toString()
  // eslint-disable-next-line no-control-regex
  return Buffer.from(s).equals(f) && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(s) ? s : `0x${f.toString("hex")}`
}

export async function req(argv: string[]): Promise<number> {
  const { values, positionals } = parse("req", argv, { connect: { type: "string" }, timeout: { type: "string" } }, true)
  if (values.help) return help("req")
  if (positionals.length === 0) throw new UsageError("give at least one frame to send", "req")
  const endpoint = (values.connect as string | undefined) ?? DEFAULT_FRONTEND
  const timeout = int("req", "timeout", values.timeout as string | undefined, 3000, 1)
  const sock = new Request({ linger: 0, receiveTimeout: timeout })
  try {
    sock.connect(endpoint)
    const outcome = await unlessStopped(async () => {
      await sock.send(positionals)
      try {
        return await sock.receive()
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") throw new CliError(`no reply from ${endpoint} within ${timeout} ms: is a REP (or a broker) there?`)
        throw e
      }
    })
    if ("stopped" in outcome) return interrupted("req", outcome.stopped)
    for (const f of outcome.value) console.log(printable(f))
  } finally {
    sock.close()
  }
  return 0
}

export async function rep(argv: string[]): Promise<number> {
  const { values } = parse("rep", argv, { bind: { type: "string" }, connect: { type: "string" }, reply: { type: "string" }, count: { type: "string" } })
  if (values.help) return help("rep")
  if (values.bind !== undefined && values.connect !== undefined) throw new UsageError("give --bind or --connect, not both", "rep")
  const count = int("rep", "count", values.count as string | undefined, 0, 1)
  const sock = new Reply({ linger: 1000 })
  try {
    if (values.connect !== undefined) sock.connect(values.connect as string)
    else await sock.bind((values.bind as string | undefined) ?? "tcp://*:5556")
    console.log(`zmtp rep: ${values.connect !== undefined ? "connected to" : "bound at"} ${sock.lastEndpoint}; Ctrl-C to stop`)
    tellParent({ type: "ready", endpoint: sock.lastEndpoint })
    const stop = stopSignal().then(() => sock.close())
    let served = 0
    for await (const msg of sock) {
      console.log(msg.map(printable).join(" | "))
      await sock.send(values.reply !== undefined ? [values.reply as string] : msg)
      if (count > 0 && ++served >= count) break
    }
    void stop
  } finally {
    sock.close()
  }
  return 0
}

// ---- load ------------------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

export async function load(argv: string[]): Promise<number> {
  const { values } = parse("load", argv, {
    connect: { type: "string", multiple: true },
    duration: { type: "string" },
    concurrency: { type: "string" },
    method: { type: "string" },
    timeout: { type: "string" },
    retries: { type: "string" },
    quiet: { type: "boolean" },
  })
  if (values.help) return help("load")
  const endpoints = endpointsOf(values.connect, DEFAULT_FRONTEND)
  const endpoint = endpoints.join(", ")
  const seconds = num("load", "duration", values.duration as string | undefined, 5)
  const concurrency = int("load", "concurrency", values.concurrency as string | undefined, 64, 1)
  const timeout = int("load", "timeout", values.timeout as string | undefined, 2000, 1)
  const method = (values.method as string | undefined) ?? "add"
  if (method !== "add" && method !== "echo") throw new UsageError(`--method is add or echo, not ${JSON.stringify(method)}`, "load")
  const retries = int("load", "retries", values.retries as string | undefined, 0)
  const client = new RpcClient(endpoints, { timeout, retries, poolSize: concurrency })
  let stopping = false
  let window: number[] = []
  let windowErrors = 0
  let total = 0
  let errors = 0
  const all: number[] = []
  const errorKinds = new Map<string, number>()
  const started = performance.now()
  let tick = 0
  let tickAt = started
  const report = (final: boolean) => {
    const now = performance.now()
    const secs = (now - tickAt) / 1000
    // The last, partial second is shown only if it is long enough to mean something.
    if (final && (secs < 0.25 || window.length === 0)) return
    tick++
    tickAt = now
    const sorted = window.sort((a, b) => a - b)
    const rate = Math.round(sorted.length / secs)
    // Whole seconds for the regular lines, the exact time for the last, partial one: "  3s", "3.4s".
    const label = final ? `${((now - started) / 1000).toFixed(1)}s` : `${tick}s`
    say(
      values.quiet as boolean,
      `${label.padStart(4)}  calls/s ${String(rate).padStart(6)}  p50 ${percentile(sorted, 50).toFixed(2).padStart(7)} ms  p99 ${percentile(sorted, 99).toFixed(2).padStart(7)} ms  errors ${windowErrors}`,
    )
    window = []
    windowErrors = 0
  }
  const ticker = setInterval(() => report(false), 1000)
  const stopped = stopSignal().then(() => void (stopping = true))
  const timer = setTimeout(() => (stopping = true), seconds * 1000)
  let i = 0
  const worker = async () => {
    while (!stopping) {
      const n = i++
      const t0 = performance.now()
      try {
        const r = method === "add" ? await client.call("add", [n, 1]) : await client.call("echo", n)
        if (r !== (method === "add" ? n + 1 : n)) throw new CliError(`wrong result ${JSON.stringify(r)}`)
        const ms = performance.now() - t0
        window.push(ms)
        all.push(ms)
        total++
      } catch (e) {
        windowErrors++
        errors++
        const k = (e as { code?: string }).code ?? (e as Error).name
        errorKinds.set(k, (errorKinds.get(k) ?? 0) + 1)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsed = (performance.now() - started) / 1000
  clearInterval(ticker)
  report(true)
  clearTimeout(timer)
  client.close()
  all.sort((a, b) => a - b)
  const summary = {
    calls: total,
    errors,
    seconds: Number(elapsed.toFixed(2)),
    callsPerSecond: Math.round(total / elapsed),
    p50: Number(percentile(all, 50).toFixed(2)),
    p99: Number(percentile(all, 99).toFixed(2)),
    errorKinds: Object.fromEntries(errorKinds),
    retries: client.stats.retries,
  }
  if (!process.send) {
    const kinds = errors ? ` (${[...errorKinds].map(([k, v]) => `${k} ${v}`).join(", ")})` : ""
    console.log(`zmtp load: ${total} calls in ${summary.seconds} s, ${summary.callsPerSecond} calls/s, p50 ${summary.p50} ms, p99 ${summary.p99} ms, ${errors} errors${kinds}`)
  }
  tellParent({ type: "done", summary })
  void stopped
  if (total === 0 && errors > 0) throw new CliError(`every call failed (${[...errorKinds.keys()].join(", ")}): is a broker running at ${endpoint}, with a server behind it?`)
  return 0
}

/** The endpoints of a repeatable --connect, or the default. */
function endpointsOf(given: unknown, fallback: string): string[] {
  const list = (given as string[] | undefined) ?? []
  return list.length > 0 ? list : [fallback]
}

export function help(command: string): number {
  console.log(HELP[command])
  return 0
}
