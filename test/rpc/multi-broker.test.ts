/**
 * Several brokers (issue 20, items 1 and 2): clients and servers connect to every broker; calls
 * spread over the brokers that are up; losing one (SIGKILL of its process, or a partition that
 * closes nothing) loses no call when the client retries, and no call runs twice on one server; a
 * broker that comes back is used again by everyone without a restart.
 *
 * Brokers run as `node dist/cli.js broker` child processes (built from src/ into a temp dir first), on
 * loopback tcp with ephemeral ports for both frontend and backend; servers and clients run here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { Broker, RpcClient, RpcServer, type CallContext, type RpcServerOptions } from "../../src/rpc/index.js"
import { sleep } from "../helpers.js"
import { BrokerProcess, Relay, buildCli, removeCli } from "./fabric.js"

beforeAll(buildCli, 120_000)
afterAll(removeCli)

let open: { close(): unknown }[] = []
let brokers: BrokerProcess[] = []
afterEach(async () => {
  for (const o of open.reverse()) await o.close()
  for (const b of brokers) await b.kill()
  open = []
  brokers = []
})
const track = <T extends { close(): unknown }>(o: T): T => (open.push(o), o)

async function startBrokers(n: number): Promise<BrokerProcess[]> {
  const list = await Promise.all(Array.from({ length: n }, () => BrokerProcess.start()))
  brokers.push(...list)
  return list
}

/**
 * `count` servers, each connected to every backend, whose `count` handler records how many times it
 * ran each call id on that server.
 */
function countingServers(count: number, backends: string[], options: Partial<RpcServerOptions> = {}) {
  const runs: Map<string, number>[] = []
  const servers: RpcServer[] = []
  for (let s = 0; s < count; s++) {
    const mine = new Map<string, number>()
    runs.push(mine)
    const server = track(
      new RpcServer(
        {
          count: async (n: number, ctx: CallContext) => {
            mine.set(ctx.id, (mine.get(ctx.id) ?? 0) + 1)
            // A little latency, so that calls are inside the broker when it goes.
            await sleep(2)
            return n
          },
        },
        { concurrency: 8, ...options },
      ),
    )
    for (const ep of backends) server.connect(ep)
    servers.push(server)
  }
  return { servers, runs }
}

