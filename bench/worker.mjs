// One benchmark process: forked by bench/run.mjs with a JSON config in argv[2], it plays one role
// for one implementation and talks to the parent over the fork IPC channel:
//   worker -> parent  { type: "ready", ... }   set up (bound or connected), waiting for orders
//   parent -> worker  { type: "go" | "expect" | "drain" | "sync", ... }
//   worker -> parent  { type: "sent" | "result", ... }
//   parent -> worker  { type: "stop" }          close everything and exit
//   worker -> parent  { type: "error", message } and exit 1 on any failure
// The zmtp and zeromq.js code paths are the same code (the APIs match); "raw" uses raw-zmtp.mjs.
// Socket code is written the way users write it: `await sock.send()` in a loop, `for await` or
// `await receive()` to read.

import { performance } from "node:perf_hooks"
import * as raw from "./raw-zmtp.mjs"

const cfg = JSON.parse(process.argv[2])
const now = () => performance.now()

// Never outlive the parent: if the IPC channel goes away, so does this process.
process.on("disconnect", () => process.exit(3))

const commands = []
const waiters = []
let onStop = async () => {}
process.on("message", (m) => {
  if (m.type === "stop") {
    Promise.resolve()
      .then(() => onStop())
      .catch(() => {})
      .finally(() => setImmediate(() => process.exit(0)))
    return
  }
  const i = waiters.findIndex((w) => w.type === m.type)
  if (i >= 0) waiters.splice(i, 1)[0].resolve(m)
  else commands.push(m)
})

/** The next command of this type from the parent. */
function command(type) {
  const i = commands.findIndex((c) => c.type === type)
  if (i >= 0) return Promise.resolve(commands.splice(i, 1)[0])
  return new Promise((resolve) => waiters.push({ type, resolve }))
}

const tell = (m) => process.send(m)

function peakRssBytes() {
  // ru_maxrss: the process's peak resident set, in KiB on Linux.
  return process.resourceUsage().maxRSS * 1024
}

function percentiles(samples, n) {
  const a = samples.subarray(0, n).sort()
  const at = (q) => (n === 0 ? NaN : a[Math.min(n - 1, Math.floor(q * (n - 1)))])
  let sum = 0
  for (let i = 0; i < n; i++) sum += a[i]
  return { p50: at(0.5), p99: at(0.99), mean: n ? sum / n : NaN, max: n ? a[n - 1] : NaN }
}

/**
 * Socket options for the CURVE workload (RFC 26 keys as Z85 strings, made by the parent so both
 * libraries use the same ones): the bound ROUTER is the CURVE server, the connecting DEALER the
 * client. Without cfg.curve the sockets use NULL, the default.
 */
function curveOptions(side) {
  const k = cfg.curve
  if (!k) return undefined
  if (side === "server") return { curveServer: true, curveSecretKey: k.serverSecret }
  return { curveServerKey: k.serverPublic, curvePublicKey: k.clientPublic, curveSecretKey: k.clientSecret }
}

async function loadZmq() {
  if (cfg.impl === "zeromq") return import("zeromq")
  if (cfg.impl === "zmtp") return import(cfg.zmtpModule)
  throw new Error(`no socket library for impl ${cfg.impl}`)
}

// ---- one-way throughput DEALER -> ROUTER (NULL, or CURVE when cfg.curve holds keys) -------------

/**
 * Receiver side shared by zmq-like and raw: counts messages and times first-to-last. The clock is
 * read at the first call, then on every 64th call and on every call once the sender's count is
 * known (a clock read per 16-byte message would be a fifth of the receiver's time); the rate is the
 * messages counted between the first and the last clock reading, so the sampling loses no accuracy.
 */
function makeCounter() {
  const st = { count: 0, first: 0, t0: 0, t1: 0, c1: 0, calls: 0, expect: -1, done: false }
  st.add = (m) => {
    st.count += m
    if (st.count === m) {
      st.t0 = st.t1 = now()
      st.first = st.c1 = m
    } else if (st.expect >= 0 || (++st.calls & 63) === 0) {
      st.t1 = now()
      st.c1 = st.count
    }
    st.check()
  }
  st.check = () => {
    if (st.done || st.expect < 0 || st.count < st.expect) return
    st.done = true
    tell({ type: "result", count: st.count, measured: st.c1 - st.first, elapsedMs: st.t1 - st.t0 })
  }
  command("expect").then((m) => {
    st.expect = m.n
    st.check()
  })
  return st
}

