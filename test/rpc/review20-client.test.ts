/**
 * Issue 20 review, client and broker findings (F1 a broker without servers, F2 spread, F3 one hung
 * call, F7 the socket count after close), adapted from the reviewer's tests. Brokers in-process on
 * loopback tcp with ephemeral ports.
 */
import { afterEach, describe, expect, it } from "vitest"
import { Broker, RpcClient, RpcServer } from "../../src/rpc/index.js"
import { sleep } from "../helpers.js"

let open: { close(): unknown }[] = []
afterEach(async () => {
  for (const o of open.reverse()) await o.close()
  open = []
})
const track = <T extends { close(): unknown }>(o: T): T => (open.push(o), o)
const broker = async (opts: { pendingTimeout?: number } = {}) =>
  track(await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", ...opts }))

describe("F1: a broker that is up but has no server", () => {
  it("refuses at once, and the client resends the call to a broker that serves it (counted as a refusal)", async () => {
    // pendingTimeout 60 s: the refusal can come only from "no server connected", not from the timeout.
    const empty = await broker({ pendingTimeout: 60_000 })
    const good = await broker()
    const server = track(new RpcServer({ echo: (x: unknown) => x }))
    server.connect(good.backends.default!)
    // retries 0: a refusal does not use up a retry; the 20 s timeout would only run out if it waited.
    const client = track(new RpcClient([empty.frontend, good.frontend], { timeout: 20_000, retries: 0 }))
    await sleep(300)
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => client.call("echo", i)))
    const rejected = outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason.code)
    expect(rejected).toEqual([])
    expect(outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value)).toEqual(Array.from({ length: 10 }, (_, i) => i))
    // Some went to the empty broker first (round-robin) and were refused there, then resent.
    expect(empty.statistics.refused).toBeGreaterThan(0)
    expect(client.stats.refusals).toBe(empty.statistics.refused)
    expect(client.stats.retries).toBe(0)
    expect(server.stats.requests).toBe(10)
  }, 60_000)

  it("the reviewer's case: pendingTimeout 100 on the empty broker, retries 3: no call fails", async () => {
    const empty = await broker({ pendingTimeout: 100 })
    const good = await broker()
    const server = track(new RpcServer({ echo: (x: unknown) => x }))
    server.connect(good.backends.default!)
    const client = track(new RpcClient([empty.frontend, good.frontend], { timeout: 2000, retries: 3 }))
    await sleep(300)
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => client.call("echo", i)))
    const rejected = outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason.code)
    expect(rejected).toEqual([])
  }, 30_000)

  it("a server's own ERR_RPC_UNAVAILABLE is not resent: it is not a broker's proof of non-delivery", async () => {
    const b1 = await broker()
    const b2 = await broker()
    let runs = 0
    const server = track(
      new RpcServer({
        f: () => {
          runs++
          throw Object.assign(new Error("busy"), { code: "ERR_RPC_UNAVAILABLE" })
        },
      }),
    )
    server.connect([b1.backends.default!, b2.backends.default!])
    const client = track(new RpcClient([b1.frontend, b2.frontend], { timeout: 5000 }))
    await sleep(300)
    await expect(client.call("f")).rejects.toMatchObject({ name: "RemoteError", code: "ERR_RPC_UNAVAILABLE" })
    expect(runs).toBe(1)
    expect(client.stats.refusals).toBe(0)
  }, 30_000)

  it("with every broker refusing, the call is resent until its time is out, then the refusal reaches the caller", async () => {
    const b1 = await broker()
    const b2 = await broker()
    // Attempts long enough that a loaded machine still sees refusals in each (the matrix's Node 24
    // leg once saw none within 300 ms, and a TimeoutError).
    const client = track(new RpcClient([b1.frontend, b2.frontend], { timeout: 2000, retries: 1 }))
    await sleep(1000)
    await expect(client.call("f")).rejects.toMatchObject({ name: "RemoteError", code: "ERR_RPC_UNAVAILABLE" })
    // Two attempts, each refused by both brokers at least once (then again after each pause).
    expect(client.stats.refusals).toBeGreaterThanOrEqual(4)
    expect(client.stats.retries).toBe(1)
    expect(client.stats.timeouts).toBe(0)
    expect(b1.statistics.refused).toBeGreaterThanOrEqual(2)
    expect(b2.statistics.refused).toBeGreaterThanOrEqual(2)
    expect(b1.statistics.refused + b2.statistics.refused).toBe(client.stats.refusals)
  }, 30_000)

  it("one broker, servers not yet connected: a call waits for a server within its timeout (refused, resent)", async () => {
    const b = await broker()
    const client = track(new RpcClient(b.frontend, { timeout: 10_000 }))
    await sleep(200)
    const call = client.call("echo", "late")
    await sleep(300)
    const server = track(new RpcServer({ echo: (x: unknown) => x }))
    server.connect(b.backends.default!)
    expect(await call).toBe("late")
    expect(client.stats.refusals).toBeGreaterThan(0)
    expect(server.stats.requests).toBe(1)
  }, 30_000)
})

