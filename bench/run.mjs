#!/usr/bin/env node
// Benchmark harness: zmtp vs zeromq.js (libzmq) vs raw `net` sockets speaking hand-rolled ZMTP.
// Every trial forks its sender and receiver (and broker) as separate processes (bench/worker.mjs),
// implementations are interleaved run by run (A, B, C, A, B, C, ...), and the summary reports the
// median with min–max and the ratios zmtp/zeromq.js and zmtp/raw. See bench/README.md.
//
//   node bench/run.mjs [--quick] [--only throughput,curve,latency,broker,rss,pubsub,pushpull] [--impl zmtp,zeromq,raw]
//                      [--runs N] [--duration SECONDS] [--transport tcp,ipc] [--sizes 16,1024]
//                      [--rss-count N] [--cpu-prof] [--zmtp-module PATH] [--json FILE] [--md FILE]

import { fork } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const workerPath = path.join(here, "worker.mjs")

const IMPLS = ["zmtp", "zeromq", "raw"]
const IMPL_LABEL = { zmtp: "zmtp", zeromq: "zeromq.js", raw: "raw" }
const WORKLOADS = ["throughput", "curve", "latency", "broker", "rss", "pubsub", "pushpull"]

// ---- options -----------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = {
    quick: false,
    only: [...WORKLOADS],
    impls: [...IMPLS],
    runs: undefined,
    duration: undefined,
    transports: ["tcp", "ipc"],
    sizes: undefined,
    rssCount: undefined,
    cpuProf: false,
    zmtpModule: process.env.ZMTP_BENCH_MODULE || path.join(here, "..", "dist", "index.js"),
    json: undefined,
    md: undefined,
  }
  const list = (v) => v.split(",").map((s) => s.trim()).filter(Boolean)
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined]
    const val = () => {
      if (inline !== undefined) return inline
      if (i + 1 >= argv.length) usage(`${flag} needs a value`)
      return argv[++i]
    }
    switch (flag) {
      case "--quick":
        o.quick = true
        break
      case "--only":
        o.only = list(val())
        for (const w of o.only) if (!WORKLOADS.includes(w)) usage(`unknown workload ${w}`)
        break
      case "--impl":
      case "--impls":
        o.impls = list(val()).map((s) => (s === "zeromq.js" || s === "zmq" || s === "libzmq" ? "zeromq" : s))
        for (const m of o.impls) if (!IMPLS.includes(m)) usage(`unknown implementation ${m}`)
        break
      case "--runs":
        o.runs = positiveInt(val(), flag)
        break
      case "--duration":
        o.duration = Number(val())
        if (!(o.duration > 0 && o.duration <= 60)) usage("--duration is in seconds, 0 < d <= 60")
        break
      case "--transport":
      case "--transports":
        o.transports = list(val())
        for (const t of o.transports) if (t !== "tcp" && t !== "ipc") usage(`unknown transport ${t}`)
        break
      case "--sizes":
        o.sizes = list(val()).map((s) => positiveInt(s, flag))
        break
      case "--rss-count":
        o.rssCount = positiveInt(val(), flag)
        break
      case "--cpu-prof":
        o.cpuProf = true
        break
      case "--zmtp-module":
        o.zmtpModule = path.resolve(val())
        break
      case "--json":
        o.json = path.resolve(val())
        break
      case "--md":
        o.md = path.resolve(val())
        break
      case "-h":
      case "--help":
        usage()
        break
      default:
        usage(`unknown option ${a}`)
    }
  }
  o.runs ??= o.quick ? 1 : 3
  o.durationMs = (o.duration ?? (o.quick ? 0.25 : 2)) * 1000
  // CURVE is CPU-bound (every message is boxed and unboxed), so its default is shorter.
  o.curveDurationMs = (o.duration ?? (o.quick ? 0.25 : 1)) * 1000
  o.rssCount ??= o.quick ? 20_000 : 1_000_000
  o.rssPauseMs = o.quick ? 150 : 1000
  o.psPauseMs = o.quick ? 150 : 1000
  o.warmup = o.quick ? 20 : 500
  return o
}