/** Runs `calls` calls, `concurrency` at a time; `during` runs once a quarter of them settled. */
async function load(client: RpcClient, calls: number, concurrency: number, during?: () => Promise<void>) {
  const outcomes: string[] = new Array(calls)
  const ids: string[] = []
  let next = 0
  let settled = 0
  let side: Promise<void> | undefined
  const worker = async () => {
    while (next < calls) {
      const i = next++
      try {
        const v = await client.call<number>("count", i)
        outcomes[i] = v === i ? "ok" : `wrong ${v}`
      } catch (e) {
        outcomes[i] = `${(e as Error).name} ${(e as { code?: string }).code ?? ""}`.trim()
      }
      if (++settled === Math.floor(calls / 4) && during) side = during()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  await side
  void ids
  const failed = new Map<string, number>()
  for (const o of outcomes) if (o !== "ok") failed.set(o, (failed.get(o) ?? 0) + 1)
  return Object.fromEntries(failed)
}

/** The largest number of runs of one call id on one server. */
function mostRunsPerServer(runs: Map<string, number>[]): number {
  let most = 0
  for (const m of runs) for (const n of m.values()) most = Math.max(most, n)
  return most
}

describe("several brokers", () => {
  it("a client's calls spread over every broker, and a server takes work from each (tcp backends)", async () => {
    const bs: Broker[] = []
    for (let i = 0; i < 3; i++) bs.push(track(await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" })))
    const server = track(new RpcServer({ echo: (x: unknown) => x }, { concurrency: 4 }))
    for (const b of bs) server.connect(b.backends.default!)
    const client = track(new RpcClient(bs.map((b) => b.frontend), { timeout: 10_000, poolSize: 8 }))
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => client.call("echo", i)))
    expect(results).toEqual(Array.from({ length: 300 }, (_, i) => i))
    // Every broker forwarded requests, and got replies back from the one server.
    for (const b of bs) {
      expect(b.statistics.requests).toBeGreaterThan(0)
      expect(b.statistics.replies).toBeGreaterThan(0)
    }
    expect(bs.reduce((n, b) => n + b.statistics.replies, 0)).toBe(300)
  })

  it.each([2, 3])("SIGKILL of one of %i brokers during load: no call fails, none runs twice on a server; back again, it carries calls alone", async (n) => {
    const bs = await startBrokers(n)
    const { servers, runs } = countingServers(2, bs.map((b) => b.backend))
    const client = track(new RpcClient(bs.map((b) => b.frontend), { timeout: 1000, retries: 5, poolSize: 40 }))
    const victim = bs[n - 1]!
    const failed = await load(client, 1500, 40, () => victim.kill())
    expect(failed).toEqual({})
    // The kill did catch calls inside the dead broker: they were retried.
    expect(client.stats.retries).toBeGreaterThan(0)
    expect(mostRunsPerServer(runs)).toBe(1)
    expect(servers.reduce((x, s) => x + s.stats.executions, 0)).toBeGreaterThanOrEqual(1500)

    // The broker comes back on its ports; nobody is restarted. Then every other broker dies, so the
    // calls below can only go through the one that came back.
    await victim.up()
    await sleep(500)
    for (const b of bs.slice(0, n - 1)) await b.kill()
    const again = await load(client, 300, 20)
    expect(again).toEqual({})
    expect(mostRunsPerServer(runs)).toBe(1)
  }, 60_000)

  it("a broker that stays down gets no requests: with retries 0 every call resolves (ZMQ_IMMEDIATE)", async () => {
    const bs = await startBrokers(2)
    countingServers(1, bs.map((b) => b.backend))
    const client = track(new RpcClient(bs.map((b) => b.frontend), { timeout: 1000, retries: 0, poolSize: 20 }))
    expect(await load(client, 200, 20)).toEqual({})
    await bs[1]!.kill()
    // Calls on sockets that existed before the kill, and on fresh ones (the pool grows to 40).
    expect(await load(client, 400, 40)).toEqual({})
  }, 60_000)

  it("a partitioned broker (unreachable, not closed): calls keep going, heartbeats drop it, it is used again once healed", async () => {
    const [b0, b1] = await startBrokers(2)
    const front = track(await Relay.start(b1!.frontendPort))
    const back = track(await Relay.start(b1!.backendPort))
    const { runs } = countingServers(2, [b0!.backend, back.endpoint])
    const client = track(new RpcClient([b0!.frontend, front.endpoint], { timeout: 1000, retries: 5, poolSize: 30 }))
    expect(await load(client, 300, 30)).toEqual({})
    const partitioned = await load(client, 1500, 30, async () => {
      front.partition()
      back.partition()
    })
    expect(partitioned).toEqual({})
    expect(client.stats.retries).toBeGreaterThan(0)
    // Past the heartbeat timeout the partitioned connections are dropped: no call is sent into the
    // cut link any more, so none needs a retry.
    await sleep(4500)
    const before = client.stats.retries
    expect(await load(client, 600, 30)).toEqual({})
    expect(client.stats.retries - before).toBe(0)
    // Healed, and the other broker gone: the calls can only go through the one that was cut off.
    front.heal()
    back.heal()
    await sleep(1500)
    await b0!.kill()
    expect(await load(client, 300, 20)).toEqual({})
    expect(mostRunsPerServer(runs)).toBe(1)
  }, 60_000)

  it("a server cut off from one broker (partition of that link only): the broker's heartbeats drop it, and no request is sent into the cut link", async () => {
    const [b0, b1] = await startBrokers(2)
    const link = track(await Relay.start(b1!.backendPort))
    // Server 0 reaches both brokers directly; server 1 reaches broker 1 only through the relay.
    const a = countingServers(1, [b0!.backend, b1!.backend])
    const b = countingServers(1, [b0!.backend, link.endpoint])
    const client = track(new RpcClient([b0!.frontend, b1!.frontend], { timeout: 1000, retries: 5, poolSize: 30 }))
    expect(await load(client, 300, 30)).toEqual({})
    expect(b.servers[0]!.stats.executions).toBeGreaterThan(0)
    link.partition()
    expect(await load(client, 600, 30)).toEqual({})
    // Past the heartbeat timeout broker 1 has dropped server 1's connections: its requests all go to
    // server 0, so none is lost in the cut link and none needs a retry.
    await sleep(4500)
    const before = client.stats.retries
    expect(await load(client, 900, 30)).toEqual({})
    expect(client.stats.retries - before).toBe(0)
    link.heal()
    expect(mostRunsPerServer([...a.runs, ...b.runs])).toBe(1)
  }, 60_000)
})