describe("F2: each attempt picks its broker", () => {
  it("retries are not all sent to the same dead-end broker", async () => {
    // pendingTimeout -1: the empty broker holds requests (no refusal), so only timeouts tell.
    const empty = await broker({ pendingTimeout: -1 })
    const good = await broker()
    const server = track(new RpcServer({ echo: (x: unknown) => x }))
    server.connect(good.backends.default!)
    const client = track(new RpcClient([empty.frontend, good.frontend], { timeout: 150, retries: 3 }))
    await sleep(300)
    let failed = 0
    for (let i = 0; i < 40; i++) await client.call("echo", i).catch(() => failed++)
    // A retry goes to the other broker, so no call should fail; the reviewer's bound was < 9 for a fair coin.
    expect(failed).toBe(0)
  }, 60_000)

  it("concurrent calls of one client spread over two healthy brokers", async () => {
    const b1 = await broker()
    const b2 = await broker()
    const server = track(new RpcServer({ echo: (x: unknown) => x }))
    server.connect([b1.backends.default!, b2.backends.default!])
    const client = track(new RpcClient([b1.frontend, b2.frontend], { timeout: 2000 }))
    const rounds: number[][] = []
    for (let r = 0; r < 4; r++) {
      const a = b1.statistics.requests
      const b = b2.statistics.requests
      await Promise.all(Array.from({ length: 20 }, (_, i) => client.call("echo", i)))
      rounds.push([b1.statistics.requests - a, b2.statistics.requests - b])
    }
    for (const [x, y] of rounds) expect(Math.min(x!, y!), JSON.stringify(rounds)).toBeGreaterThanOrEqual(5)
  }, 30_000)

  it("a broker that was closed and starts again on its port is used again", async () => {
    const b1 = await broker()
    const b2 = await broker()
    const server = track(new RpcServer({ echo: (x: unknown) => x }))
    server.connect([b1.backends.default!, b2.backends.default!])
    const client = track(new RpcClient([b1.frontend, b2.frontend], { timeout: 500, retries: 3 }))
    for (let i = 0; i < 10; i++) expect(await client.call("echo", i)).toBe(i)
    const fe = b1.frontend
    const be = b1.backends.default!
    await b1.close()
    for (let i = 0; i < 10; i++) expect(await client.call("echo", i)).toBe(i)
    const again = track(await Broker.start({ frontend: fe, backend: be }))
    let used = 0
    for (let i = 0; i < 200 && used === 0; i++) {
      expect(await client.call("echo", i)).toBe(i)
      used = again.statistics.replies
      if (used === 0) await sleep(50)
    }
    expect(used).toBeGreaterThan(0)
  }, 60_000)
})

describe("F3: one hung call does not hold the client", () => {
  // The review's case with retries 3 (4 attempts): before, every attempt of the hung call went to
  // the first broker and took its 4 REPs of the server, and later calls went there too; now its
  // attempts alternate (2 REPs held on each broker) and later calls, with their retries, reach the
  // free ones. (With retries 7 the hung call's 8 attempts take all 8 REPs: see the report; the
  // server's wait on a running claim is unbounded, server.ts.)
  it("later calls succeed after one call whose handler never settles (server concurrency 4 per broker)", async () => {
    const b1 = await broker()
    const b2 = await broker()
    const server = track(new RpcServer({ hang: () => new Promise(() => {}), ok: () => 1 }, { concurrency: 4 }))
    server.connect([b1.backends.default!, b2.backends.default!])
    const client = track(new RpcClient([b1.frontend, b2.frontend], { timeout: 200, retries: 3 }))
    await sleep(300)
    await client.call("hang").catch(() => {})
    const after = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => client.call("ok", i)))
    expect(after.filter((x) => x.status === "fulfilled").length).toBeGreaterThanOrEqual(8)
  }, 60_000)

  it("later calls succeed after one call whose handler never settles (small pool)", async () => {
    const b1 = await broker()
    const b2 = await broker()
    const server = track(new RpcServer({ hang: () => new Promise(() => {}), ok: () => 1 }, { concurrency: 16 }))
    server.connect([b1.backends.default!, b2.backends.default!])
    const client = track(new RpcClient([b1.frontend, b2.frontend], { timeout: 200, retries: 3, poolSize: 2 }))
    await sleep(300)
    await expect(client.call("hang")).rejects.toMatchObject({ code: "ETIMEDOUT" })
    const after = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => client.call("ok", i)))
    expect(after.filter((x) => x.status === "fulfilled").length).toBe(10)
    // The pool of 2, and one watching socket per broker.
    expect(client.sockets).toBeLessThanOrEqual(4)
  }, 60_000)
})

describe("F7: client counters", () => {
  it("sockets is 0 after close", async () => {
    const b = await broker()
    const client = new RpcClient(b.frontend)
    expect(client.sockets).toBe(1)
    client.close()
    expect(client.sockets).toBe(0)
  })

  it("sockets is 0 after close with several endpoints and sockets in use", async () => {
    const b1 = await broker()
    const b2 = await broker()
    const server = track(new RpcServer({ echo: (x: unknown) => x }))
    server.connect([b1.backends.default!, b2.backends.default!])
    const client = new RpcClient([b1.frontend, b2.frontend], { timeout: 2000 })
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.call("echo", i)))
    const busy = client.call("echo", "x").catch((e: { code?: string }) => e.code)
    client.close()
    expect(client.sockets).toBe(0)
    expect(await busy).toBe("ERR_RPC_CLOSED")
  })
})
