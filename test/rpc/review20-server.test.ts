/**
 * Review of issue 20, F4 and F5: what a handler or an outcome store can do to an RpcServer.
 *
 * F4: whatever a handler throws or returns, and whatever a store answers, the call gets a typed reply
 * and the server's serve loop goes on; no rejection escapes to the process (`unhandledRejection`).
 * F5: a store whose claim (or finish) hangs holds a REP socket only for `storeTimeout`: calls during
 * the hang are refused with ERR_RPC_UNAVAILABLE, and the server serves again once the store answers.
 *
 * F6 (fairness, not redesigned): the broker's sockets take `socketOptions`, the knob that bounds the
 * bytes a flooding client can make a broker hold (HWMs count messages; maxMessageSize bounds each).
 *
 * Servers run with `concurrency: 1` where a test checks that "the server goes on": a dead serve loop
 * then leaves no other socket to answer the next call.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { Dealer, Router } from "../../src/index.js"
import { Broker, RpcClient, RpcServer, type Claim, type OutcomeStore, type RpcServerOptions } from "../../src/rpc/index.js"
import { encodeReply, STATUS_OK } from "../../src/rpc/protocol.js"
import { closeAfterEachAsync, rig, sleep } from "./helpers.js"

const track = closeAfterEachAsync()

/** Every unhandled rejection the process sees during a test. */
let escaped: unknown[] = []
const onRejection = (e: unknown) => escaped.push(e)
beforeEach(() => {
  escaped = []
  process.on("unhandledRejection", onRejection)
})
afterEach(() => {
  process.off("unhandledRejection", onRejection)
})
/** Lets pending rejections surface (Node reports them after the microtask queue drains), then checks none did. */
async function expectNoneEscaped(): Promise<void> {
  await sleep(50)
  expect(escaped.map((e) => String((e as Error)?.message ?? typeof e))).toEqual([])
}

type Settled = { ok: true; value: unknown } | { ok: false; code: unknown; message: unknown }
const settle = (p: Promise<unknown>): Promise<Settled> =>
  p.then(
    (value) => ({ ok: true, value }),
    (e: { code?: unknown; message?: unknown }) => ({ ok: false, code: e.code, message: e.message }),
  )

async function serve(handlers: Record<string, (p: any) => unknown>, options: Partial<RpcServerOptions> = {}) {
  const r = track(await rig(handlers, 1, { concurrency: 1, ...options }))
  const client = track(new RpcClient(r.broker.frontend, { timeout: 3000, retries: 0 }))
  return { server: r.servers[0]!, client }
}

describe("F4: whatever a handler throws becomes a wire error", () => {
  const revoked = Proxy.revocable({}, {})
  revoked.revoke()
  const thrown: Record<string, () => unknown> = {
    nullProto: () => Object.create(null),
    symbol: () => Symbol("s"),
    toStringThrows: () => ({ toString: () => { throw new Error("no string") } }),
    nameGetterThrows: () => Object.defineProperty(new Error("m"), "name", { get: () => { throw new Error("no name") } }),
    messageNotString: () => Object.assign(new Error(), { message: { nested: true } }),
    revokedProxy: () => revoked.proxy,
    proxyError: () => new Proxy(new Error("p"), { get: () => { throw new Error("trap") } }),
  }

  for (const [name, make] of Object.entries(thrown)) {
    it(`a handler throwing ${name}: a RemoteError, and the server goes on`, async () => {
      const { client } = await serve({ bad: () => { throw make() }, ok: () => 1 })
      const first = await settle(client.call("bad"))
      expect(first).toMatchObject({ ok: false, code: "ERR_RPC_REMOTE" })
      expect(typeof (first as { message: unknown }).message).toBe("string")
      expect(await settle(client.call("ok"))).toEqual({ ok: true, value: 1 })
      await expectNoneEscaped()
    }, 20_000)
  }

  it("an async handler rejecting with a null-prototype object: a RemoteError, and the server goes on", async () => {
    const { client } = await serve({ bad: async () => { throw Object.create(null) }, ok: () => 1 })
    expect(await settle(client.call("bad"))).toMatchObject({ ok: false, code: "ERR_RPC_REMOTE" })
    expect(await settle(client.call("ok"))).toEqual({ ok: true, value: 1 })
    await expectNoneEscaped()
  }, 20_000)

  it("a handler returning an object whose `then` getter throws: the getter's error, as await would give", async () => {
    const trap = () => Object.defineProperty({}, "then", { get: () => { throw Object.assign(new Error("then getter"), { code: "E_THEN" }) } })
    const { client } = await serve({ bad: trap, ok: () => 1 })
    expect(await settle(client.call("bad"))).toEqual({ ok: false, code: "E_THEN", message: "then getter" })
    expect(await settle(client.call("ok"))).toEqual({ ok: true, value: 1 })
    await expectNoneEscaped()
  }, 20_000)

  it("a handler returning a thenable whose `then` throws: its error", async () => {
    const { client } = await serve({ bad: () => ({ then: () => { throw new RangeError("then threw") } }), ok: () => 1 })
    expect(await settle(client.call("bad"))).toEqual({ ok: false, code: "ERR_RPC_REMOTE", message: "then threw" })
    expect(await settle(client.call("ok"))).toEqual({ ok: true, value: 1 })
    await expectNoneEscaped()
  }, 20_000)

  it("onError throwing (for a failed cast, and for a failed finish) escapes nowhere", async () => {
    const store: OutcomeStore = { claim: () => ({ state: "new" }), finish: () => { throw new Error("finish failed") } }
    const onError = () => { throw Object.create(null) }
    const { client } = await serve({ bad: () => { throw new Error("cast failed") }, ok: () => 1 }, { store, onError })
    expect(await settle(client.cast("bad"))).toEqual({ ok: true, value: undefined })
    expect(await settle(client.call("ok"))).toEqual({ ok: true, value: 1 })
    await expectNoneEscaped()
  }, 20_000)
})

