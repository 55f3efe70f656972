#!/usr/bin/env node
/**
 * Soak test (issue 10; not part of `npm test`): the broker pipeline
 *
 *   REQ clients --tcp--> broker (Router frontend, Proxy, Dealer backend) --ipc--> REP workers
 *
 * every role in its own child process, for `--minutes`, while the orchestrator SIGKILLs workers,
 * clients and the broker at random and restarts them. Clients use the lazy-pirate pattern (ZeroMQ
 * guide, "Client-Side Reliability"): each attempt waits `--timeout` ms for its reply; on a timeout
 * (EAGAIN) the client discards its REQ socket, opens a new one and retries, up to `--retries`.
 *
 * Reported: calls completed, typed errors (timeouts, abandoned calls, error codes), silent losses
 * (an attempt that neither got its reply nor a typed timeout; must be 0), wrong replies (a reply
 * to another request; must be 0), timeouts not explained by a recent kill, and RSS of every role
 * over time. Exit code 1 if a silent loss or wrong reply occurred, or nothing completed.
 *
 * Usage (zmtp is loaded from dist/index.js, so build first):
 *   npx tsup && node bench/soak.mjs --minutes 2
 *   node bench/soak.mjs --minutes 10 --clients 4 --concurrency 8 --workers 4 --kill-every 3 --json /tmp/soak.json
 *
 * Options: --minutes M (1), --clients N (3), --concurrency K calls in flight per client (4),
 * --workers N (3), --timeout ms per attempt (1000), --retries N (3), --kill-every S mean seconds
 * between kills (4; 0 = no kills), --payload octets (256), --work ms max per request in a worker (2),
 * --report-every S (10), --seed N, --module PATH (dist/index.js), --json FILE.
 *
 * With --brokers N it runs the RPC fabric instead (issue 20): N brokers, RpcServers and an RpcClient,
 * one broker killed or partitioned at a time; see "Fabric mode" below.
 */
import { fork } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import { connect as netConnect, createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, "..")

function parseArgs(argv) {
  const o = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith("--")) continue
    const k = a.slice(2)
    const v = argv[i + 1] !== undefined && !argv[i + 1].startsWith("--") ? argv[++i] : "true"
    o[k] = v
  }
  return o
}

const args = parseArgs(process.argv.slice(2))
const num = (k, d) => (args[k] === undefined ? d : Number(args[k]))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const mb = (n) => Math.round(n / (1024 * 1024))

async function loadZmtp(modulePath) {
  return import(pathToFileURL(modulePath).href)
}

// ------------------------------------------------------------------------------------------------
// Roles (child processes)
// ------------------------------------------------------------------------------------------------

function startRssReports(extra = () => ({})) {
  const t = setInterval(() => process.send?.({ type: "report", rss: process.memoryUsage().rss, ...extra() }), 250)
  t.unref()
}

async function bindRetrying(sock, ep) {
  const end = Date.now() + 10_000
  for (;;) {
    try {
      return await sock.bind(ep)
    } catch (e) {
      if (e?.code !== "EADDRINUSE" || Date.now() > end) throw e
      await sleep(50)
    }
  }
}

async function runBroker(z) {
  const front = new z.Router({ linger: 0 })
  const back = new z.Dealer({ linger: 0 })
  await bindRetrying(front, args.front)
  await bindRetrying(back, args.back)
  startRssReports(() => ({ stats: { front: front.statistics.messagesIn, back: back.statistics.messagesIn } }))
  process.send?.({ type: "ready" })
  process.on("message", (m) => {
    if (m?.type === "stop") {
      front.close()
      back.close()
      process.exit(0)
    }
  })
  await new z.Proxy(front, back).run()
}

async function runWorker(z) {
  const rep = new z.Reply({ linger: 0 })
  rep.connect(args.back)
  const work = num("work", 2)
  let served = 0
  startRssReports(() => ({ served }))
  process.send?.({ type: "ready" })
  process.on("message", (m) => {
    if (m?.type === "stop") {
      rep.close()
      process.exit(0)
    }
  })
  const pid = Buffer.from(String(process.pid))
  for await (const [id] of rep) {
    if (work > 0) await sleep(Math.floor(Math.random() * (work + 1)))
    await rep.send([id, pid])
    served++
  }
}

