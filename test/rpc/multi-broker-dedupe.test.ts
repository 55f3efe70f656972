/**
 * Dedupe across servers (issue 20, item 3), the guarantee as the README states it:
 * - default store (each server its own memory): a call id never runs twice on one server, across a
 *   broker kill with retries; a retry that another broker hands to another server may run there;
 * - one store shared by the servers: a call id never runs twice anywhere, across the same kill.
 * Brokers are `node dist/cli.js broker` child processes killed with SIGKILL (built from src/ into a temp dir first).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { MemoryOutcomeStore, RpcClient, RpcServer, type CallContext, type OutcomeStore } from "../../src/rpc/index.js"
import { sleep } from "../helpers.js"
import { BrokerProcess, buildCli, removeCli } from "./fabric.js"

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

/** 3 brokers, 3 servers connected to all of them, a client with retries; one broker SIGKILLed under load. */
async function killDuringLoad(store: () => OutcomeStore | undefined) {
  const bs = await Promise.all([0, 1, 2].map(() => BrokerProcess.start()))
  brokers.push(...bs)
  const runs: Map<string, number>[] = []
  for (let s = 0; s < 3; s++) {
    const mine = new Map<string, number>()
    runs.push(mine)
    const server = track(
      new RpcServer(
        {
          count: async (n: number, ctx: CallContext) => {
            mine.set(ctx.id, (mine.get(ctx.id) ?? 0) + 1)
            // Long enough that calls have run and wait for their reply inside the broker that dies.
            await sleep(5)
            return n
          },
        },
        { concurrency: 8, store: store() },
      ),
    )
    server.connect(bs.map((b) => b.backend))
  }
  const client = track(new RpcClient(bs.map((b) => b.frontend), { timeout: 1000, retries: 5, poolSize: 60 }))
  const CALLS = 1500
  let next = 0
  let settled = 0
  let failed = 0
  let killed: Promise<void> | undefined
  await Promise.all(
    Array.from({ length: 60 }, async () => {
      while (next < CALLS) {
        const i = next++
        try {
          if ((await client.call("count", i)) !== i) failed++
        } catch {
          failed++
        }
        if (++settled === CALLS / 4) killed = bs[1]!.kill()
      }
    }),
  )
  await killed
  const perId = new Map<string, number>()
  let mostOnOneServer = 0
  for (const m of runs) {
    for (const [id, n] of m) {
      perId.set(id, (perId.get(id) ?? 0) + n)
      mostOnOneServer = Math.max(mostOnOneServer, n)
    }
  }
  return { failed, retries: client.stats.retries, calls: perId.size, mostOnOneServer, mostAnywhere: Math.max(...perId.values()), ranTwice: [...perId.values()].filter((n) => n > 1).length }
}

describe("dedupe across servers", () => {
  it("default store: across a broker kill with retries, no call fails and none runs twice on one server", async () => {
    const r = await killDuringLoad(() => undefined)
    expect(r.failed).toBe(0)
    expect(r.retries).toBeGreaterThan(0)
    expect(r.calls).toBe(1500)
    expect(r.mostOnOneServer).toBe(1)
  }, 60_000)

  it("one shared store: across a broker kill with retries, no call fails and none runs twice anywhere", async () => {
    const shared = new MemoryOutcomeStore()
    const r = await killDuringLoad(() => shared)
    expect(r.failed).toBe(0)
    expect(r.retries).toBeGreaterThan(0)
    expect(r.calls).toBe(1500)
    expect(r.mostAnywhere).toBe(1)
  }, 60_000)

  it("a store whose claim fails refuses the call (ERR_RPC_UNAVAILABLE) rather than run it unguarded", async () => {
    const bs = [await BrokerProcess.start()]
    brokers.push(...bs)
    let ran = 0
    const broken: OutcomeStore = {
      claim: () => Promise.reject(new Error("store down")),
      finish: () => {},
    }
    const server = track(new RpcServer({ f: () => ++ran }, { concurrency: 1, store: broken }))
    server.connect(bs[0]!.backend)
    const client = track(new RpcClient(bs[0]!.frontend, { timeout: 3000 }))
    await expect(client.call("f")).rejects.toMatchObject({ name: "RemoteError", code: "ERR_RPC_UNAVAILABLE" })
    expect(ran).toBe(0)
  }, 30_000)
})