describe("F4: a store that fails or answers nonsense refuses the call; the server goes on", () => {
  it("a `running` claim whose `done` rejects: ERR_RPC_UNAVAILABLE", async () => {
    let n = 0
    const store: OutcomeStore = {
      claim: () => (n++ === 0 ? { state: "running", done: Promise.reject(new Error("lease lost")) } : { state: "new" }),
      finish: () => {},
    }
    const { client, server } = await serve({ ok: () => 1 }, { store })
    const first = await settle(client.call("ok"))
    expect(first).toMatchObject({ ok: false, code: "ERR_RPC_UNAVAILABLE" })
    expect((first as { message: string }).message).toContain("lease lost")
    expect(await settle(client.call("ok"))).toEqual({ ok: true, value: 1 })
    expect(server.stats.storeFailures).toBe(1)
    await expectNoneEscaped()
  }, 20_000)

  const malformed: Record<string, () => unknown> = {
    undefined: () => undefined,
    null: () => null,
    unknownState: () => ({ state: "maybe" }),
    doneWithoutBuffer: () => ({ state: "done", reply: "not a buffer" }),
    runningWithoutPromise: () => ({ state: "running", done: 42 }),
    runningResolvesNonBuffer: () => ({ state: "running", done: Promise.resolve({ not: "a buffer" }) }),
    stateGetterThrows: () => Object.defineProperty({}, "state", { get: () => { throw Object.create(null) } }),
    claimThrowsNullProto: () => { throw Object.create(null) },
    asyncUndefined: async () => undefined,
  }
  for (const [name, bad] of Object.entries(malformed)) {
    it(`a malformed claim (${name}): ERR_RPC_UNAVAILABLE, the handler does not run`, async () => {
      let n = 0
      let runs = 0
      const store: OutcomeStore = { claim: () => (n++ === 0 ? (bad() as Claim) : { state: "new" }), finish: () => {} }
      const { client } = await serve({ ok: () => ++runs }, { store })
      expect(await settle(client.call("ok"))).toMatchObject({ ok: false, code: "ERR_RPC_UNAVAILABLE" })
      expect(runs).toBe(0)
      expect(await settle(client.call("ok"))).toEqual({ ok: true, value: 1 })
      await expectNoneEscaped()
    }, 20_000)
  }

  it("a well-formed `done` claim is still answered from the store (a Uint8Array reply too)", async () => {
    let runs = 0
    const store: OutcomeStore = { claim: (id) => ({ state: "done", reply: new Uint8Array(encodeReply(STATUS_OK, id, "remembered")) as Buffer }), finish: () => {} }
    const { client } = await serve({ ok: () => ++runs }, { store })
    expect(await settle(client.call("ok"))).toEqual({ ok: true, value: "remembered" })
    expect(runs).toBe(0)
  }, 20_000)
})

