#!/usr/bin/env node
/**
 * ws:// against tcp:// (issue 19 item 6), in one run: PUSH -> PULL throughput and REQ/REP round-trip
 * latency Node <-> Node, side by side; then browser <-> Node throughput, the page (Debian's
 * Chromium, headless, playwright-core) on dist/browser.js and Node on dist/index.js.
 *
 *   npx tsup && node bench/ws.mjs [--duration S] [--sizes 16,1024] [--roundtrips N] [--no-browser]
 *
 * Node <-> Node runs sender and receiver in one process (one event loop, as a page and its server
 * are not), the sender yielding to the event loop after every 256 sends: the figures compare the
 * transports with each other, not with bench/run.mjs's, whose peers are separate processes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import http from "node:http"
import { loadavg, tmpdir, cpus } from "node:os"
import { join } from "node:path"
import * as z from "../dist/index.js"

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`)
  return i < 0 ? dflt : args[i + 1]
}
const DURATION = Number(opt("duration", "2")) * 1000
const SIZES = opt("sizes", "16,1024").split(",").map(Number)
const ROUNDTRIPS = Number(opt("roundtrips", "5000"))
const BROWSER = !args.includes("--no-browser")

const yieldLoop = () => new Promise((r) => setImmediate(r))
/**
 * The browser part's deadline: each direction's page.evaluate is abandoned after DURATION plus this
 * margin (its cell then reads "no result in N s"), so a direction that stops delivering ends the run
 * instead of hanging it (as it did in issue 19's runs).
 */
const BROWSER_MARGIN = 10_000
const deadline = (p, ms) => {
  let timer
  return Promise.race([p.then((v) => ({ v })), new Promise((r) => (timer = setTimeout(() => r({ late: true }), ms)))]).finally(() => clearTimeout(timer))
}
const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0))

/** A server for ws endpoints on one port (as a page's server would be), and a tcp endpoint. */
async function endpoints() {
  const server = http.createServer()
  await new Promise((r) => server.listen(0, "127.0.0.1", r))
  return { server, ws: (path) => `ws://127.0.0.1:${server.address().port}${path}` }
}

async function throughput(bindAddr, bindOpts, size) {
  const pull = new z.Pull()
  await (bindOpts ? pull.bind(bindAddr, bindOpts) : pull.bind(bindAddr))
  const push = new z.Push()
  push.connect(pull.lastEndpoint)
  const msg = Buffer.alloc(size, 7)
  // Warm up: the connection and the first messages.
  await push.send(msg)
  await pull.receive()
  let received = 0
  let stop = false
  const recv = (async () => {
    for await (const _ of pull) {
      received++
      if (stop && received >= sentAtStop) break
    }
  })()
  let sent = 0
  let sentAtStop = Infinity
  const t0 = performance.now()
  while (performance.now() - t0 < DURATION) {
    for (let i = 0; i < 256; i++) {
      await push.send(msg)
      sent++
    }
    // One process: let the receiver and the I/O run (a send that never has to wait never yields).
    await yieldLoop()
  }
  stop = true
  sentAtStop = sent
  const recvAtDeadline = received
  const elapsed = (performance.now() - t0) / 1000
  await Promise.race([recv, new Promise((r) => setTimeout(r, 5000))])
  push.close()
  pull.close()
  return { msgs: recvAtDeadline / elapsed, mb: (recvAtDeadline * size) / elapsed / 1e6 }
}