async function tpRecv() {
  const st = makeCounter()
  if (cfg.impl === "raw" && cfg.curve) {
    tell({ type: "skip", reason: "raw speaks NULL only" })
    return
  }
  if (cfg.impl === "raw") {
    const peers = []
    const { server, endpoint } = await raw.listen(cfg.endpoint, "ROUTER", ({ sock, rest }) => {
      peers.push(sock)
      const counter = new raw.MessageCounter()
      const onChunk = (chunk) => {
        const m = counter.push(chunk)
        if (m > 0) st.add(m)
      }
      if (rest.length) onChunk(rest)
      sock.on("data", onChunk)
    })
    onStop = async () => {
      for (const s of peers) s.destroy()
      server.close()
    }
    tell({ type: "ready", endpoint })
    return
  }
  const zmq = await loadZmq()
  const router = new zmq.Router(curveOptions("server"))
  await router.bind(cfg.endpoint)
  onStop = async () => router.close()
  tell({ type: "ready", endpoint: router.lastEndpoint })
  try {
    for await (const [, body] of router) {
      if (body.length !== cfg.size) throw new Error(`got ${body.length} octets, want ${cfg.size}`)
      st.add(1)
    }
  } catch (e) {
    if (!router.closed) throw e
  }
}

async function tpSend() {
  const payload = Buffer.alloc(cfg.size, 0x61)
  if (cfg.impl === "raw" && cfg.curve) {
    tell({ type: "skip", reason: "raw speaks NULL only" })
    return
  }
  if (cfg.impl === "raw") {
    const { sock } = await raw.connect(cfg.endpoint, "DEALER")
    onStop = async () => sock.destroy()
    tell({ type: "ready" })
    await command("go")
    // The ceiling: pre-framed messages, ~64 KiB per write, waiting only for 'drain'.
    const { chunk, messages } = raw.buildChunk([payload])
    const deadline = now() + cfg.durationMs
    let n = 0
    while (n < cfg.maxCount && now() < deadline) {
      n += messages
      if (!sock.write(chunk)) await new Promise((r) => sock.once("drain", r))
    }
    tell({ type: "sent", n })
    return
  }
  const zmq = await loadZmq()
  const dealer = new zmq.Dealer(curveOptions("client"))
  dealer.connect(cfg.endpoint)
  onStop = async () => dealer.close()
  tell({ type: "ready" })
  await command("go")
  const deadline = now() + cfg.durationMs
  let n = 0
  for (;;) {
    await dealer.send(payload)
    n++
    if (n >= cfg.maxCount || ((n & 255) === 0 && now() >= deadline)) break
  }
  tell({ type: "sent", n })
}

// ---- REQ <-> REP latency -----------------------------------------------------------------------

async function latServer() {
  if (cfg.impl === "raw") {
    const peers = []
    const { server, endpoint } = await raw.listen(cfg.endpoint, "REP", ({ sock, rest }) => {
      peers.push(sock)
      rawEcho(sock, rest)
    })
    onStop = async () => {
      for (const s of peers) s.destroy()
      server.close()
    }
    tell({ type: "ready", endpoint })
    return
  }
  const zmq = await loadZmq()
  const rep = new zmq.Reply()
  await rep.bind(cfg.endpoint)
  onStop = async () => rep.close()
  tell({ type: "ready", endpoint: rep.lastEndpoint })
  await echo(rep)
}

async function echo(rep) {
  try {
    for await (const [msg] of rep) await rep.send(msg)
  } catch (e) {
    if (!rep.closed) throw e
  }
}

