/**
 * The server's and client's bounds (issue 14, item 10): socketOptions merge with the defaults, a hung
 * handler can be given a timeout, and the outcome cache has a byte budget and a time to live as well
 * as a count (results too large for it are not deduplicated).
 */
import { afterEach, describe, expect, it, vi } from "vitest"
import { Reply, Request } from "../../src/index.js"
import { RemoteError, RpcClient, RpcServer, TimeoutError, type CallContext } from "../../src/rpc/index.js"
import { KIND_CALL, decodeReply, encodeRequest } from "../../src/rpc/protocol.js"
import { closeAfterEachAsync, rig, sleep } from "./helpers.js"

afterEach(() => {
  vi.restoreAllMocks()
})
const track = closeAfterEachAsync()

/** A plain REQ that sends hand-made requests, so a test picks the call ids (and so retries). */
function rawCaller(frontend: string) {
  const req = track(new Request({ linger: 0, receiveTimeout: 20_000 }))
  req.connect(frontend)
  return async (id: string, method: string, params: unknown = null) => {
    await req.send(["default", encodeRequest(KIND_CALL, id, method, params)])
    const r = decodeReply((await req.receive())[0]!)
    expect(r.id).toBe(id)
    return r
  }
}

describe("socketOptions", () => {
  it("merge with the defaults (linger 0) for RpcServer's REP and RpcClient's REQ sockets", async () => {
    const reps = vi.spyOn(Reply.prototype, "connect")
    const reqs = vi.spyOn(Request.prototype, "connect")
    const server = track(new RpcServer({}, { concurrency: 3, socketOptions: { receiveHighWaterMark: 7 } }))
    server.connect("tcp://127.0.0.1:1")
    const client = track(new RpcClient("tcp://127.0.0.1:1", { socketOptions: { sendHighWaterMark: 9 } }))
    const overridden = track(new RpcClient("tcp://127.0.0.1:1", { socketOptions: { linger: 250 } }))
    const repSockets = reps.mock.contexts as Reply[]
    const reqSockets = reqs.mock.contexts as Request[]
    expect(repSockets).toHaveLength(3)
    for (const s of repSockets) expect([s.linger, s.receiveHighWaterMark]).toEqual([0, 7])
    expect(reqSockets).toHaveLength(2)
    expect([reqSockets[0]!.linger, reqSockets[0]!.sendHighWaterMark, reqSockets[0]!.correlate]).toEqual([0, 9, true])
    // A default the caller sets explicitly is the caller's.
    expect(reqSockets[1]!.linger).toBe(250)
    void client
    void overridden
  })
})

describe("handlerTimeout", () => {
  it("answers a hung handler's call with ERR_RPC_HANDLER_TIMEOUT, aborts its signal, and frees its socket", async () => {
    const signals: AbortSignal[] = []
    const handlers = {
      hang: (_p: unknown, ctx: CallContext) => {
        signals.push(ctx.signal)
        return new Promise(() => {})
      },
      late: async (_p: unknown, ctx: CallContext) => {
        signals.push(ctx.signal)
        await sleep(300)
        return "too late"
      },
      echo: (v: unknown) => v,
    }
    const errors: unknown[] = []
    // One REP socket: a handler that held it for ever would block every later call.
    const r = track(await rig(handlers, 1, { concurrency: 1, handlerTimeout: 100, onError: (e, ctx) => errors.push([(e as { code?: string }).code, ctx.method]) }))
    const client = track(new RpcClient(r.broker.frontend, { timeout: 10_000 }))
    const err = await client.call("hang").catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect(err).toMatchObject({ code: "ERR_RPC_HANDLER_TIMEOUT", remoteName: "RpcError", method: "hang" })
    expect(signals[0]!.aborted).toBe(true)
    expect(signals[0]!.reason).toMatchObject({ code: "ERR_RPC_HANDLER_TIMEOUT" })
    expect(await client.call("echo", 1)).toBe(1)
    // A result that comes after the timeout is dropped; the caller already has its error.
    await expect(client.call("late")).rejects.toMatchObject({ code: "ERR_RPC_HANDLER_TIMEOUT" })
    expect(await client.call("echo", 2)).toBe(2)
    // A cast's handler is timed out too, and reported to onError.
    await client.cast("hang")
    for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(20)
    expect(errors).toEqual([["ERR_RPC_HANDLER_TIMEOUT", "hang"]])
    const stats = r.servers[0]!.stats
    expect(stats.handlerTimeouts).toBe(3)
  })

  it("a retry of a timed-out call gets the same error without running the handler again", async () => {
    let runs = 0
    const r = track(await rig({ hang: () => (runs++, new Promise(() => {})) }, 1, { handlerTimeout: 50 }))
    const call = rawCaller(r.broker.frontend)
    expect((await call("h-1", "hang")).payload).toMatchObject({ code: "ERR_RPC_HANDLER_TIMEOUT" })
    expect((await call("h-1", "hang")).payload).toMatchObject({ code: "ERR_RPC_HANDLER_TIMEOUT" })
    expect(runs).toBe(1)
  })

  it("without handlerTimeout a hung handler holds its call until the client gives up (the default)", async () => {
    const r = track(await rig({ hang: () => new Promise(() => {}) }, 1, { concurrency: 1 }))
    const client = track(new RpcClient(r.broker.frontend, { timeout: 150 }))
    await expect(client.call("hang")).rejects.toBeInstanceOf(TimeoutError)
    expect(() => new RpcServer({}, { handlerTimeout: 0 })).toThrow(expect.objectContaining({ code: "EINVAL" }))
  })
})