function positiveInt(v, flag) {
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) usage(`${flag} wants a positive integer, got ${v}`)
  return n
}

function usage(err) {
  const text = fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(6, 9).map((l) => l.replace(/^\/\/ ?/, "")).join("\n")
  if (err) console.error(`bench: ${err}\n`)
  console.error(`usage:\n${text}`)
  process.exit(err ? 2 : 0)
}

// ---- worker processes --------------------------------------------------------------------------

const live = new Set()

/** One forked worker with a message inbox. */
class Worker {
  constructor(role, impl, cfg, ctx) {
    this.role = role
    this.inbox = []
    this.waiters = []
    this.exited = false
    const execArgv = []
    if (ctx.opts.cpuProf && impl === "zmtp") {
      fs.mkdirSync(ctx.profDir, { recursive: true })
      execArgv.push("--cpu-prof", `--cpu-prof-dir=${ctx.profDir}`, `--cpu-prof-name=${ctx.label}-${role}.cpuprofile`)
    }
    const full = { role, impl, zmtpModule: ctx.zmtpUrl, warmup: ctx.opts.warmup, ...cfg }
    this.child = fork(workerPath, [JSON.stringify(full)], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] })
    live.add(this.child)
    this.child.on("message", (m) => this.deliver(m))
    this.child.on("exit", (code, signal) => {
      this.exited = true
      live.delete(this.child)
      const err = new Error(`${role} (${impl}) exited (${signal ?? code}) before replying`)
      for (const w of this.waiters.splice(0)) w.reject(err)
      this.exitErr = err
    })
    this.exitedP = new Promise((r) => this.child.once("exit", r))
  }

  deliver(m) {
    const i = this.waiters.findIndex((w) => w.types.includes(m.type) || m.type === "error")
    if (i >= 0) {
      const w = this.waiters.splice(i, 1)[0]
      if (m.type === "error") w.reject(new Error(`${this.role}: ${m.message}`))
      else w.resolve(m)
    } else this.inbox.push(m)
  }

  /** The next message of one of these types ("skip" always counts); rejects on "error" or exit. */
  wait(...types) {
    types.push("skip")
    const i = this.inbox.findIndex((m) => types.includes(m.type) || m.type === "error")
    if (i >= 0) {
      const m = this.inbox.splice(i, 1)[0]
      return m.type === "error" ? Promise.reject(new Error(`${this.role}: ${m.message}`)) : Promise.resolve(m)
    }
    if (this.exited) return Promise.reject(this.exitErr)
    return new Promise((resolve, reject) => this.waiters.push({ types, resolve, reject }))
  }

  send(m) {
    if (!this.exited) this.child.send(m)
  }

  /** Asks the worker to close and exit; kills it if it has not within 5 s. */
  async stop() {
    if (this.exited) return
    try {
      this.child.send({ type: "stop" })
    } catch {}
    const t = setTimeout(() => this.child.kill("SIGKILL"), 5000)
    await this.exitedP
    clearTimeout(t)
  }
}

class Skip extends Error {}

/** Waits for a message; a "skip" reply turns into a Skip (the impl lacks a feature). */
async function expectMsg(w, ...types) {
  const m = await w.wait(...types)
  if (m.type === "skip") throw new Skip(m.reason)
  return m
}

let ipcCounter = 0
function ipcEndpoint() {
  const p = path.join(os.tmpdir(), `zmtp-bench-${process.pid}-${++ipcCounter}.ipc`)
  fs.rmSync(p, { force: true })
  return { endpoint: `ipc://${p}`, file: p }
}