/** Runs `call` until the deadline (after a warm-up) and returns latency figures in microseconds. */
async function timeCalls(call, samples) {
  for (let i = 0; i < cfg.warmup; i++) await call()
  const start = now()
  const deadline = start + cfg.durationMs
  let n = 0
  while (n < samples.length) {
    const t = now()
    await call()
    const t2 = now()
    samples[n++] = (t2 - t) * 1000
    if (t2 >= deadline) break
  }
  const elapsedMs = now() - start
  // `samples` (sorted by percentiles()) stays in this process: brokerClients pools them.
  return { count: n, elapsedMs, samples, ...percentiles(samples, n) }
}

/** A raw REP: each request's envelope (empty delimiter, and any ids) and body go back as they came. */
function rawEcho(sock, rest) {
  const reader = new raw.MessageReader((frames) => sock.write(raw.encodeMessage(frames)))
  if (rest.length) reader.push(rest)
  sock.on("data", (c) => reader.push(c))
}

/**
 * A raw REQ connection: `call()` writes the pre-framed request (RFC 28: an empty delimiter frame, then
 * the body) and resolves when the reply arrives.
 */
async function rawRequester(endpoint, payload) {
  const { sock, rest } = await raw.connect(endpoint, "REQ")
  const request = raw.encodeMessage([Buffer.alloc(0), payload])
  let pending = null
  const reader = new raw.MessageReader((frames) => {
    const p = pending
    pending = null
    if (frames[frames.length - 1].length !== payload.length) p.reject(new Error("raw: bad reply"))
    else p.resolve()
  })
  if (rest.length) reader.push(rest)
  sock.on("data", (c) => reader.push(c))
  const call = () =>
    new Promise((resolve, reject) => {
      pending = { resolve, reject }
      sock.write(request)
    })
  return { sock, call }
}

async function latClient() {
  const payload = Buffer.alloc(cfg.size, 0x62)
  const samples = new Float64Array(cfg.maxCount)
  let call
  if (cfg.impl === "raw") {
    const r = await rawRequester(cfg.endpoint, payload)
    onStop = async () => r.sock.destroy()
    call = r.call
  } else {
    const zmq = await loadZmq()
    const req = new zmq.Request()
    req.connect(cfg.endpoint)
    onStop = async () => req.close()
    call = async () => {
      await req.send(payload)
      const [reply] = await req.receive()
      if (reply.length !== cfg.size) throw new Error("bad reply")
    }
  }
  tell({ type: "ready" })
  await command("go")
  const { samples: _s, ...result } = await timeCalls(call, samples)
  tell({ type: "result", ...result })
}

// ---- broker: REQ clients -> Proxy(ROUTER/DEALER) -> REP workers --------------------------------

async function brokerProxy() {
  if (cfg.impl === "raw") return rawBrokerProxy()
  const zmq = await loadZmq()
  if (typeof zmq.Proxy !== "function") {
    tell({ type: "skip", reason: `${cfg.impl} exports no Proxy class` })
    return
  }
  const proxy = new zmq.Proxy(new zmq.Router(), new zmq.Dealer())
  await proxy.frontEnd.bind(cfg.frontend)
  await proxy.backEnd.bind(cfg.backend)
  const running = proxy.run()
  onStop = async () => {
    proxy.terminate()
    await Promise.race([running.catch(() => {}), new Promise((r) => setTimeout(r, 2000))])
  }
  tell({ type: "ready", frontend: proxy.frontEnd.lastEndpoint, backend: proxy.backEnd.lastEndpoint })
  await running
}

/**
 * The raw ceiling of the pipeline: a ROUTER/DEALER forwarder on plain sockets. Each client connection
 * gets a 5-octet id; a request goes to the next worker connection in turn as [id, ...frames], a reply
 * [id, ...rest] goes back to that client as [...rest]. No queues, no high-water marks, no reconnection.
 */