describe("F5: a store that hangs is bounded by storeTimeout", () => {
  it("after `concurrency` hung claims the server serves again once the store answers; calls in the hang are refused", async () => {
    let hanging = true
    const store: OutcomeStore = { claim: () => (hanging ? new Promise<Claim>(() => {}) : { state: "new" }), finish: () => {} }
    const { client, server } = await serve({ echo: (x: unknown) => x }, { store, concurrency: 2, storeTimeout: 200 })
    // Twice as many calls as REP sockets: each socket meets the hung store twice in a row.
    const during = await Promise.all([0, 1, 2, 3].map((i) => settle(client.call("echo", i))))
    for (const r of during) expect(r).toMatchObject({ ok: false, code: "ERR_RPC_UNAVAILABLE" })
    hanging = false
    expect(await Promise.all([5, 6].map((i) => settle(client.call("echo", i))))).toEqual([
      { ok: true, value: 5 },
      { ok: true, value: 6 },
    ])
    expect(server.stats.storeFailures).toBe(4)
    expect(server.stats.executions).toBe(2)
    await expectNoneEscaped()
  }, 30_000)

  it("a claim that answers `new` after storeTimeout is abandoned: the refused call never runs", async () => {
    let answer!: (c: Claim) => void
    let n = 0
    const store: OutcomeStore = {
      claim: () => (n++ === 0 ? new Promise<Claim>((r) => (answer = r)) : { state: "new" }),
      finish: () => {},
    }
    let runs = 0
    const { client } = await serve({ ok: () => ++runs }, { store, storeTimeout: 200 })
    expect(await settle(client.call("ok"))).toMatchObject({ ok: false, code: "ERR_RPC_UNAVAILABLE" })
    answer({ state: "new" })
    await sleep(20)
    expect(runs).toBe(0)
    expect(await settle(client.call("ok"))).toEqual({ ok: true, value: 1 })
  }, 20_000)

  it("a finish that hangs: the caller still gets its result, onError hears of it, and the socket serves again", async () => {
    const reported: unknown[] = []
    const store: OutcomeStore = { claim: () => ({ state: "new" }), finish: () => new Promise<void>(() => {}) }
    const { client } = await serve({ echo: (x: unknown) => x }, { store, storeTimeout: 200, onError: (e) => reported.push((e as { code?: unknown }).code) })
    expect(await settle(client.call("echo", "a"))).toEqual({ ok: true, value: "a" })
    expect(await settle(client.call("echo", "b"))).toEqual({ ok: true, value: "b" })
    expect(reported).toEqual(["ERR_RPC_UNAVAILABLE", "ERR_RPC_UNAVAILABLE"])
    await expectNoneEscaped()
  }, 20_000)

  it("storeTimeout is checked: a positive number of ms, or -1", () => {
    for (const bad of [0, -2, Number.NaN, Infinity, "5" as unknown as number]) {
      expect(() => new RpcServer({}, { storeTimeout: bad })).toThrow(expect.objectContaining({ code: "EINVAL" }))
    }
    expect(() => new RpcServer({}, { storeTimeout: -1 })).not.toThrow()
  })
})

describe("F6: the broker's memory knob", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it("Broker.start takes socketOptions for its ROUTER and DEALERs, over the RPC defaults", async () => {
    const routers = vi.spyOn(Router.prototype, "bind")
    const dealers = vi.spyOn(Dealer.prototype, "bind")
    track(await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", socketOptions: { receiveHighWaterMark: 50, sendHighWaterMark: 60, maxMessageSize: 4096 } }))
    const sockets = [...(routers.mock.contexts as Router[]), ...(dealers.mock.contexts as Dealer[])]
    expect(sockets).toHaveLength(2)
    for (const s of sockets) expect([s.receiveHighWaterMark, s.sendHighWaterMark, s.maxMessageSize, s.linger, s.heartbeatInterval]).toEqual([50, 60, 4096, 0, 1000])
  })

  it("a broker with maxMessageSize drops a client sending a larger request and serves the others", async () => {
    const b = track(await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", socketOptions: { maxMessageSize: 4096 } }))
    let runs = 0
    const server = track(new RpcServer({ echo: (x: unknown) => (runs++, x) }, { concurrency: 1 }))
    server.connect(b.backends.default!)
    const client = track(new RpcClient(b.frontend, { timeout: 1000, retries: 0 }))
    expect(await settle(client.call("echo", "small"))).toEqual({ ok: true, value: "small" })
    expect(await settle(client.call("echo", "x".repeat(10_000)))).toMatchObject({ ok: false, code: "ETIMEDOUT" })
    expect(await settle(client.call("echo", "small again"))).toEqual({ ok: true, value: "small again" })
    expect(runs).toBe(2)
  }, 20_000)
})