async function latency(bindAddr, bindOpts, size) {
  const rep = new z.Reply()
  await (bindOpts ? rep.bind(bindAddr, bindOpts) : rep.bind(bindAddr))
  const req = new z.Request()
  req.connect(rep.lastEndpoint)
  void (async () => {
    for await (const m of rep) await rep.send(m).catch(() => {})
  })()
  const msg = Buffer.alloc(size, 7)
  for (let i = 0; i < 200; i++) {
    await req.send(msg)
    await req.receive()
  }
  const rtt = []
  for (let i = 0; i < ROUNDTRIPS; i++) {
    const t = performance.now()
    await req.send(msg)
    await req.receive()
    rtt.push(performance.now() - t)
  }
  req.close()
  rep.close()
  rtt.sort((a, b) => a - b)
  const q = (p) => rtt[Math.min(rtt.length - 1, Math.floor(p * rtt.length))] * 1000
  return { p50: q(0.5), p99: q(0.99), mean: (rtt.reduce((a, b) => a + b, 0) / rtt.length) * 1000 }
}

const rows = []
const load = loadavg().map((l) => l.toFixed(2)).join(" ")
const { server, ws } = await endpoints()
for (const size of SIZES) {
  console.error(`throughput ${size} B ...`)
  const tcp = await throughput("tcp://127.0.0.1:*", undefined, size)
  const w = await throughput(ws(`/t${size}`), { server }, size)
  rows.push([`PUSH -> PULL ${size} B`, "msgs/s ↑", fmt(tcp.msgs), fmt(w.msgs), (w.msgs / tcp.msgs).toFixed(2) + "×"])
  rows.push([`PUSH -> PULL ${size} B`, "MB/s ↑", tcp.mb.toFixed(1), w.mb.toFixed(1), (w.mb / tcp.mb).toFixed(2) + "×"])
}
for (const size of SIZES) {
  console.error(`latency ${size} B ...`)
  const tcp = await latency("tcp://127.0.0.1:*", undefined, size)
  const w = await latency(ws(`/l${size}`), { server }, size)
  rows.push([`REQ/REP ${size} B`, "round trip p50 µs ↓", tcp.p50.toFixed(0), w.p50.toFixed(0), (w.p50 / tcp.p50).toFixed(2) + "×"])
  rows.push([`REQ/REP ${size} B`, "round trip p99 µs ↓", tcp.p99.toFixed(0), w.p99.toFixed(0), (w.p99 / tcp.p99).toFixed(2) + "×"])
}

console.log(`${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC · Node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? "?"} · load average before: ${load} · ${DURATION / 1000} s per throughput cell, ${ROUNDTRIPS} round trips per latency cell\n`)
console.log("| case | metric | tcp | ws | ws/tcp |\n| --- | --- | ---: | ---: | ---: |")
for (const r of rows) console.log(`| ${r.join(" | ")} |`)