async function rawBrokerProxy() {
  const clients = new Map()
  const workers = []
  let nextId = 0
  let turn = 0
  const socks = []
  // Requests that arrive before any worker has joined wait here (the harness starts both at once).
  const early = []
  const back = await raw.listen(cfg.backend, "DEALER", ({ sock, rest }) => {
    socks.push(sock)
    workers.push(sock)
    for (const m of early.splice(0)) sock.write(m)
    const reader = new raw.MessageReader((frames) => {
      const client = clients.get(frames[0].toString("latin1"))
      if (client) client.write(raw.encodeMessage(frames.slice(1)))
    })
    if (rest.length) reader.push(rest)
    sock.on("data", (c) => reader.push(c))
  })
  const front = await raw.listen(cfg.frontend, "ROUTER", ({ sock, rest }) => {
    socks.push(sock)
    const id = Buffer.alloc(5)
    id.writeUInt32BE(++nextId, 1)
    clients.set(id.toString("latin1"), sock)
    const reader = new raw.MessageReader((frames) => {
      const m = raw.encodeMessage([id, ...frames])
      if (workers.length === 0) early.push(m)
      else workers[turn++ % workers.length].write(m)
    })
    if (rest.length) reader.push(rest)
    sock.on("data", (c) => reader.push(c))
  })
  onStop = async () => {
    for (const s of socks) s.destroy()
    front.server.close()
    back.server.close()
  }
  tell({ type: "ready", frontend: front.endpoint, backend: back.endpoint })
}

/** Raw REP workers: each echoes every request with its envelope, as the latency server does. */
async function rawBrokerWorkers() {
  const socks = []
  for (let i = 0; i < cfg.workers; i++) {
    const { sock, rest } = await raw.connect(cfg.endpoint, "REP")
    socks.push(sock)
    rawEcho(sock, rest)
  }
  onStop = async () => {
    for (const s of socks) s.destroy()
  }
  tell({ type: "ready" })
}

async function brokerWorkers() {
  if (cfg.impl === "raw") return rawBrokerWorkers()
  const zmq = await loadZmq()
  const reps = []
  for (let i = 0; i < cfg.workers; i++) {
    const rep = new zmq.Reply()
    rep.connect(cfg.endpoint)
    reps.push(rep)
  }
  onStop = async () => {
    for (const r of reps) r.close()
  }
  tell({ type: "ready" })
  await Promise.all(reps.map(echo))
}

async function brokerClients() {
  const payload = Buffer.alloc(cfg.size, 0x63)
  const calls = []
  if (cfg.impl === "raw") {
    // Raw REQ clients, as in the latency workload.
    const socks = []
    for (let i = 0; i < cfg.clients; i++) {
      const r = await rawRequester(cfg.endpoint, payload)
      socks.push(r.sock)
      calls.push(r.call)
    }
    onStop = async () => {
      for (const s of socks) s.destroy()
    }
  } else {
    const zmq = await loadZmq()
    const reqs = []
    for (let i = 0; i < cfg.clients; i++) {
      const req = new zmq.Request()
      req.connect(cfg.endpoint)
      reqs.push(req)
      calls.push(async () => {
        await req.send(payload)
        const [reply] = await req.receive()
        if (reply.length !== cfg.size) throw new Error("bad reply")
      })
    }
    onStop = async () => {
      for (const r of reqs) r.close()
    }
  }
  tell({ type: "ready" })
  await command("go")
  const per = Math.floor(cfg.maxCount / cfg.clients)
  const runs = await Promise.all(calls.map((call) => timeCalls(call, new Float64Array(per))))
  tell({ type: "result", ...mergeRuns(runs) })
}

/** Pools the clients' samples: percentiles over every call, rate over the longest client's time. */
function mergeRuns(runs) {
  let count = 0
  let elapsedMs = 0
  for (const r of runs) {
    count += r.count
    elapsedMs = Math.max(elapsedMs, r.elapsedMs)
  }
  const all = new Float64Array(count)
  let o = 0
  for (const r of runs) {
    all.set(r.samples.subarray(0, r.count), o)
    o += r.count
  }
  return { count, elapsedMs, ...percentiles(all, count) }
}

// ---- peak RSS under a 1,000,000-message burst -------------------------------------------------

