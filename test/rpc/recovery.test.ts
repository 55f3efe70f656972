/**
 * Recovery (lazy pirate, ZeroMQ guide ch. 4): the broker stops and comes back on the same endpoints
 * while 2,000 calls are under way.
 *
 * - Without retries every call still settles: it resolves, or rejects with a typed TimeoutError. None
 *   hangs and none is silently lost.
 * - With retries every call resolves, and the server's outcome cache means no call id ever runs twice,
 *   although some requests are certainly sent twice (the retries counter proves that they were).
 */
import { afterEach, describe, expect, it } from "vitest"
import { Broker, RpcClient, RpcServer, TimeoutError } from "../../src/rpc/index.js"
import { cleanupIpc, ipcEndpoint, sleep } from "./helpers.js"
import { within } from "../helpers.js"

afterEach(cleanupIpc)

const CALLS = 2000
const CONCURRENCY = 100

/** Runs CALLS calls, CONCURRENCY at a time, restarting the broker once a quarter of them settled. */
async function restartDuringCalls(retries: number) {
  const executions = new Map<string, number>()
  const server = new RpcServer(
    {
      count: async (n: number, ctx: { id: string }) => {
        executions.set(ctx.id, (executions.get(ctx.id) ?? 0) + 1)
        // A little latency so that calls are in flight inside the broker when it goes.
        await sleep(1)
        return n
      },
      echo: (s: string) => s,
    },
    { concurrency: 16 },
  )
  const backend = ipcEndpoint()
  let broker = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend })
  const frontend = broker.frontend
  server.connect(broker.backends.default!)
  const client = new RpcClient(frontend, { timeout: 1000, retries, poolSize: CONCURRENCY })
  const outcomes: ("ok" | "timeout" | "wrong" | "other")[] = new Array(CALLS)
  let settled = 0
  let restarted: Promise<void> | undefined
  let next = 0
  let recovered: unknown
  const worker = async () => {
    while (next < CALLS) {
      const i = next++
      try {
        const v = await client.call("count", i)
        outcomes[i] = v === i ? "ok" : "wrong"
      } catch (e) {
        outcomes[i] = e instanceof TimeoutError ? "timeout" : "other"
      }
      if (++settled === CALLS / 4) {
        restarted = (async () => {
          // Stop the broker abruptly (linger 0: whatever it holds is dropped), leave it down a
          // while, then start it again on the same endpoints.
          await broker.close()
          await sleep(300)
          broker = await Broker.start({ frontend, backend })
        })()
      }
    }
  }
  try {
    // No call may hang: the whole run is bounded by attempts x timeout.
    await within(Promise.all(Array.from({ length: CONCURRENCY }, worker)), 60_000, "2,000 calls")
    await restarted
    // The same client object works on after the restart, with no help from outside.
    recovered = await client.call("echo", "recovered")
  } finally {
    client.close()
    await server.close()
    await broker.close()
  }
  const count = (k: string) => outcomes.filter((o) => o === k).length
  return { outcomes, count, executions, recovered, stats: client.stats, serverStats: server.stats }
}

describe("broker restart during 2,000 calls", () => {
  it("without retries: every call resolves or rejects with TimeoutError; the client recovers by itself", async () => {
    const { outcomes, count, stats, recovered } = await restartDuringCalls(0)
    expect(outcomes.filter((o) => o !== undefined).length).toBe(CALLS)
    expect(count("wrong")).toBe(0)
    expect(count("other")).toBe(0)
    expect(count("ok") + count("timeout")).toBe(CALLS)
    // Calls were lost with the broker (those time out) and the sockets that carried them were
    // replaced by fresh ones.
    expect(count("timeout")).toBeGreaterThan(0)
    expect(stats.socketsDiscarded).toBeGreaterThanOrEqual(count("timeout"))
    expect(recovered).toBe("recovered")
  })

  it("with retries: no call fails and no call id runs twice", async () => {
    const { count, executions, stats, serverStats } = await restartDuringCalls(20)
    expect(count("ok")).toBe(CALLS)
    expect(stats.retries).toBeGreaterThan(0)
    // Every call ran exactly once on the server, retries notwithstanding.
    expect(executions.size).toBe(CALLS)
    expect([...executions.values()].every((n) => n === 1)).toBe(true)
    expect(serverStats.executions).toBe(CALLS + 1)
  })
})

describe("retries and the outcome cache", () => {
  it("a retry that arrives while the first attempt still runs waits for it instead of running again", async () => {
    let runs = 0
    const broker = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: ipcEndpoint() })
    const server = new RpcServer(
      {
        slow: async () => {
          runs++
          await sleep(300)
          return "done"
        },
      },
      { concurrency: 4 },
    )
    server.connect(broker.backends.default!)
    const client = new RpcClient(broker.frontend, { timeout: 100, retries: 5 })
    try {
      expect(await client.call("slow")).toBe("done")
      expect(runs).toBe(1)
      expect(client.stats.retries).toBeGreaterThan(0)
      expect(server.stats.duplicates).toBe(client.stats.retries)
    } finally {
      client.close()
      await server.close()
      await broker.close()
    }
  })
})