async function runClient(z) {
  const timeout = num("timeout", 1000)
  const retries = num("retries", 3)
  const concurrency = num("concurrency", 4)
  const payload = Buffer.alloc(num("payload", 256), 0x70)
  const name = args.name
  const c = { completed: 0, timeouts: 0, abandoned: 0, wrong: 0, silent: 0, errors: {} }
  /** Timeouts since the last report: [attempt start, timeout time]. */
  let newTimeouts = []
  /** Attempts in flight: start time, flagged once if it overstays. */
  const inflight = new Map()
  let stopping = false

  const report = () => {
    process.send?.({ type: "report", rss: process.memoryUsage().rss, counts: c, timeouts: newTimeouts })
    newTimeouts = []
  }
  setInterval(report, 250).unref()
  // Watchdog: an attempt must end (reply or typed EAGAIN) within its timeout; well past it, it is
  // a silent loss (the REQ socket hangs without telling the caller).
  setInterval(() => {
    const now = Date.now()
    for (const a of inflight.values()) {
      if (!a.flagged && now - a.start > timeout * 2 + 2000) {
        a.flagged = true
        c.silent++
        process.stderr.write(`[${name}] silent loss: attempt ${a.id} pending for ${now - a.start} ms\n`)
      }
    }
  }, 250).unref()

  const newReq = () => {
    const r = new z.Request({ linger: 0, receiveTimeout: timeout, sendTimeout: timeout, reconnectInterval: 50 })
    r.connect(args.front)
    return r
  }

  let seq = 0
  const loop = async (k) => {
    let req = newReq()
    while (!stopping) {
      const callId = `${name}.${k}.${seq++}`
      let done = false
      for (let attempt = 0; attempt <= retries && !done; attempt++) {
        const id = `${callId}.${attempt}`
        const a = { id, start: Date.now(), flagged: false }
        inflight.set(id, a)
        try {
          await req.send([id, payload])
          const reply = await req.receive()
          if (reply.length !== 2 || reply[0].toString() !== id) {
            c.wrong++
            process.stderr.write(`[${name}] wrong reply to ${id}: ${reply.map(String).join("|").slice(0, 80)}\n`)
          } else c.completed++
          done = true
        } catch (e) {
          const code = e?.code
          if (code === "EAGAIN") {
            c.timeouts++
            newTimeouts.push([a.start, Date.now()])
          } else {
            c.errors[code ?? "untyped"] = (c.errors[code ?? "untyped"] ?? 0) + 1
            if (!code) process.stderr.write(`[${name}] untyped error: ${e?.stack ?? e}\n`)
          }
          // Lazy pirate: the REQ socket is in an unknown state; discard it and open a new one.
          req.close()
          req = newReq()
        } finally {
          inflight.delete(id)
          // A flagged attempt that ended after all was still silent for far too long; keep the count.
        }
      }
      if (!done) c.abandoned++
    }
    req.close()
  }

  process.on("message", async (m) => {
    if (m?.type !== "stop") return
    stopping = true
  })
  process.send?.({ type: "ready" })
  await Promise.all(Array.from({ length: concurrency }, (_, k) => loop(k)))
  report()
  process.send?.({ type: "done" })
  // Let the last report go out.
  setTimeout(() => process.exit(0), 100)
}

// ------------------------------------------------------------------------------------------------
// Orchestrator
// ------------------------------------------------------------------------------------------------