/** Runs one trial with a hard time limit; every worker it started is gone when it returns. */
async function trial(ctx, timeoutMs, body) {
  const workers = []
  const files = []
  const spawn = (role, impl, cfg) => {
    const w = new Worker(role, impl, cfg, ctx)
    workers.push(w)
    return w
  }
  const ipc = () => {
    const e = ipcEndpoint()
    files.push(e.file)
    return e.endpoint
  }
  let timer
  try {
    return await Promise.race([
      body(spawn, ipc),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
  } finally {
    clearTimeout(timer)
    await Promise.all(workers.map((w) => w.stop()))
    for (const f of files) fs.rmSync(f, { force: true })
  }
}

// ---- workloads ---------------------------------------------------------------------------------

function sizeLabel(n) {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`
}

const TP_METRICS = [
  { key: "msgsPerSec", label: "msgs/s", better: "higher" },
  { key: "mbPerSec", label: "MB/s", better: "higher" },
]

/**
 * One-way DEALER -> ROUTER: the sender sends for `durationMs`, then the receiver reports the rate
 * between the first and the last message it got. With `curve` (Z85 keys) the bound ROUTER is the
 * CURVE server and the DEALER the client; without it both use NULL.
 */
function throughputTrial(impl, ctx, { transport, size, durationMs: d, curve }) {
  return trial(ctx, d * 10 + 30_000, async (spawn, ipc) => {
    const ep = transport === "tcp" ? "tcp://127.0.0.1:*" : ipc()
    const recv = spawn("tp-recv", impl, { endpoint: ep, size, curve })
    const { endpoint } = await expectMsg(recv, "ready")
    const send = spawn("tp-send", impl, { endpoint, size, durationMs: d, maxCount: 50_000_000, curve })
    await expectMsg(send, "ready")
    send.send({ type: "go" })
    const { n } = await expectMsg(send, "sent")
    recv.send({ type: "expect", n })
    const r = await expectMsg(recv, "result")
    const secs = r.elapsedMs / 1000
    const msgsPerSec = r.measured / secs
    return { msgsPerSec, mbPerSec: (msgsPerSec * size) / 1e6, messages: r.count }
  })
}

const PS_METRICS = [
  { key: "subMsgsPerSec", label: "slower SUB msgs/s received", better: "higher" },
  { key: "pubMsgsPerSec", label: "PUB msgs/s published", better: "higher" },
  { key: "deliveredPct", label: "slower SUB % of matching received", better: "higher" },
]

/**
 * PUB -> 2 SUB processes over tcp. The publisher cycles ten topics; the subscribers subscribe to
 * `topics` (none: everything). After a sync (the publisher repeats a one-octet message until both
 * subscribers have one) the publisher sends for `durationMs`; each subscriber then reports what it
 * received, which PUB may have dropped at its high-water mark: the rate is what arrived, timed
 * from its first to its last message. Reported: the slower subscriber's rate, the publisher's rate
 * (every message it sent, matching or not) and the slower subscriber's share of the matching ones.
 */
function pubsubTrial(impl, ctx, { size, topics, share, durationMs: d }) {
  return trial(ctx, d * 10 + 30_000, async (spawn) => {
    const pub = spawn("ps-pub", impl, { endpoint: "tcp://127.0.0.1:*", size, durationMs: d, maxCount: 50_000_000, subscribers: 2 })
    const { endpoint } = await expectMsg(pub, "ready")
    const subs = [0, 1].map(() => spawn("ps-sub", impl, { endpoint, topics }))
    await Promise.all(subs.map((s) => expectMsg(s, "ready")))
    pub.send({ type: "sync" })
    await Promise.all([pub, ...subs].map((w) => expectMsg(w, "synced")))
    pub.send({ type: "go" })
    const s = await expectMsg(pub, "sent")
    const matching = Math.floor(s.n * share)
    for (const w of subs) w.send({ type: "expect", n: matching })
    const rs = await Promise.all(subs.map((w) => expectMsg(w, "result")))
    const rates = rs.map((r) => r.measured / (r.elapsedMs / 1000))
    const slower = rates[0] <= rates[1] ? 0 : 1
    return {
      subMsgsPerSec: rates[slower],
      pubMsgsPerSec: s.n / (s.elapsedMs / 1000),
      deliveredPct: (100 * Math.min(...rs.map((r) => r.count))) / matching,
      received: rs.map((r) => r.count),
    }
  })
}

const PP_METRICS = [
  { key: "msgsPerSec", label: "msgs/s received", better: "higher" },
  { key: "mbPerSec", label: "MB/s", better: "higher" },
  { key: "deliveredPct", label: "% of sent received", better: "higher" },
]

/**
 * PUSH -> PULL, each in its own process: `pushers` PUSH processes connect to one bound PULL (1 for
 * the plain case, 3 for fan-in), or with `pullers` > 1 one bound PUSH sends to that many connecting
 * PULL processes (fan-out). The pushers send for `durationMs`; each PULL reports the rate between its
 * first and its last message. Reported: the sum of the PULLs' rates (they run over the same stretch)
 * and the share of what was sent that arrived (PUSH never drops: 100 %).
 */
function pushPullTrial(impl, ctx, { transport, size, pushers = 1, pullers = 1, durationMs: d }) {
  return trial(ctx, d * 10 + 30_000, async (spawn, ipc) => {
    const ep = transport === "tcp" ? "tcp://127.0.0.1:*" : ipc()
    let pushes
    let pulls
    if (pullers > 1) {
      const push = spawn("pp-push", impl, { endpoint: ep, size, durationMs: d, maxCount: 50_000_000, peers: pullers })
      const { endpoint } = await expectMsg(push, "ready")
      pulls = Array.from({ length: pullers }, () => spawn("pp-pull", impl, { endpoint, size, connect: true }))
      await Promise.all(pulls.map((w) => expectMsg(w, "ready")))
      pushes = [push]
    } else {
      const pull = spawn("pp-pull", impl, { endpoint: ep, size })
      const { endpoint } = await expectMsg(pull, "ready")
      pulls = [pull]
      pushes = Array.from({ length: pushers }, () => spawn("pp-push", impl, { endpoint, size, durationMs: d, maxCount: 50_000_000 }))
      await Promise.all(pushes.map((w) => expectMsg(w, "ready")))
    }
    await Promise.all(pushes.map((w) => expectMsg(w, "joined")))
    for (const w of pushes) w.send({ type: "go" })
    const sent = (await Promise.all(pushes.map((w) => expectMsg(w, "sent")))).reduce((a, m) => a + m.n, 0)
    for (const w of pulls) w.send({ type: "expect", n: sent })
    const rs = await Promise.all(pulls.map((w) => expectMsg(w, "result")))
    const msgsPerSec = rs.reduce((a, r) => a + (r.elapsedMs > 0 ? r.measured / (r.elapsedMs / 1000) : 0), 0)
    const received = rs.reduce((a, r) => a + r.count, 0)
    return { msgsPerSec, mbPerSec: (msgsPerSec * size) / 1e6, deliveredPct: (100 * received) / sent, sent, received }
  })
}

/** Every case of every selected workload, in order. Each has `run(impl, ctx)` returning metrics. */
function buildCases(opts) {
  const cases = []
  const d = opts.durationMs
  if (opts.only.includes("throughput")) {
    for (const transport of opts.transports) {
      for (const size of opts.sizes ?? [16, 1024, 65536]) {
        cases.push({
          workload: "throughput",
          name: `${transport} ${sizeLabel(size)}`,
          id: `tp-${transport}-${size}`,
          metrics: TP_METRICS,
          run: (impl, ctx) => throughputTrial(impl, ctx, { transport, size, durationMs: d }),
        })
      }
    }
  }
  if (opts.only.includes("curve")) {
    for (const size of opts.sizes ?? [16, 1024, 65536]) {
      cases.push({
        workload: "curve",
        name: `tcp ${sizeLabel(size)}`,
        id: `curve-tcp-${size}`,
        noRaw: "raw omitted: it speaks NULL only; a hand-rolled CURVE would measure its own crypto code, not ZMTP over Node's sockets",
        metrics: TP_METRICS,
        // ctx.curveKeys: made once in main() with zeromq.js's curveKeyPair(), so both use the same keys.
        run: (impl, ctx) => throughputTrial(impl, ctx, { transport: "tcp", size, durationMs: opts.curveDurationMs, curve: ctx.curveKeys }),
      })
    }
  }
  if (opts.only.includes("latency")) {
    for (const size of opts.sizes?.filter((s) => s <= 65536) ?? [16, 1024]) {
      cases.push({
        workload: "latency",
        name: `tcp ${sizeLabel(size)}`,
        id: `lat-tcp-${size}`,
        metrics: [
          { key: "p50", label: "p50 µs", better: "lower" },
          { key: "p99", label: "p99 µs", better: "lower" },
          { key: "rtPerSec", label: "round trips/s", better: "higher" },
        ],
        run: (impl, ctx) =>
          trial(ctx, d * 5 + 30_000, async (spawn) => {
            const server = spawn("lat-server", impl, { endpoint: "tcp://127.0.0.1:*", size })
            const { endpoint } = await expectMsg(server, "ready")
            const client = spawn("lat-client", impl, { endpoint, size, durationMs: d, maxCount: 2_000_000 })
            await expectMsg(client, "ready")
            client.send({ type: "go" })
            const r = await expectMsg(client, "result")
            return { p50: r.p50, p99: r.p99, rtPerSec: r.count / (r.elapsedMs / 1000), calls: r.count }
          }),
      })
    }
  }
  if (opts.only.includes("broker")) {
    cases.push({
      workload: "broker",
      name: "8 REQ -tcp-> Proxy -ipc-> 4 REP, 16 B",
      id: "broker",
      metrics: [
        { key: "callsPerSec", label: "calls/s", better: "higher" },
        { key: "p50", label: "p50 µs", better: "lower" },
        { key: "p99", label: "p99 µs", better: "lower" },
      ],
      run: (impl, ctx) =>
        trial(ctx, d * 5 + 30_000, async (spawn, ipc) => {
          const proxy = spawn("broker-proxy", impl, { frontend: "tcp://127.0.0.1:*", backend: ipc() })
          const { frontend, backend } = await expectMsg(proxy, "ready")
          const workers = spawn("broker-workers", impl, { endpoint: backend, workers: 4 })
          const clients = spawn("broker-clients", impl, { endpoint: frontend, clients: 8, size: 16, durationMs: d, maxCount: 4_000_000 })
          await Promise.all([expectMsg(workers, "ready"), expectMsg(clients, "ready")])
          clients.send({ type: "go" })
          const r = await expectMsg(clients, "result")
          return { callsPerSec: r.count / (r.elapsedMs / 1000), p50: r.p50, p99: r.p99, calls: r.count }
        }),
    })
  }
  if (opts.only.includes("rss")) {
    const count = opts.rssCount
    cases.push({
      workload: "rss",
      name: `${count.toLocaleString("en")} × 16 B burst, tcp, default HWM`,
      id: "rss",
      metrics: [
        { key: "senderPeakMB", label: "sender peak RSS MB", better: "lower" },
        { key: "receiverPeakMB", label: "receiver peak RSS MB", better: "lower" },
        { key: "senderGrowthMB", label: "sender growth MB", better: "lower" },
        { key: "receiverGrowthMB", label: "receiver growth MB", better: "lower" },
        { key: "sentWhilePaused", label: "msgs sent while paused", better: "lower" },
        { key: "totalSecs", label: "burst + pause + drain s", better: "lower" },
      ],
      run: (impl, ctx) =>
        trial(ctx, Math.max(60_000, count * 0.2), async (spawn) => {
          const recv = spawn("rss-recv", impl, { endpoint: "tcp://127.0.0.1:*" })
          const rr = await expectMsg(recv, "ready")
          const send = spawn("rss-send", impl, { endpoint: rr.endpoint, size: 16, count })
          await expectMsg(send, "ready")
          const t0 = performance.now()
          send.send({ type: "go" })
          // The receiver stays paused while the sender bursts into the high-water marks.
          await new Promise((r) => setTimeout(r, opts.rssPauseMs))
          send.send({ type: "progress" })
          // Ask first, then let the receiver go: the answer is what was sent while it was paused
          // (the sender answers once a send blocks, at the latest when the burst is done).
          const p = await expectMsg(send, "progress")
          recv.send({ type: "drain", n: count })
          const [s, r] = await Promise.all([expectMsg(send, "sent"), expectMsg(recv, "result")])
          const MB = 1024 * 1024
          return {
            senderPeakMB: s.peak / MB,
            receiverPeakMB: r.peak / MB,
            senderGrowthMB: (s.peak - s.baseline) / MB,
            receiverGrowthMB: (r.peak - rr.baseline) / MB,
            sentWhilePaused: p.n,
            totalSecs: (performance.now() - t0) / 1000,
          }
        }),
    })
  }
  if (opts.only.includes("pubsub")) {
    for (const size of opts.sizes?.filter((s) => s >= 16) ?? [16, 1024]) {
      for (const [match, topics, share] of [
        ["all match", [], 1],
        ["1 in 10 match", ["t3"], 0.1],
      ]) {
        cases.push({
          workload: "pubsub",
          name: `tcp ${sizeLabel(size)}, ${match}`,
          id: `ps-tcp-${size}-${topics.length ? "1of10" : "all"}`,
          metrics: PS_METRICS,
          run: (impl, ctx) => pubsubTrial(impl, ctx, { size, topics, share, durationMs: d }),
        })
      }
    }
    cases.push({
      workload: "pubsub",
      name: `memory: 1 KiB flood, one SUB paused ${opts.psPauseMs / 1000} s`,
      id: "ps-rss",
      metrics: [
        { key: "subPeakMB", label: "SUB peak RSS MB", better: "lower" },
        { key: "subGrowthMB", label: "SUB growth MB", better: "lower" },
        { key: "pubPeakMB", label: "PUB peak RSS MB", better: "lower" },
        { key: "published", label: "msgs published while paused", better: "higher" },
        { key: "received", label: "msgs received after resuming", better: "lower" },
      ],
      run: (impl, ctx) =>
        trial(ctx, opts.psPauseMs * 10 + 30_000, async (spawn) => {
          const pub = spawn("ps-pub", impl, { endpoint: "tcp://127.0.0.1:*", size: 1024, durationMs: opts.psPauseMs, maxCount: 50_000_000, subscribers: 1 })
          const { endpoint } = await expectMsg(pub, "ready")
          const sub = spawn("ps-sub", impl, { endpoint, topics: [], paused: true })
          const ready = await expectMsg(sub, "ready")
          pub.send({ type: "sync" })
          await Promise.all([expectMsg(pub, "synced"), expectMsg(sub, "synced")])
          pub.send({ type: "go" })
          const s = await expectMsg(pub, "sent")
          sub.send({ type: "drain" })
          sub.send({ type: "expect", n: s.n })
          const r = await expectMsg(sub, "result")
          const MB = 1024 * 1024
          return { subPeakMB: r.peak / MB, subGrowthMB: (r.peak - ready.baseline) / MB, pubPeakMB: s.peak / MB, published: s.n, received: r.count }
        }),
    })
  }
  if (opts.only.includes("pushpull")) {
    for (const transport of opts.transports) {
      for (const size of opts.sizes ?? [16, 1024, 65536]) {
        cases.push({
          workload: "pushpull",
          name: `${transport} ${sizeLabel(size)}, PUSH -> PULL`,
          id: `pp-${transport}-${size}`,
          metrics: PP_METRICS,
          run: (impl, ctx) => pushPullTrial(impl, ctx, { transport, size, durationMs: d }),
        })
      }
    }
    for (const [label, shape] of [
      ["PUSH -> 3 PULL (fan-out)", { pullers: 3 }],
      ["3 PUSH -> PULL (fan-in)", { pushers: 3 }],
    ]) {
      const size = opts.sizes?.[0] ?? 16
      cases.push({
        workload: "pushpull",
        name: `tcp ${sizeLabel(size)}, ${label}`,
        id: `pp-${shape.pullers ? "fanout" : "fanin"}-${size}`,
        metrics: PP_METRICS,
        run: (impl, ctx) => pushPullTrial(impl, ctx, { transport: "tcp", size, durationMs: d, ...shape }),
      })
    }
  }
  return cases
}

// ---- formatting --------------------------------------------------------------------------------

function median(xs) {
  const a = [...xs].sort((x, y) => x - y)
  const m = a.length >> 1
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2
}

function fmt(x) {
  if (!Number.isFinite(x)) return "–"
  const ax = Math.abs(x)
  if (ax >= 1e6) return `${(x / 1e6).toFixed(ax >= 1e7 ? 1 : 2)}M`
  if (ax >= 1e4) return `${(x / 1e3).toFixed(ax >= 1e5 ? 0 : 1)}k`
  if (ax >= 100) return x.toFixed(0)
  if (ax >= 10) return x.toFixed(1)
  return x.toFixed(2)
}

function summarize(values) {
  if (values.length === 0) return undefined
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length }
}

function cell(s) {
  if (!s) return "–"
  if (s.n === 1) return fmt(s.median)
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`
}

function ratio(a, b) {
  if (!a || !b || !(b.median > 0)) return "–"
  return `${(a.median / b.median).toFixed(2)}×`
}

const TITLES = {
  throughput: "One-way throughput, DEALER -> ROUTER",
  curve: "One-way throughput with CURVE security, DEALER -> ROUTER",
  latency: "REQ <-> REP latency",
  broker: "Broker pipeline",
  rss: "Peak RSS, receiver falls behind a burst",
  pubsub: "PUB -> 2 SUB (issue 16)",
  pushpull: "PUSH -> PULL, fan-out and fan-in (issue 17)",
}

/** "2 s per timed run", naming curve's own duration when it differs and curve is not alone. */
function durationNote(opts, cases) {
  const main = `${opts.durationMs / 1000} s per timed run`
  const curve = `${opts.curveDurationMs / 1000} s`
  if (!cases.some((c) => c.workload === "curve") || opts.curveDurationMs === opts.durationMs) return main
  if (cases.every((c) => c.workload === "curve" || c.workload === "rss")) return `${curve} per timed run`
  return `${main} (curve: ${curve})`
}

function markdown(opts, cases, results, meta) {
  const out = []
  const impls = opts.impls
  out.push(`# zmtp benchmark`)
  out.push("")
  out.push(
    `${meta.date} · Node ${meta.node} · ${meta.cpu} × ${meta.cores} · ${meta.platform} · ` +
      `${opts.runs} run(s) per cell, interleaved · ${durationNote(opts, cases)}` +
      (opts.quick ? " · **--quick (smoke test, not a measurement)**" : ""),
  )
  out.push("")
  out.push("Cells: median (min–max) over runs. Ratios compare medians; read them with the arrow: ↑ higher is better, ↓ lower is better.")
  for (const w of WORKLOADS) {
    const wc = cases.filter((c) => c.workload === w)
    if (wc.length === 0) continue
    out.push("")
    out.push(`## ${TITLES[w]}`)
    out.push("")
    const head = ["case", "metric", ...impls.map((i) => IMPL_LABEL[i])]
    if (impls.includes("zmtp") && impls.includes("zeromq")) head.push("zmtp/zeromq.js")
    if (impls.includes("zmtp") && impls.includes("raw")) head.push("zmtp/raw")
    out.push(`| ${head.join(" | ")} |`)
    out.push(`|${head.map((_, i) => (i < 2 ? " --- " : " ---: ")).join("|")}|`)
    const notes = new Set()
    for (const c of wc) {
      for (const m of c.metrics) {
        const s = {}
        const row = [c.name, `${m.label} ${m.better === "higher" ? "↑" : "↓"}`]
        for (const impl of impls) {
          const rs = results[c.id][impl]
          s[impl] = summarize(rs.runs.map((r) => r[m.key]).filter(Number.isFinite))
          if (rs.skipped) {
            row.push("n/a")
            notes.add(`${IMPL_LABEL[impl]}: ${rs.skipped}`)
          } else if (!s[impl] && rs.errors.length) row.push("error")
          else row.push(cell(s[impl]))
        }
        if (impls.includes("zmtp") && impls.includes("zeromq")) row.push(ratio(s.zmtp, s.zeromq))
        if (impls.includes("zmtp") && impls.includes("raw")) row.push(ratio(s.zmtp, s.raw))
        out.push(`| ${row.join(" | ")} |`)
      }
    }
    if (notes.size) {
      out.push("")
      for (const n of notes) out.push(`- ${n}`)
    }
  }
  const errs = []
  for (const c of cases) for (const impl of impls) for (const e of results[c.id][impl].errors) errs.push(`- ${c.workload} ${c.name}, ${IMPL_LABEL[impl]}: ${e.split("\n")[0]}`)
  if (errs.length) {
    out.push("")
    out.push("## Failed runs")
    out.push("")
    out.push(...errs)
  }
  return out.join("\n") + "\n"
}

// ---- main --------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const notes = []
  if (opts.impls.includes("zmtp") && !fs.existsSync(opts.zmtpModule)) {
    notes.push(`zmtp skipped: ${opts.zmtpModule} does not exist (run \`npm run build\`, or use \`npm run bench\`)`)
    opts.impls = opts.impls.filter((i) => i !== "zmtp")
  }
  if (opts.impls.length === 0) usage("no implementation left to run")
  for (const n of notes) console.error(`bench: ${n}`)

  const ctx = {
    opts,
    zmtpUrl: pathToFileURL(opts.zmtpModule).href,
    profDir: path.join(here, "profiles"),
    label: "",
  }
  const cases = buildCases(opts)
  if (cases.some((c) => c.workload === "curve")) ctx.curveKeys = await curveKeys()
  const results = {}
  for (const c of cases) {
    results[c.id] = {}
    for (const impl of opts.impls) {
      results[c.id][impl] = { runs: [], errors: [], skipped: impl === "raw" ? c.noRaw : undefined }
    }
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, "-")
  for (const c of cases) {
    for (let run = 1; run <= opts.runs; run++) {
      for (const impl of opts.impls) {
        const res = results[c.id][impl]
        if (res.skipped) continue
        ctx.label = `${stamp}-${c.id}-run${run}`
        const tag = `[${c.workload}] ${c.name} · ${IMPL_LABEL[impl]} · run ${run}/${opts.runs}`
        try {
          const r = await c.run(impl, ctx)
          res.runs.push(r)
          console.error(`${tag}: ${c.metrics.map((m) => `${m.label} ${fmt(r[m.key])}`).join(", ")}`)
        } catch (e) {
          if (e instanceof Skip) {
            res.skipped = e.message
            console.error(`${tag}: skipped (${e.message})`)
          } else {
            res.errors.push(String(e?.message ?? e))
            console.error(`${tag}: FAILED ${String(e?.message ?? e).split("\n")[0]}`)
          }
        }
      }
    }
  }

  const meta = {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    node: process.version,
    cpu: os.cpus()[0]?.model?.replace(/\s+/g, " ").trim() ?? "unknown CPU",
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.release()}`,
  }
  const md = markdown(opts, cases, results, meta)
  process.stdout.write(md)
  if (opts.md) fs.writeFileSync(opts.md, md)
  if (opts.json) {
    const json = {
      meta,
      options: { quick: opts.quick, runs: opts.runs, durationMs: opts.durationMs, curveDurationMs: opts.curveDurationMs, impls: opts.impls, rssCount: opts.rssCount },
      notes,
      cases: cases.map((c) => ({ id: c.id, workload: c.workload, name: c.name, metrics: c.metrics, results: results[c.id] })),
    }
    fs.writeFileSync(opts.json, JSON.stringify(json, null, 2))
  }
  if (opts.cpuProf) console.error(`bench: CPU profiles of the zmtp workers are in ${ctx.profDir}`)
  const failed = cases.some((c) => opts.impls.some((i) => results[c.id][i].errors.length > 0))
  process.exitCode = failed ? 1 : 0
}

/**
 * The CURVE workload's keys (Z85), one server pair and one client pair, made here with zeromq.js's
 * curveKeyPair() and handed to every worker, so zmtp and zeromq.js run with identical keys.
 */
async function curveKeys() {
  let zmq
  try {
    zmq = await import("zeromq")
  } catch (e) {
    usage(`the curve workload makes its keys with zeromq.js, which does not load: ${e?.message ?? e}`)
  }
  const server = zmq.curveKeyPair()
  const client = zmq.curveKeyPair()
  return { serverPublic: server.publicKey, serverSecret: server.secretKey, clientPublic: client.publicKey, clientSecret: client.secretKey }
}

function killAll() {
  for (const c of live) c.kill("SIGKILL")
}
process.on("exit", killAll)
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    killAll()
    process.exit(130)
  })
}

await main()