async function rssRecv() {
  let count = 0
  let expect = -1
  let finish
  const finished = new Promise((r) => (finish = r))
  if (cfg.impl === "raw") {
    const peers = []
    let drained = false
    const { server, endpoint } = await raw.listen(cfg.endpoint, "ROUTER", ({ sock, rest }) => {
      peers.push(sock)
      const counter = new raw.MessageCounter()
      const onChunk = (chunk) => {
        count += counter.push(chunk)
        if (expect >= 0 && count >= expect) finish()
      }
      // Paused: the kernel buffers fill and the sender's writes stop draining.
      if (!drained) sock.pause()
      if (rest.length) onChunk(rest)
      sock.on("data", onChunk)
    })
    onStop = async () => {
      for (const s of peers) s.destroy()
      server.close()
    }
    const baseline = process.memoryUsage().rss
    tell({ type: "ready", endpoint, baseline })
    const m = await command("drain")
    expect = m.n
    drained = true
    const t0 = now()
    for (const s of peers) s.resume()
    if (count >= expect) finish()
    await finished
    tell({ type: "result", count, drainMs: now() - t0, baseline, peak: peakRssBytes() })
    return
  }
  const zmq = await loadZmq()
  const router = new zmq.Router()
  await router.bind(cfg.endpoint)
  onStop = async () => router.close()
  const baseline = process.memoryUsage().rss
  tell({ type: "ready", endpoint: router.lastEndpoint, baseline })
  // Paused: nobody calls receive() until the parent says so.
  const m = await command("drain")
  expect = m.n
  const t0 = now()
  while (count < expect) {
    await router.receive()
    count++
  }
  tell({ type: "result", count, drainMs: now() - t0, baseline, peak: peakRssBytes() })
}

async function rssSend() {
  const payload = Buffer.alloc(cfg.size, 0x64)
  // How far the burst got while the receiver was paused: bounded by the high-water marks and the
  // kernel's socket buffers when back-pressure works, the whole burst when it does not. The reply
  // comes only when the send loop yields to the event loop, i.e. once a send has to wait.
  let n = 0
  command("progress").then(() => tell({ type: "progress", n }))
  if (cfg.impl === "raw") {
    const { sock } = await raw.connect(cfg.endpoint, "DEALER")
    onStop = async () => sock.destroy()
    const baseline = process.memoryUsage().rss
    tell({ type: "ready", baseline })
    await command("go")
    const t0 = now()
    const { chunk, messages } = raw.buildChunk([payload])
    while (n < cfg.count) {
      const k = Math.min(messages, cfg.count - n)
      const c = k === messages ? chunk : chunk.subarray(0, (chunk.length / messages) * k)
      n += k
      if (!sock.write(c)) await new Promise((r) => sock.once("drain", r))
    }
    tell({ type: "sent", n, sendMs: now() - t0, baseline, peak: peakRssBytes() })
    return
  }
  const zmq = await loadZmq()
  const dealer = new zmq.Dealer()
  dealer.connect(cfg.endpoint)
  onStop = async () => dealer.close()
  const baseline = process.memoryUsage().rss
  tell({ type: "ready", baseline })
  await command("go")
  const t0 = now()
  while (n < cfg.count) {
    await dealer.send(payload)
    n++
  }
  tell({ type: "sent", n, sendMs: now() - t0, baseline, peak: peakRssBytes() })
}

// ---- PUB -> 2 SUB (issue 16) -------------------------------------------------------------------

// The publisher cycles ten topics, "t0".."t9", at the head of each message's one frame; a "1 in 10"
// subscriber subscribes to "t3" only. Sync messages are one octet ("!"), shorter than any payload.
const PS_TOPICS = 10
const PS_SYNC = Buffer.from("!")

function psPayloads(size) {
  const out = []
  for (let i = 0; i < PS_TOPICS; i++) {
    const b = Buffer.alloc(size, 0x65)
    b.write(`t${i}`, 0, "latin1")
    out.push(b)
  }
  return out
}

/**
 * A subscriber's count. PUB drops at the subscriber's high-water mark, so the sender's count is only
 * an upper bound: once it is known ("expect") the subscriber finishes when it has that many or when
 * nothing has arrived for 200 ms. The rate is the messages between the first and the last clock
 * reading (read at the first message, every 64th, and every one once the count is known).
 */