if (BROWSER) {
  const CHROMIUM = "/usr/bin/chromium"
  if (!existsSync(CHROMIUM) || !existsSync("dist/browser.js")) {
    console.log(`\n(browser <-> Node skipped: ${existsSync(CHROMIUM) ? "dist/browser.js missing, run npx tsup" : `${CHROMIUM} missing`})`)
  } else {
    const { chromium } = await import("playwright-core")
    const bundle = readFileSync("dist/browser.js", "utf8")
    const page0 = `<!doctype html><script type="module">import * as z from "/zmtp.js"; window.z = z; window.ready = true</script>`
    server.on("request", (req, res) => {
      if (req.url === "/zmtp.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(bundle)
      res.writeHead(200, { "content-type": "text/html" }).end(page0)
    })
    const profile = mkdtempSync(join(tmpdir(), "zmtp-bench-chromium-"))
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    })
    const page = ctx.pages()[0] ?? (await ctx.newPage())
    await page.goto(ws("/").replace("ws:", "http:"))
    await page.waitForFunction(() => window.ready === true)
    const brows = []
    for (const size of SIZES) {
      console.error(`browser ${size} B ...`)
      // page PUSH -> Node PULL
      const pull = new z.Pull()
      await pull.bind(ws(`/bp${size}`), { server })
      let received = 0
      let first = 0
      let last = 0
      void (async () => {
        for await (const _ of pull) {
          if (received++ === 0) first = performance.now()
          last = performance.now()
        }
      })()
      const up = await deadline(page.evaluate(
        async ([url, size, ms]) => {
          const push = new window.z.Push()
          push.connect(url)
          const msg = new Uint8Array(size).fill(7)
          const t0 = performance.now()
          let stalled = false
          while (performance.now() - t0 < ms && !stalled) {
            for (let i = 0; i < 256 && !stalled; i++) {
              // Bounded by the deadline even if the send never completes (the stall RESULTS reports).
              let timer
              const left = Math.max(1, ms - (performance.now() - t0))
              stalled = !(await Promise.race([push.send(msg).then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), left)))]))
              clearTimeout(timer)
            }
            // A macrotask without setTimeout's 4 ms clamp (HTML: nested timers).
            await new Promise((r) => {
              const c = new MessageChannel()
              c.port1.onmessage = r
              c.port2.postMessage(0)
            })
          }
          await new Promise((r) => setTimeout(r, 200))
          push.linger = 0
          push.close()
        },
        [pull.lastEndpoint, size, DURATION],
      ), DURATION + BROWSER_MARGIN)
      if (up.late) console.error("  page -> Node: deadline passed")
      const upMsgs = up.late || received < 2 ? undefined : (received - 1) / ((last - first) / 1000)
      pull.close()
      // Node PUSH -> page PULL
      // sendTimeout: once the page's PULL is gone a send would wait for a peer for ever.
      const push = new z.Push({ sendTimeout: 200 })
      await push.bind(ws(`/bq${size}`), { server })
      const counting = page.evaluate(
        async ([url, ms]) => {
          const pull = new window.z.Pull()
          pull.connect(url)
          // The first message (the connection) within the run's length too, or no figure.
          let first
          const connected = await Promise.race([pull.receive().then(() => true), new Promise((r) => (first = setTimeout(() => r(false), ms)))])
          clearTimeout(first)
          if (!connected) {
            pull.close()
            return undefined
          }
          let n = 0
          const t0 = performance.now()
          // Bounded by the deadline even if deliveries stop (the stall README/RESULTS report).
          for (;;) {
            const left = ms - (performance.now() - t0)
            if (left <= 0) break
            let timer
            const got = await Promise.race([pull.receive().then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), left)))])
            clearTimeout(timer)
            if (!got) break
            n++
          }
          pull.close()
          return n / ((performance.now() - t0) / 1000)
        },
        [push.lastEndpoint, DURATION],
      )
      const msg = Buffer.alloc(size, 7)
      let done = false
      const down = deadline(counting, 2 * DURATION + BROWSER_MARGIN).then((r) => ((done = true), r))
      while (!done) {
        for (let i = 0; i < 256; i++) await push.send(msg).catch(() => {})
        await yieldLoop()
      }
      const d = await down
      if (d.late) console.error("  Node -> page: deadline passed")
      const downMsgs = d.late ? undefined : d.v
      push.close()
      const late = `no result in ${(DURATION + BROWSER_MARGIN) / 1000} s`
      brows.push([`page PUSH -> Node PULL ${size} B`, upMsgs === undefined ? late : fmt(upMsgs), upMsgs === undefined ? "" : ((upMsgs * size) / 1e6).toFixed(1)])
      brows.push([`Node PUSH -> page PULL ${size} B`, downMsgs === undefined ? late : fmt(downMsgs), downMsgs === undefined ? "" : ((downMsgs * size) / 1e6).toFixed(1)])
    }
    const version = ctx.browser()?.version() ?? ""
    // Closing Chromium is bounded too; the process exits below whatever it does.
    await deadline(ctx.close(), 10_000)
    rmSync(profile, { recursive: true, force: true })
    console.log(`\nBrowser <-> Node over ws:// (Chromium ${version} headless, dist/browser.js; Node dist/index.js in this process)\n`)
    console.log("| case | msgs/s ↑ | MB/s ↑ |\n| --- | ---: | ---: |")
    for (const r of brows) console.log(`| ${r.join(" | ")} |`)
  }
}
server.closeAllConnections()
server.close()
process.exit(0)