describe("outcome cache bounds", () => {
  const KiB = 1024
  const MiB = 1024 * KiB

  it("keeps at most cacheBytes of outcomes: the oldest are forgotten (and run again if retried), the newest deduplicated", async () => {
    let runs = 0
    const r = track(await rig({ big: (n: number) => (runs++, Buffer.alloc(256 * KiB, n)) }, 1, { cacheBytes: 8 * MiB }))
    const call = rawCaller(r.broker.frontend)
    // 64 outcomes of 256 KiB: 16 MiB, twice the budget.
    for (let i = 0; i < 64; i++) await call(`b-${i}`, "big", i)
    expect(runs).toBe(64)
    // The oldest was forgotten to stay within budget: its retry runs again.
    expect(((await call("b-0", "big", 0)).payload as Buffer)[0]).toBe(0)
    expect(runs).toBe(65)
    // The newest is remembered: its retry does not run the handler.
    expect(((await call("b-63", "big", 63)).payload as Buffer)[0]).toBe(63)
    expect(runs).toBe(65)
    const stats = r.servers[0]!.stats
    expect(stats.cachedBytes).toBeLessThanOrEqual(8 * MiB)
    expect(stats.cachedOutcomes).toBeLessThan(64)
    expect(stats.cachedOutcomes).toBeGreaterThan(0)
  })

  it("does not keep an outcome larger than cacheBytes / 16: a retry after it finished runs again, one during the run waits for it", async () => {
    let runs = 0
    const r = track(
      await rig(
        {
          huge: async () => {
            runs++
            await sleep(200)
            return Buffer.alloc(1 * MiB, 1)
          },
        },
        1,
        { cacheBytes: 8 * MiB },
      ),
    )
    const first = rawCaller(r.broker.frontend)
    const second = rawCaller(r.broker.frontend)
    const [a, b] = await Promise.all([first("h-1", "huge"), sleep(50).then(() => second("h-1", "huge"))])
    expect([(a.payload as Buffer).length, (b.payload as Buffer).length]).toEqual([MiB, MiB])
    expect(runs).toBe(1)
    await first("h-1", "huge")
    expect(runs).toBe(2)
    expect(r.servers[0]!.stats.cachedOutcomes).toBe(0)
  })

  it("forgets outcomes after cacheTtl ms", async () => {
    let runs = 0
    const r = track(await rig({ once: () => ++runs }, 1, { cacheTtl: 50 }))
    const call = rawCaller(r.broker.frontend)
    expect((await call("t-1", "once")).payload).toBe(1)
    await sleep(200)
    expect((await call("t-1", "once")).payload).toBe(2)
    // And without another request to notice it: an expired outcome is let go by itself.
    await sleep(200)
    expect(r.servers[0]!.stats.cachedOutcomes).toBe(0)
  })

  it("rejects bad bounds with EINVAL", () => {
    for (const o of [{ cacheBytes: -1 }, { cacheTtl: 0 }, { cacheSize: 1.5 }, { handlerTimeout: -5 }]) {
      expect(() => new RpcServer({}, o)).toThrow(expect.objectContaining({ code: "EINVAL" }))
    }
  })
})