function makeSubCounter(extra = () => ({})) {
  const st = { count: 0, first: 0, t0: 0, t1: 0, c1: 0, calls: 0, expect: -1, done: false }
  let idle
  st.add = (m) => {
    st.count += m
    if (st.count === m) {
      st.t0 = st.t1 = now()
      st.first = st.c1 = m
    } else if (st.expect >= 0 || (++st.calls & 63) === 0) {
      st.t1 = now()
      st.c1 = st.count
    }
    if (st.expect >= 0 && st.count >= st.expect) st.finish()
  }
  st.finish = () => {
    if (st.done) return
    st.done = true
    clearInterval(idle)
    tell({ type: "result", count: st.count, measured: st.c1 - st.first, elapsedMs: st.t1 - st.t0, peak: peakRssBytes(), ...extra() })
  }
  st.expectN = (n) => {
    st.expect = n
    let last = st.count
    idle = setInterval(() => {
      if (st.count === last) st.finish()
      last = st.count
    }, 200)
    if (st.count >= n) st.finish()
  }
  return st
}

async function psSub() {
  const topics = cfg.topics.map((t) => Buffer.from(t, "latin1"))
  if (cfg.impl === "raw") {
    // ZMTP 3.0 subscription messages (RFC 29: 0x01 + prefix), then count frames without reading them.
    const { sock, rest } = await raw.connect(cfg.endpoint, "SUB")
    onStop = async () => sock.destroy()
    const st = makeSubCounter()
    const counter = new raw.MessageCounter()
    const onChunk = (chunk) => {
      const m = counter.push(chunk)
      if (m > 0) st.add(m)
    }
    if (cfg.paused) sock.pause()
    if (rest.length) onChunk(rest)
    sock.on("data", onChunk)
    for (const t of topics.length ? topics : [Buffer.alloc(0)]) sock.write(raw.encodeMessage([Buffer.concat([Buffer.from([1]), t])]))
    const baseline = process.memoryUsage().rss
    tell({ type: "ready", baseline })
    tell({ type: "synced" })
    if (cfg.paused) {
      await command("drain")
      sock.resume()
    }
    command("expect").then((m) => st.expectN(m.n))
    return
  }
  const zmq = await loadZmq()
  const sub = new zmq.Subscriber()
  onStop = async () => sub.close()
  sub.connect(cfg.endpoint)
  if (topics.length) sub.subscribe(...topics, PS_SYNC)
  else sub.subscribe()
  const baseline = process.memoryUsage().rss
  tell({ type: "ready", baseline })
  // Sync: the publisher sends "!" until every subscriber has seen one, so no counted message is
  // lost to a subscription still on its way.
  for (;;) {
    const [m] = await sub.receive()
    if (m.length === 1) break
  }
  tell({ type: "synced" })
  // The memory check: stop reading while the publisher floods.
  if (cfg.paused) await command("drain")
  const st = makeSubCounter()
  command("expect").then((m) => st.expectN(m.n))
  try {
    for await (const [m] of sub) {
      if (m.length !== 1) st.add(1)
      if (st.done) break
    }
  } catch (e) {
    if (!sub.closed) throw e
  }
}

async function psPub() {
  const payloads = psPayloads(cfg.size)
  if (cfg.impl === "raw") return rawPsPub(payloads)
  const zmq = await loadZmq()
  const pub = new zmq.Publisher()
  onStop = async () => pub.close()
  await pub.bind(cfg.endpoint)
  const baseline = process.memoryUsage().rss
  tell({ type: "ready", endpoint: pub.lastEndpoint, baseline })
  await command("sync")
  tell({ type: "synced" })
  let going = false
  const go = command("go").then(() => (going = true))
  while (!going) {
    await pub.send(PS_SYNC)
    await new Promise((r) => setTimeout(r, 10))
  }
  await go
  const t0 = now()
  const deadline = t0 + cfg.durationMs
  let n = 0
  for (;;) {
    await pub.send(payloads[n % PS_TOPICS])
    n++
    if (n >= cfg.maxCount || ((n & 255) === 0 && now() >= deadline)) break
  }
  tell({ type: "sent", n, elapsedMs: now() - t0, baseline, peak: peakRssBytes() })
}