function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** xorshift32, so that a seed replays the same kill schedule. */
function rng(seed) {
  let x = seed >>> 0 || 0x9e3779b9
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

async function orchestrate() {
  const minutes = num("minutes", 1)
  const nClients = num("clients", 3)
  const nWorkers = num("workers", 3)
  const killEvery = num("kill-every", 4)
  const timeout = num("timeout", 1000)
  const reportEvery = num("report-every", 10)
  const seed = num("seed", Date.now() & 0xffffffff)
  const random = rng(seed)

  // Snapshot the built module: another process may rebuild dist/ (tsup cleans it) during the run.
  const src = resolve(root, args.module ?? process.env.ZMTP_SOAK_MODULE ?? "dist/index.js")
  if (!existsSync(src)) {
    console.error(`${src} not found: run \`npx tsup\` first`)
    process.exit(2)
  }
  const snapDir = join(root, "bench", `.soak-${process.pid}`)
  mkdirSync(snapDir, { recursive: true })
  const modulePath = join(snapDir, "zmtp.mjs")
  copyFileSync(src, modulePath)
  process.on("exit", () => rmSync(snapDir, { recursive: true, force: true }))
  let z
  try {
    z = await loadZmtp(modulePath)
    for (const k of ["Router", "Dealer", "Request", "Reply", "Proxy"]) if (typeof z[k] !== "function") throw new Error(`${src} has no ${k}`)
  } catch (e) {
    console.error(`cannot load zmtp from ${src} (rebuilt meanwhile? run \`npx tsup\` again): ${e?.stack ?? e}`)
    process.exit(2)
  }

  const front = `tcp://127.0.0.1:${await freeTcpPort()}`
  const backPath = join(tmpdir(), `zmtp-soak-${process.pid}.sock`)
  const back = `ipc://${backPath}`
  const common = ["--module", modulePath, "--front", front, "--back", back, "--timeout", String(timeout)]
  for (const k of ["retries", "concurrency", "payload", "work"]) if (args[k] !== undefined) common.push(`--${k}`, args[k])

  const t0 = Date.now()
  const procs = new Map() // key -> { child, kind, alive, restartAt }
  const dead = { completed: 0, timeouts: 0, abandoned: 0, wrong: 0, silent: 0, errors: {} }
  const live = new Map() // client instance key -> last counts
  const kills = { worker: 0, client: 0, broker: 0 }
  const killTimes = []
  const timeoutsSeen = [] // [attemptStart, at]
  const rss = {} // key -> latest rss
  const peakRss = {}
  const timeline = []
  let instance = 0
  let stopping = false

  const spawnRole = (key, kind, extra = []) => {
    const child = fork(fileURLToPath(import.meta.url), ["--role", kind, ...common, ...extra], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
    const inst = `${key}#${++instance}`
    const p = { child, kind, key, inst, alive: true }
    procs.set(key, p)
    child.on("message", (m) => {
      if (m?.type !== "report") return
      rss[key] = m.rss
      peakRss[kind] = Math.max(peakRss[kind] ?? 0, m.rss)
      if (m.counts) live.set(inst, m.counts)
      if (m.timeouts) timeoutsSeen.push(...m.timeouts)
    })
    child.on("exit", () => {
      p.alive = false
      delete rss[key]
    })
    return p
  }

  const spawnBroker = () => spawnRole("broker", "broker")
  const spawnWorker = (i) => spawnRole(`worker${i}`, "worker")
  const spawnClient = (i) => spawnRole(`client${i}`, "client", ["--name", `c${i}.${instance + 1}`])

  spawnBroker()
  for (let i = 0; i < nWorkers; i++) spawnWorker(i)
  for (let i = 0; i < nClients; i++) spawnClient(i)

  const totals = () => {
    const t = { ...dead, errors: { ...dead.errors } }
    for (const c of live.values()) {
      t.completed += c.completed
      t.timeouts += c.timeouts
      t.abandoned += c.abandoned
      t.wrong += c.wrong
      t.silent += c.silent
      for (const [k, v] of Object.entries(c.errors)) t.errors[k] = (t.errors[k] ?? 0) + v
    }
    return t
  }

  // The chaos: kill something at random, restart it after a random pause.
  const RESTART_MAX = 1500
  const chaos = async () => {
    if (killEvery <= 0) return
    while (!stopping) {
      await sleep(killEvery * 1000 * (0.5 + random()))
      if (stopping) return
      const r = random()
      const kind = r < 0.5 ? "worker" : r < 0.75 ? "client" : "broker"
      const candidates = [...procs.values()].filter((p) => p.kind === kind && p.alive)
      if (candidates.length === 0) continue
      const victim = candidates[Math.floor(random() * candidates.length)]
      victim.child.kill("SIGKILL")
      kills[kind]++
      killTimes.push(Date.now())
      const pause = 100 + Math.floor(random() * (RESTART_MAX - 100))
      setTimeout(() => {
        if (stopping) return
        if (kind === "broker") spawnBroker()
        else if (kind === "worker") spawnWorker(Number(victim.key.slice(6)))
        else {
          // The dead client's last counts stay in `live` under its instance key.
          spawnClient(Number(victim.key.slice(6)))
        }
      }, pause)
    }
  }
  const chaosDone = chaos()

  let last = { t: 0, completed: 0 }
  const printLine = () => {
    const t = (Date.now() - t0) / 1000
    const tot = totals()
    const rate = Math.round((tot.completed - last.completed) / Math.max(0.001, t - last.t))
    last = { t, completed: tot.completed }
    const byKind = (k) => Object.entries(rss).filter(([key]) => key.startsWith(k)).map(([, v]) => mb(v))
    const range = (xs) => (xs.length === 0 ? "-" : Math.min(...xs) === Math.max(...xs) ? `${xs[0]}` : `${Math.min(...xs)}-${Math.max(...xs)}`)
    const row = {
      t: Math.round(t),
      completed: tot.completed,
      rate,
      timeouts: tot.timeouts,
      abandoned: tot.abandoned,
      errors: tot.errors,
      silent: tot.silent,
      wrong: tot.wrong,
      kills: { ...kills },
      rssMB: { broker: range(byKind("broker")), workers: range(byKind("worker")), clients: range(byKind("client")), orchestrator: mb(process.memoryUsage().rss) },
    }
    timeline.push(row)
    console.log(
      `t=${String(row.t).padStart(4)}s calls=${row.completed} (${rate}/s) timeouts=${row.timeouts} abandoned=${row.abandoned} errors=${JSON.stringify(row.errors)} silent=${row.silent} wrong=${row.wrong} kills w/c/b=${kills.worker}/${kills.client}/${kills.broker} | RSS MB broker=${row.rssMB.broker} workers=${row.rssMB.workers} clients=${row.rssMB.clients} self=${row.rssMB.orchestrator}`,
    )
  }
  console.log(`soak: ${minutes} min, ${nClients} clients x ${num("concurrency", 4)} calls in flight, ${nWorkers} workers, timeout ${timeout} ms, kill every ~${killEvery} s, seed ${seed}`)
  console.log(`      front ${front}, back ${back}, zmtp from ${src}`)
  const ticker = setInterval(printLine, reportEvery * 1000)

  await sleep(minutes * 60_000)
  stopping = true
  clearInterval(ticker)
  await chaosDone

  // Clients finish their calls in flight (each ends within its timeout) and report, then the rest.
  const clients = [...procs.values()].filter((p) => p.kind === "client" && p.alive)
  await Promise.all(
    clients.map(
      (p) =>
        new Promise((res) => {
          const t = setTimeout(() => {
            p.child.kill("SIGKILL")
            res()
          }, (timeout + 1000) * (num("retries", 3) + 2))
          p.child.once("exit", () => {
            clearTimeout(t)
            res()
          })
          p.child.send({ type: "stop" })
        }),
    ),
  )
  for (const p of procs.values()) if (p.alive) p.child.kill("SIGKILL")
  printLine()

  // Timeouts are expected around kills; one with no kill between its attempt's start (minus the
  // longest restart pause and reconnect slack) and its expiry is "unexplained" (CPU starvation on a
  // loaded machine can cause some; a steady stream of them points at a bug).
  const slack = RESTART_MAX + 2000
  let unexplained = 0
  for (const [start, at] of timeoutsSeen) if (!killTimes.some((k) => k >= start - slack && k <= at)) unexplained++

  const tot = totals()
  const summary = {
    minutes,
    seed,
    clients: nClients,
    concurrency: num("concurrency", 4),
    workers: nWorkers,
    timeoutMs: timeout,
    callsCompleted: tot.completed,
    callsPerSecond: Math.round(tot.completed / ((Date.now() - t0) / 1000)),
    typedErrors: { timeouts: tot.timeouts, abandonedAfterRetries: tot.abandoned, ...tot.errors },
    timeoutsUnexplainedByKills: unexplained,
    silentLosses: tot.silent,
    wrongReplies: tot.wrong,
    kills,
    peakRssMB: Object.fromEntries(Object.entries(peakRss).map(([k, v]) => [k, mb(v)])),
    timeline,
  }
  console.log("\nsummary:")
  console.log(JSON.stringify({ ...summary, timeline: undefined }, null, 2))
  if (args.json) writeFileSync(args.json, JSON.stringify(summary, null, 2))
  rmSync(snapDir, { recursive: true, force: true })
  rmSync(backPath, { force: true })
  const ok = tot.silent === 0 && tot.wrong === 0 && tot.completed > 0 && !tot.errors.untyped
  if (!ok) console.log("FAIL: silent losses, wrong replies, untyped errors or no calls completed")
  process.exit(ok ? 0 : 1)
}


// ------------------------------------------------------------------------------------------------
// Fabric mode (issue 20): several brokers, the RPC layer, kills and partitions of one broker
// ------------------------------------------------------------------------------------------------
//
//   node bench/soak.mjs --brokers 3 --kill-every 8 --seconds 40
//   node bench/soak.mjs --brokers 2 --partition-every 12 --down 6 --seconds 40
//   node bench/soak.mjs --brokers 1 --kill-every 0 --seconds 10        (throughput, no faults)
//
// N `zmtp broker` processes (dist/cli.js; tcp frontend and backend on loopback), --servers `zmtp
// serve` processes (2) each connected to every backend, and one RpcClient here (dist/index.js) with
// --concurrency calls in flight (64), --timeout ms per attempt (1000) and --retries (5). Every
// --kill-every S seconds one broker (in turn) is SIGKILLed and started again --down S later (2); or
// every --partition-every S seconds the last broker is cut off for --down S (6) by a TCP relay in
// this process that stops forwarding both ways without closing anything (clients and servers reach
// that broker only through it). Reported per window (from one fault to the next): calls completed,
// retries, failures, p50/p99 of completed calls; and the whole run. Exit 1 if any call failed.

async function freePort() {
  const srv = createServer()
  await new Promise((r) => srv.listen(0, "127.0.0.1", r))
  const { port } = srv.address()
  await new Promise((r) => srv.close(r))
  return port
}

/** A relay on loopback in front of `target`; partition() stops forwarding both ways, closing nothing. */
async function startRelay(target) {
  let cut = false
  const pending = []
  const held = []
  const socks = new Set()
  const later = (fn) => (cut ? pending.push(fn) : fn())
  const accept = (down) => {
    down.on("error", () => {})
    if (cut) return void held.push(down)
    const up = netConnect(target, "127.0.0.1")
    up.on("error", () => {})
    socks.add(down).add(up)
    const forward = (a, b) => {
      a.on("data", (c) => later(() => b.write(c)))
      a.on("end", () => later(() => b.end()))
      a.on("close", () => later(() => (socks.delete(a), b.destroy())))
    }
    forward(down, up)
    forward(up, down)
    down.resume()
  }
  const srv = createServer({ pauseOnConnect: true }, accept)
  await new Promise((r) => srv.listen(0, "127.0.0.1", r))
  return {
    port: srv.address().port,
    partition: () => void (cut = true),
    heal: () => {
      cut = false
      for (const fn of pending.splice(0)) fn()
      for (const s of held.splice(0)) accept(s)
    },
    close: () => {
      for (const s of [...socks, ...held]) s.destroy()
      srv.close()
    },
  }
}

async function fabric() {
  const cli = join(root, "dist", "cli.js")
  const z = await loadZmtp(resolve(args.module ?? join(root, "dist", "index.js")))
  const n = num("brokers", 3)
  const servers = num("servers", 2)
  const seconds = num("seconds", 30)
  const killEvery = num("kill-every", 0)
  const partitionEvery = num("partition-every", 0)
  const down = num("down", partitionEvery > 0 ? 6 : 2)
  const concurrency = num("concurrency", 64)
  const timeout = num("timeout", 1000)
  const retries = num("retries", 5)
  const children = new Set()
  const spawn = (argv) => {
    const c = fork(cli, argv, { stdio: ["ignore", "ignore", "inherit", "ipc"] })
    children.add(c)
    c.on("exit", () => children.delete(c))
    c.on("error", () => {})
    return new Promise((res, rej) => {
      c.on("message", (m) => m?.type === "ready" && res(c))
      c.once("exit", () => rej(new Error(`${argv[0]} exited`)))
    })
  }
  const brokers = []
  for (let i = 0; i < n; i++) brokers.push({ front: await freePort(), back: await freePort(), proc: undefined })
  const startBroker = async (b) => {
    b.proc = await spawn(["broker", "--frontend", `tcp://127.0.0.1:${b.front}`, "--backend", `tcp://127.0.0.1:${b.back}`, "--quiet"])
  }
  for (const b of brokers) await startBroker(b)
  let relays
  if (partitionEvery > 0) {
    const last = brokers[n - 1]
    relays = [await startRelay(last.front), await startRelay(last.back)]
  }
  const fronts = brokers.map((b, i) => `tcp://127.0.0.1:${relays && i === n - 1 ? relays[0].port : b.front}`)
  const backs = brokers.map((b, i) => `tcp://127.0.0.1:${relays && i === n - 1 ? relays[1].port : b.back}`)
  for (let i = 0; i < servers; i++) await spawn(["serve", "--quiet", "--concurrency", "16", "--name", `s${i}`, ...backs.flatMap((ep) => ["--connect", ep])])
  const client = new z.RpcClient(fronts, { timeout, retries, poolSize: concurrency })

  // Windows: one per fault, from the fault to the next one (the first from the start).
  const windows = []
  const openWindow = (label) => {
    const w = { label, at: performance.now(), calls: 0, failures: 0, retries0: client.stats.retries, lat: [], errors: {} }
    windows.push(w)
    return w
  }
  let win = openWindow("start")
  const started = performance.now()
  let stopping = false
  const faults = []
  const every = killEvery > 0 ? killEvery : partitionEvery
  let turn = 0
  const faultTimer =
    every > 0
      ? setInterval(() => {
          if (performance.now() - started > (seconds - 1) * 1000) return
          if (killEvery > 0) {
            const b = brokers[turn++ % n]
            if (!b.proc) return
            win = openWindow(`kill broker ${brokers.indexOf(b)}`)
            b.proc.kill("SIGKILL")
            b.proc = undefined
            faults.push(sleep(down * 1000).then(() => !stopping && startBroker(b)))
          } else {
            win = openWindow(`partition broker ${n - 1}`)
            for (const r of relays) r.partition()
            faults.push(sleep(down * 1000).then(() => relays.forEach((r) => r.heal())))
          }
        }, every * 1000)
      : undefined
  setTimeout(() => (stopping = true), seconds * 1000)
  let i = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stopping) {
        const k = i++
        const t0 = performance.now()
        const w = win
        try {
          const r = await client.call("add", [k, 1])
          if (r !== k + 1) throw new Error(`wrong result ${r}`)
          w.calls++
          w.lat.push(performance.now() - t0)
        } catch (e) {
          w.failures++
          const kind = e?.code ?? e?.name ?? "error"
          w.errors[kind] = (w.errors[kind] ?? 0) + 1
        }
      }
    }),
  )
  clearInterval(faultTimer)
  const elapsed = (performance.now() - started) / 1000
  const retriesEnd = client.stats.retries
  client.close()
  await Promise.allSettled(faults)
  for (const c of children) c.kill("SIGKILL")
  relays?.forEach((r) => r.close())
  const pct = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor((a.length * p) / 100))] : 0)
  const rows = windows.map((w, j) => {
    const end = j + 1 < windows.length ? windows[j + 1].at : started + elapsed * 1000
    const nextRetries = j + 1 < windows.length ? windows[j + 1].retries0 : retriesEnd
    w.lat.sort((a, b) => a - b)
    return {
      window: w.label,
      seconds: Number(((end - w.at) / 1000).toFixed(1)),
      calls: w.calls,
      retries: nextRetries - w.retries0,
      failures: w.failures,
      p50: Number(pct(w.lat, 50).toFixed(2)),
      p99: Number(pct(w.lat, 99).toFixed(2)),
      errors: w.errors,
    }
  })
  const all = windows.flatMap((w) => w.lat).sort((a, b) => a - b)
  const total = {
    brokers: n,
    servers,
    concurrency,
    seconds: Number(elapsed.toFixed(1)),
    calls: all.length,
    callsPerSecond: Math.round(all.length / elapsed),
    retries: retriesEnd,
    failures: rows.reduce((x, r) => x + r.failures, 0),
    p50: Number(pct(all, 50).toFixed(2)),
    p99: Number(pct(all, 99).toFixed(2)),
  }
  console.log("| window | s | calls | retries | failures | p50 ms | p99 ms |")
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
  for (const r of rows) console.log(`| ${r.window} | ${r.seconds} | ${r.calls} | ${r.retries} | ${r.failures}${r.failures ? ` ${JSON.stringify(r.errors)}` : ""} | ${r.p50} | ${r.p99} |`)
  console.log(`| **whole run** | ${total.seconds} | ${total.calls} (${total.callsPerSecond}/s) | ${total.retries} | ${total.failures} | ${total.p50} | ${total.p99} |`)
  if (args.json) writeFileSync(args.json, JSON.stringify({ total, windows: rows }, null, 2))
  process.exit(total.failures === 0 && total.calls > 0 ? 0 : 1)
}

// ------------------------------------------------------------------------------------------------

const role = args.role
if (role) {
  const z = await loadZmtp(args.module)
  process.on("disconnect", () => process.exit(0))
  if (role === "broker") await runBroker(z)
  else if (role === "worker") await runWorker(z)
  else if (role === "client") await runClient(z)
  else throw new Error(`unknown role ${role}`)
} else if (args.brokers !== undefined) {
  await fabric()
} else {
  await orchestrate()
}
