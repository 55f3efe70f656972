/**
 * The RPC fabric on separate hosts (issue 20, item 4): 3 broker hosts, 2 server hosts and a client
 * host, each a network namespace of its own (netns.ts), talking over veths and a bridge with
 * addresses from 198.51.100.0/24. Every process is a real one, started in its host with
 * `ip netns exec`: brokers (broker.mjs: Broker.start as `zmtp broker` calls it), servers
 * (server.mjs: one RpcServer connected to all three tcp backends) and the client (client.mjs: one
 * RpcClient given all three frontends, with retries). They use the library as built by tsup from
 * this tree, into a directory of this run's own (a parallel test's tsup, with clean: true, cannot
 * empty it under us).
 *
 * What must hold (issue 20, items 1 and 2), for each scenario:
 * - no call fails;
 * - no call runs twice on one server (each server counts its handler's runs per call id), and each
 *   call that resolved ran on some server; a retry that another broker hands to the other server
 *   may run there too (the default per-server outcome store, see README);
 * a) calls spread over the three brokers;
 * b) SIGKILL of a broker during the load fails no call, and the broker started again is used again;
 * c) a broker host partitioned (its link down) during the load: calls keep going, and once the
 *    heartbeats have dropped its connections no call is sent its way any more (a 2 s window with no
 *    retry comes, within 20 s); its link up again: the broker is used again;
 * d) the same fabric as a user runs it with the zmtp command: `zmtp broker` unchanged on each broker
 *    host with a tcp backend, `zmtp serve` and `zmtp call` with a --connect per broker; a call
 *    through each broker alone, and through all three, gets its answer.
 *
 * Skipped, with the reason in its name, where namespaces cannot be made (not root, no iproute2,
 * EPERM in a container); `.ci/run` runs it as root. Fixed ports are fine here: each host has its
 * own network stack, nothing outside can hold them.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, symlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { Hosts, namespaces, netnsUnavailable, removeStale, type HostProcess } from "./netns.js"

const ROOT = new URL("../..", import.meta.url).pathname
const HERE = new URL(".", import.meta.url).pathname
const unavailable = netnsUnavailable()
if (unavailable) console.warn(`test/hosts skipped: ${unavailable}`)

const BROKERS = { b1: "198.51.100.11", b2: "198.51.100.12", b3: "198.51.100.13" } as const
const SERVERS = { s1: "198.51.100.21", s2: "198.51.100.22" } as const
const CLIENT = { c1: "198.51.100.31" } as const
type Broker = keyof typeof BROKERS
const frontend = (b: Broker) => `tcp://${BROKERS[b]}:5555`
const backend = (b: Broker) => `tcp://${BROKERS[b]}:5556`
/** Each attempt waits this long before its retry; with 10 retries a call has 11 chances. */
const CLIENT_CONFIG = { endpoints: Object.keys(BROKERS).map((b) => frontend(b as Broker)), concurrency: 8, timeout: 2000, retries: 10 }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

interface Stats {
  ok: number
  failed: number
  client: { retries: number; timeouts: number }
}
interface BrokerStats {
  requests: number
  replies: number
}