/**
 * The raw ceiling: a ZMTP 3.0 PUB on plain sockets. It accepts two connections, reads each one's
 * subscription message, then writes pre-framed chunks to both, each chunk holding, from a whole number
 * of 10-topic cycles, the messages that match that connection's prefix. It waits for 'drain' (no
 * high-water mark, no dropping), so the slower subscriber paces it.
 */
async function rawPsPub(payloads) {
  const peers = []
  let ready
  const allReady = new Promise((r) => (ready = r))
  const { server, endpoint } = await raw.listen(cfg.endpoint, "PUB", ({ sock, rest }) => {
    const peer = { sock, prefix: null }
    const reader = new raw.MessageReader((frames) => {
      const f = frames[0]
      if (peer.prefix === null && f.length >= 1 && f[0] === 1) {
        peer.prefix = Buffer.from(f.subarray(1))
        peers.push(peer)
        if (peers.length >= cfg.subscribers) ready()
      }
    })
    if (rest.length) reader.push(rest)
    sock.on("data", (c) => reader.push(c))
  })
  onStop = async () => {
    for (const p of peers) p.sock.destroy()
    server.close()
  }
  const baseline = process.memoryUsage().rss
  tell({ type: "ready", endpoint, baseline })
  await command("sync")
  await allReady
  tell({ type: "synced" })
  await command("go")
  const one = raw.encodeMessage([payloads[0]]).length
  const cycles = Math.max(1, Math.floor((64 * 1024) / (one * PS_TOPICS)))
  const chunks = peers.map((p) => {
    const match = payloads.filter((b) => b.subarray(0, p.prefix.length).equals(p.prefix))
    const parts = []
    for (let i = 0; i < cycles; i++) for (const b of match) parts.push(raw.encodeMessage([b]))
    return Buffer.concat(parts)
  })
  const t0 = now()
  const deadline = t0 + cfg.durationMs
  let timer
  const atDeadline = new Promise((r) => (timer = setTimeout(r, cfg.durationMs)))
  let n = 0
  while (n < cfg.maxCount && now() < deadline) {
    n += cycles * PS_TOPICS
    const waits = []
    for (let i = 0; i < peers.length; i++) {
      const s = peers[i].sock
      if (chunks[i].length && !s.write(chunks[i])) waits.push(new Promise((r) => s.once("drain", r)))
    }
    // A paused subscriber never drains: the deadline still ends the run.
    if (waits.length) await Promise.race([Promise.all(waits), atDeadline])
  }
  clearTimeout(timer)
  tell({ type: "sent", n, elapsedMs: now() - t0, baseline, peak: peakRssBytes() })
}

// ---- PUSH -> PULL, fan-out and fan-in (issue 17) -----------------------------------------------

/**
 * A PULL that counts what its pushers send. It binds, or connects with cfg.connect (fan-out: three
 * PULLs connect to one bound PUSH). PUSH never drops, so it finishes when it has the total the
 * parent names ("expect"), or when nothing has arrived for 200 ms after that (a fan-out PULL gets a
 * share of the total only).
 */
async function ppPull() {
  const st = makeSubCounter()
  if (cfg.impl === "raw") {
    const counter = (sock, rest) => {
      const c = new raw.MessageCounter()
      const onChunk = (chunk) => {
        const m = c.push(chunk)
        if (m > 0) st.add(m)
      }
      if (rest.length) onChunk(rest)
      sock.on("data", onChunk)
    }
    if (cfg.connect) {
      const { sock, rest } = await raw.connect(cfg.endpoint, "PULL")
      onStop = async () => sock.destroy()
      counter(sock, rest)
      tell({ type: "ready" })
    } else {
      const peers = []
      const { server, endpoint } = await raw.listen(cfg.endpoint, "PULL", ({ sock, rest }) => {
        peers.push(sock)
        counter(sock, rest)
      })
      onStop = async () => {
        for (const s of peers) s.destroy()
        server.close()
      }
      tell({ type: "ready", endpoint })
    }
    command("expect").then((m) => st.expectN(m.n))
    return
  }
  const zmq = await loadZmq()
  const pull = new zmq.Pull()
  onStop = async () => pull.close()
  if (cfg.connect) pull.connect(cfg.endpoint)
  else await pull.bind(cfg.endpoint)
  tell({ type: "ready", endpoint: pull.lastEndpoint })
  command("expect").then((m) => st.expectN(m.n))
  try {
    for await (const [body] of pull) {
      if (body.length !== cfg.size) throw new Error(`got ${body.length} octets, want ${cfg.size}`)
      st.add(1)
      if (st.done) break
    }
  } catch (e) {
    if (!pull.closed) throw e
  }
}