describe.skipIf(unavailable !== undefined)(`RPC fabric on separate hosts (network namespaces)${unavailable ? ` [skipped: ${unavailable}]` : ""}`, () => {
  let hosts: Hosts
  let dist: string
  let buildDir: string
  let before: string[] = []
  let brokers: Partial<Record<Broker, HostProcess>> = {}
  let servers: HostProcess[] = []
  let client: HostProcess | undefined

  beforeAll(() => {
    removeStale()
    before = namespaces()
    buildDir = mkdtempSync(join(tmpdir(), "zmtp-hosts-"))
    // The build imports ws and @noble/* at run time: resolved through this link to the tree's node_modules.
    symlinkSync(join(ROOT, "node_modules"), join(buildDir, "node_modules"))
    dist = join(buildDir, "dist")
    execFileSync("npx", ["tsup", "--silent", "--no-dts", "--out-dir", dist], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] })
    hosts = new Hosts()
    hosts.createSwitch()
    for (const [h, a] of Object.entries({ ...BROKERS, ...SERVERS, ...CLIENT })) hosts.addHost(h, a)
  }, 120_000)

  afterEach(async () => {
    await hosts?.killAll()
    brokers = {}
    servers = []
    client = undefined
  })

  afterAll(async () => {
    await hosts?.destroy()
    if (buildDir) rmSync(buildDir, { recursive: true, force: true })
    // Every namespace this run made is gone (another run's, in another process, may come and go).
    expect(namespaces().filter((n) => n.startsWith(`zmtph-${process.pid}-`)), "namespaces left behind").toEqual([])
    expect(before.filter((n) => !namespaces().includes(n)), "namespaces of others removed").toEqual([])
  })

  const startBroker = async (b: Broker) => {
    const p = hosts.exec(b, b, process.execPath, [join(HERE, "broker.mjs"), dist, frontend(b), backend(b)])
    brokers[b] = p
    await p.waitFor((l) => l.type === "ready", 15_000, "ready")
  }

  /**
   * Brokers and servers at once (a server's sockets connect as soon as its broker is there), then
   * the client on every frontend; waits for each to be ready.
   */
  const startFabric = async () => {
    servers = Object.keys(SERVERS).map((s) =>
      hosts.exec(s, s, process.execPath, [join(HERE, "server.mjs"), dist, s, ...Object.keys(BROKERS).map((b) => backend(b as Broker))]),
    )
    await Promise.all([
      ...(Object.keys(BROKERS) as Broker[]).map(startBroker),
      ...servers.map((s) => s.waitFor((l) => l.type === "ready", 15_000, "ready")),
    ])
    client = hosts.exec("c1", "client", process.execPath, [join(HERE, "client.mjs"), dist, JSON.stringify(CLIENT_CONFIG)])
    await client.waitFor((l) => l.type === "ready", 15_000, "ready")
  }

  const clientStats = async () => (await client!.ask("stats", "stats")) as unknown as Stats
  const brokerStats = async (b: Broker) => (await brokers[b]!.ask("stats", "stats")) as unknown as BrokerStats

  /** Waits until `more` calls have resolved since `from` (failures are checked at the end). */
  const callsResolve = async (more: number, from?: number, ms = 20_000): Promise<Stats> => {
    const base = from ?? (await clientStats()).ok
    const deadline = Date.now() + ms
    for (;;) {
      const s = await clientStats()
      if (s.ok >= base + more) return s
      if (Date.now() > deadline) throw new Error(`only ${s.ok - base} of ${more} calls resolved within ${ms} ms (${s.failed} failed, ${s.client.retries} retries)`)
      await sleep(100)
    }
  }

  /** Waits until broker `b` has passed on `more` replies since `from`. */
  const brokerCarries = async (b: Broker, more: number, from: number, ms = 15_000): Promise<BrokerStats> => {
    const deadline = Date.now() + ms
    for (;;) {
      const s = await brokerStats(b)
      if (s.replies >= from + more) return s
      if (Date.now() > deadline) throw new Error(`${b} passed on ${s.replies - from} replies (of ${more} wanted) within ${ms} ms: not used again`)
      await sleep(100)
    }
  }

  /**
   * Stops the load, then checks: no call failed; per server, no call id ran twice; every call that
   * resolved ran somewhere. Returns how many calls resolved and how many ran on both servers.
   */
  const finish = async () => {
    const done = (await client!.ask("stop", "done", 60_000)) as unknown as { ok: number[]; failed: unknown[]; client: Stats["client"] }
    expect(done.failed.slice(0, 5), `${done.failed.length} calls failed`).toEqual([])
    const ran = new Map<number, number>()
    const perServer: number[] = []
    for (const s of servers) {
      const r = (await s.ask("report", "report")) as unknown as { name: string; runs: [string, number, number][] }
      const twice = r.runs.filter(([, , count]) => count > 1)
      expect(twice.slice(0, 5), `${r.name}: ${twice.length} call ids ran more than once`).toEqual([])
      for (const [, n] of r.runs) ran.set(n, (ran.get(n) ?? 0) + 1)
      perServer.push(r.runs.length)
    }
    const never = done.ok.filter((n) => !ran.has(n))
    expect(never.slice(0, 5), `${never.length} resolved calls ran on no server`).toEqual([])
    return { ok: done.ok.length, perServer, onBothServers: [...ran.values()].filter((c) => c > 1).length, client: done.client }
  }

  it("a) 3 brokers, 2 servers, 1 client: every call succeeds, runs at most once per server, and the calls spread over the 3 brokers", async () => {
    await startFabric()
    await callsResolve(400, 0)
    const per = await Promise.all((Object.keys(BROKERS) as Broker[]).map(brokerStats))
    const r = await finish()
    const total = per.reduce((a, s) => a + s.replies, 0)
    // Round robin over the brokers that are up: each of the 3 carries a fair share (well over a tenth).
    for (const [i, s] of per.entries()) expect(s.replies, `broker b${i + 1}: ${s.replies} of ${total} replies`).toBeGreaterThan(total / 10)
    // And both servers take work (each is connected to every broker).
    for (const [i, n] of r.perServer.entries()) expect(n, `server s${i + 1} ran ${n} of ${r.ok} calls`).toBeGreaterThan(r.ok / 10)
    console.log(`hosts a): ${r.ok} calls, per broker ${per.map((s) => s.replies).join("/")} replies, per server ${r.perServer.join("/")}, ${r.onBothServers} ran on both servers, ${r.client.retries} retries`)
  }, 60_000)

  it("b) SIGKILL of a broker during the load fails no call; started again, it is used again", async () => {
    await startFabric()
    const s0 = await callsResolve(200, 0)
    await brokers.b1!.kill()
    const killedAt = Date.now()
    // Calls go on over b2 and b3 (those in flight at b1 are retried there).
    const s1 = await callsResolve(300, s0.ok)
    await startBroker("b1")
    const restartAt = Date.now()
    // Nobody is restarted: the client's and the servers' sockets reconnect to it by themselves.
    await brokerCarries("b1", 50, 0)
    const usedAgain = Date.now() - restartAt
    await callsResolve(100, s1.ok)
    const r = await finish()
    console.log(`hosts b): ${r.ok} calls, ${r.client.retries} retries, ${r.onBothServers} ran on both servers; b1 down ${restartAt - killedAt} ms, used again ${usedAgain} ms after its restart`)
  }, 60_000)

  it("c) a broker host partitioned (link down) during the load: calls keep going and stop being sent its way; link up: it is used again", async () => {
    await startFabric()
    await callsResolve(200, 0)
    hosts.partition("b1")
    const cutAt = Date.now()
    await sleep(500)
    const cut = await brokerStats("b1")
    // Heartbeats must find the dead connections (the RPC layer's defaults, README); calls sent to b1
    // meanwhile time out (2 s) and are retried elsewhere. Once they have, nothing is sent to b1 any
    // more: a 2 s window comes with calls resolving and no attempt timing out (no retries). Waited
    // for up to 20 s, whatever the defaults are.
    let w0 = await clientStats()
    let w1: Stats
    const windows: string[] = []
    for (;;) {
      await sleep(2000)
      w1 = await clientStats()
      windows.push(`${w1.ok - w0.ok} calls/${w1.client.retries - w0.client.retries} retries`)
      if (w1.client.retries === w0.client.retries && w1.ok - w0.ok >= 50) break
      expect(Date.now() - cutAt, `2 s windows of the partition so far: ${windows.join(", ")}`).toBeLessThan(20_000)
      w0 = w1
    }
    const detected = Date.now() - cutAt
    // The partition is real: nothing reached b1 meanwhile.
    expect((await brokerStats("b1")).requests).toBe(cut.requests)
    hosts.heal("b1")
    const healAt = Date.now()
    await brokerCarries("b1", 50, cut.replies)
    const usedAgain = Date.now() - healAt
    await callsResolve(100, w1.ok)
    const r = await finish()
    console.log(
      `hosts c): ${r.ok} calls, ${r.client.retries} retries, ${r.onBothServers} ran on both servers; partition windows ${windows.join(", ")} (${detected} ms); b1 used again ${usedAgain} ms after its link came up`,
    )
  }, 60_000)

  it("d) the zmtp command on each host: `zmtp broker` with a tcp backend on 3 hosts, `zmtp serve` and `zmtp call` with a --connect per broker", async () => {
    const cli = join(dist, "cli.js")
    const ready = (p: HostProcess, re: RegExp) => p.waitFor((l) => l.type === "text" && re.test(l.text as string), 15_000, `a line matching ${re}`)
    const started = (Object.keys(BROKERS) as Broker[]).map((b) => {
      const p = hosts.exec(b, `zmtp broker on ${b}`, process.execPath, [cli, "broker", "--frontend", frontend(b), "--backend", backend(b)])
      return ready(p, /^zmtp broker:/)
    })
    const connects = (ep: (b: Broker) => string, only?: Broker) =>
      (only ? [only] : (Object.keys(BROKERS) as Broker[])).flatMap((b) => ["--connect", ep(b)])
    for (const s of Object.keys(SERVERS)) {
      const p = hosts.exec(s, `zmtp serve on ${s}`, process.execPath, [cli, "serve", "--name", s, ...connects(backend)])
      started.push(ready(p, /^zmtp serve:/))
    }
    await Promise.all(started)
    const call = async (only?: Broker) => {
      const p = hosts.exec("c1", "zmtp call", process.execPath, [cli, "call", "add", "[40, 2]", "--timeout", "3000", "--retries", "3", ...connects(frontend, only)])
      const code = await p.exited
      return { code, out: p.text.join("\n"), err: p.errors.trim() }
    }
    // Through each broker alone: it reaches a server only if the servers joined that broker's tcp
    // backend, across the network, from their --connect list.
    for (const b of Object.keys(BROKERS) as Broker[]) expect(await call(b), `zmtp call through ${b} only`).toEqual({ code: 0, out: "42", err: "" })
    // And given all three.
    expect(await call(), "zmtp call given all three brokers").toEqual({ code: 0, out: "42", err: "" })
  }, 60_000)
})