/**
 * A PUSH that sends `cfg.size`-octet messages for cfg.durationMs, the way users write it (`await
 * send()` in a loop). It connects, or binds with cfg.peers set (fan-out) and waits for that many
 * handshakes before "go", so that every PULL is there from the first message.
 */
async function ppPush() {
  const payload = Buffer.alloc(cfg.size, 0x66)
  if (cfg.impl === "raw") return rawPpPush(payload)
  const zmq = await loadZmq()
  const push = new zmq.Push()
  onStop = async () => push.close()
  if (cfg.peers) {
    await push.bind(cfg.endpoint)
    let joined
    const all = new Promise((r) => (joined = r))
    void (async () => {
      let n = 0
      try {
        for await (const e of push.events) if (e.type === "handshake" && ++n >= cfg.peers) joined()
      } catch {}
    })()
    tell({ type: "ready", endpoint: push.lastEndpoint })
    await all
  } else {
    push.connect(cfg.endpoint)
    tell({ type: "ready" })
  }
  tell({ type: "joined" })
  await command("go")
  const deadline = now() + cfg.durationMs
  let n = 0
  for (;;) {
    await push.send(payload)
    n++
    if (n >= cfg.maxCount || ((n & 255) === 0 && now() >= deadline)) break
  }
  tell({ type: "sent", n })
}

/**
 * The raw ceiling: pre-framed 64 KiB chunks, waiting only for 'drain'. Connected, to one PULL; bound
 * (fan-out), a chunk to each of the cfg.peers connections in turn, waiting for the one whose turn it
 * is (round-robin without a high-water mark).
 */
async function rawPpPush(payload) {
  const { chunk, messages } = raw.buildChunk([payload])
  let socks
  if (cfg.peers) {
    socks = []
    let joined
    const all = new Promise((r) => (joined = r))
    const { server, endpoint } = await raw.listen(cfg.endpoint, "PUSH", ({ sock }) => {
      socks.push(sock)
      if (socks.length >= cfg.peers) joined()
    })
    onStop = async () => {
      for (const s of socks) s.destroy()
      server.close()
    }
    tell({ type: "ready", endpoint })
    await all
  } else {
    const { sock } = await raw.connect(cfg.endpoint, "PUSH")
    socks = [sock]
    onStop = async () => sock.destroy()
    tell({ type: "ready" })
  }
  tell({ type: "joined" })
  await command("go")
  const deadline = now() + cfg.durationMs
  let n = 0
  let turn = 0
  while (n < cfg.maxCount && now() < deadline) {
    n += messages
    const s = socks[turn++ % socks.length]
    if (!s.write(chunk)) await new Promise((r) => s.once("drain", r))
  }
  tell({ type: "sent", n })
}

const roles = {
  "tp-recv": tpRecv,
  "tp-send": tpSend,
  "lat-server": latServer,
  "lat-client": latClient,
  "broker-proxy": brokerProxy,
  "broker-workers": brokerWorkers,
  "broker-clients": brokerClients,
  "rss-recv": rssRecv,
  "rss-send": rssSend,
  "ps-pub": psPub,
  "ps-sub": psSub,
  "pp-pull": ppPull,
  "pp-push": ppPush,
}

try {
  await roles[cfg.role]()
} catch (e) {
  tell({ type: "error", message: String(e?.stack ?? e) })
  setImmediate(() => process.exit(1))
}
