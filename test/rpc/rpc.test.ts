/**
 * RPC semantics through the founding pipeline (RpcClient REQ pool -> Broker ROUTER/DEALER Proxy ->
 * RpcServer REPs over ipc): results, typed remote errors, timeouts, casts, concurrency, topics.
 */
import { describe, expect, it } from "vitest"
import { Broker, RemoteError, RpcClient, RpcError, RpcServer, TimeoutError } from "../../src/rpc/index.js"
import { Request } from "../../src/index.js"
import { decodeReply, decodeRequest, encodeRequest, KIND_CALL, PROTOCOL_VERSION, pack, unpack } from "../../src/rpc/protocol.js"
import { closeAfterEachAsync, ipcEndpoint, rig, sleep, type Rig } from "./helpers.js"

const track = closeAfterEachAsync()

class CodedError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
    this.name = "CodedError"
  }
}

const handlers = {
  echo: (p: unknown) => p,
  add: ([a, b]: [number, number]) => a + b,
  sleep: async (ms: number) => {
    await sleep(ms)
    return ms
  },
  fail: (msg: string) => {
    throw new CodedError(msg, "E_DEMO")
  },
  failAsync: async () => {
    await sleep(1)
    throw new TypeError("async boom")
  },
  nothing: () => undefined,
}

describe("call", () => {
  it("returns results of sync and async handlers, any msgpack value round-trips", async () => {
    const r = track(await rig(handlers))
    const c = track(new RpcClient(r.broker.frontend))
    expect(await c.call("add", [2, 3])).toBe(5)
    expect(await c.call("sleep", 5)).toBe(5)
    const value = { s: "héllo", n: -1.5, big: 2 ** 40, list: [1, "two", null, true], bin: Buffer.from([0, 255]), nested: { a: { b: [] } } }
    expect(await c.call("echo", value)).toEqual(value)
    // undefined params / results travel as nil (plain msgpack has no undefined).
    expect(await c.call("echo")).toBeNull()
    expect(await c.call("nothing")).toBeNull()
  })

  it("a handler's error comes back as RemoteError with its name, message and code", async () => {
    const r = track(await rig(handlers))
    const c = track(new RpcClient(r.broker.frontend))
    const err = await c.call("fail", "bad input").catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect(err).toBeInstanceOf(RpcError)
    expect(err).toMatchObject({ name: "RemoteError", remoteName: "CodedError", message: "bad input", code: "E_DEMO", remoteCode: "E_DEMO", method: "fail" })
    const err2 = await c.call("failAsync").catch((e: unknown) => e)
    expect(err2).toMatchObject({ remoteName: "TypeError", message: "async boom", code: "ERR_RPC_REMOTE", remoteCode: undefined })
    // The server is not harmed by errors: the next call works.
    expect(await c.call("add", [1, 1])).toBe(2)
    expect(r.servers[0]!.stats.failures).toBe(2)
  })

  it("an unknown method is a RemoteError ERR_RPC_NO_METHOD", async () => {
    const r = track(await rig(handlers))
    const c = track(new RpcClient(r.broker.frontend))
    await expect(c.call("nope")).rejects.toMatchObject({ name: "RemoteError", code: "ERR_RPC_NO_METHOD", remoteName: "RpcError" })
  })

  it("rejects with TimeoutError when no reply comes, and discards that socket (lazy pirate)", async () => {
    const r = track(await rig(handlers))
    const c = track(new RpcClient(r.broker.frontend, { timeout: 100 }))
    const err = await c.call("sleep", 400).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err).toMatchObject({ code: "ETIMEDOUT", method: "sleep", timeout: 100, attempts: 1 })
    expect(c.stats.socketsDiscarded).toBe(1)
    // The client carries on with a fresh socket, and the late reply is never taken for another call's.
    expect(await c.call("echo", "after")).toBe("after")
    await sleep(400)
    expect(await c.call("echo", "later")).toBe("later")
  })

  it("times out when nothing listens at the endpoint", async () => {
    const c = track(new RpcClient("tcp://127.0.0.1:1", { timeout: 100, retries: 1 }))
    await expect(c.call("echo", 1)).rejects.toMatchObject({ name: "TimeoutError", attempts: 2 })
  })

  it("rejects bad arguments and malformed endpoints with typed errors", async () => {
    expect(() => new RpcClient("bogus")).toThrow(expect.objectContaining({ code: "EINVAL" }))
    expect(() => new RpcClient("foo://127.0.0.1:5")).toThrow(expect.objectContaining({ code: "EPROTONOSUPPORT" }))
    // libzmq (zeromq.js) refuses udp for every socket type but RADIO and DISH.
    expect(() => new RpcClient("udp://127.0.0.1:5")).toThrow(expect.objectContaining({ code: "ENOCOMPATPROTO" }))
    const c = track(new RpcClient("tcp://127.0.0.1:1", { timeout: 100 }))
    await expect(c.call("")).rejects.toMatchObject({ code: "EINVAL" })
    await expect(c.call("x", 1, { timeout: -5 })).rejects.toMatchObject({ code: "EINVAL" })
    await expect(c.call("x", Symbol("not msgpack"))).rejects.toMatchObject({ code: "ERR_RPC_ENCODE" })
  })

  it("close() rejects calls still waiting with ERR_RPC_CLOSED", async () => {
    const c = new RpcClient("tcp://127.0.0.1:1", { timeout: 10_000 })
    const p = c.call("echo", 1)
    c.close()
    await expect(p).rejects.toMatchObject({ name: "RpcError", code: "ERR_RPC_CLOSED" })
    await expect(c.call("echo", 1)).rejects.toMatchObject({ code: "ERR_RPC_CLOSED" })
  })
})

describe("concurrency", () => {
  it("one client carries 300 concurrent calls; results never cross", async () => {
    const r = track(await rig(handlers, 2, { concurrency: 32 }))
    const c = track(new RpcClient(r.broker.frontend, { poolSize: 128 }))
    const n = 300
    const results = await Promise.all(Array.from({ length: n }, (_, i) => c.call("echo", { i, pad: "x".repeat(i) })))
    results.forEach((v, i) => expect(v).toEqual({ i, pad: "x".repeat(i) }))
    // No more sockets than the pool allows; calls beyond it waited their turn.
    expect(c.stats.socketsOpened).toBeLessThanOrEqual(128)
    // Both servers took part (the broker's DEALER round-robins over their REP sockets).
    for (const s of r.servers) expect(s.stats.executions).toBeGreaterThan(0)
  })

  it("at least 100 calls are in flight at once against slow handlers", async () => {
    let running = 0
    let peak = 0
    const r = track(
      await rig(
        {
          slow: async () => {
            running++
            peak = Math.max(peak, running)
            await sleep(200)
            running--
            return peak
          },
        },
        1,
        { concurrency: 128 },
      ),
    )
    const c = track(new RpcClient(r.broker.frontend, { poolSize: 128 }))
    // Warm the sockets up first so all 100 connections exist.
    await Promise.all(Array.from({ length: 100 }, () => c.call("slow")))
    peak = 0
    await Promise.all(Array.from({ length: 100 }, () => c.call("slow")))
    expect(peak).toBe(100)
  })
})

describe("cast", () => {
  it("resolves on the server's acknowledgement, before the handler finished", async () => {
    let release!: () => void
    const gate = new Promise<void>((res) => (release = res))
    const done: string[] = []
    const r = track(
      await rig({
        job: async (name: string) => {
          await gate
          done.push(name)
        },
      }),
    )
    const c = track(new RpcClient(r.broker.frontend))
    await c.cast("job", "a")
    // Acknowledged while the handler is still blocked on the gate.
    expect(done).toEqual([])
    release()
    await sleep(20)
    expect(done).toEqual(["a"])
  })

  it("a failing cast handler is reported to the server's onError, not to the caller", async () => {
    const seen: unknown[] = []
    const r = track(await rig(handlers, 1, { onError: (e, ctx) => seen.push([(e as Error).message, ctx.method, ctx.cast]) }))
    const c = track(new RpcClient(r.broker.frontend))
    await c.cast("fail", "quietly")
    await sleep(20)
    expect(seen).toEqual([["quietly", "fail", true]])
  })

  it("rejects for an unknown method, and on timeout", async () => {
    const r = track(await rig(handlers))
    const c = track(new RpcClient(r.broker.frontend))
    await expect(c.cast("nope")).rejects.toMatchObject({ code: "ERR_RPC_NO_METHOD" })
    const dead = track(new RpcClient("tcp://127.0.0.1:1", { timeout: 80 }))
    await expect(dead.cast("echo")).rejects.toBeInstanceOf(TimeoutError)
  })
})

describe("wire format", () => {
  it("requests carry the protocol version and a call id; a foreign version is refused", async () => {
    let seenId = ""
    const r = track(await rig({ who: (_p: unknown, ctx: { id: string }) => (seenId = ctx.id) }))
    const c = track(new RpcClient(r.broker.frontend))
    const id = await c.call("who")
    expect(id).toBe(seenId)
    // A hand-made request through a plain REQ: version 99 gets ERR_RPC_VERSION back, naming the id.
    const req = track(new Request({ linger: 0 }))
    req.connect(r.broker.frontend)
    await req.send(["default", pack([99, KIND_CALL, "x-1", "who", null])])
    const [body] = await req.receive()
    const reply = decodeReply(body!)
    expect(reply).toMatchObject({ version: PROTOCOL_VERSION, status: 1, id: "x-1" })
    expect(reply.payload).toMatchObject({ code: "ERR_RPC_VERSION" })
    // Not msgpack at all: still answered (a REP must reply), with ERR_RPC_PROTOCOL.
    await req.send(["default", Buffer.from([0xc1])])
    const [body2] = await req.receive()
    expect(unpack(body2!)).toMatchObject([PROTOCOL_VERSION, 1, "", { code: "ERR_RPC_PROTOCOL" }])
    // A well-formed request by hand works like the client's.
    await req.send(["default", encodeRequest(KIND_CALL, "x-2", "who", null)])
    expect(decodeReply((await req.receive())[0]!)).toMatchObject({ status: 0, id: "x-2", payload: "x-2" })
  })
})

describe("msgpack codec: plain msgpack only (the interop test checks it against msgpack-python)", () => {
  const hex = (v: unknown) => pack(v).toString("hex")
  it("writes undefined as nil, or leaves it out of an object, never as msgpackr's extension", () => {
    expect(hex({ a: 1, b: undefined })).toBe("81a16101")
    expect(hex([1, undefined])).toBe("9201c0")
    expect(hex(undefined)).toBe("c0")
    expect(hex(new Map([["u", undefined]]))).toBe("81a175c0")
    expect(hex({ x: [{ y: undefined }] })).toBe("81a1789180")
    expect(pack({ deep: [{ a: [undefined, { b: undefined }] }] }).includes(Buffer.from("d40000", "hex"))).toBe(false)
  })

  it("writes integers within ±2^53 as msgpack ints, never floats, without touching the caller's value", () => {
    expect(hex(2 ** 31)).toBe("ce80000000")
    expect(hex(-(2 ** 31))).toBe("d280000000")
    expect(hex(2 ** 32)).toBe("d30000000100000000")
    expect(hex(-(2 ** 31) - 1)).toBe("d3ffffffff7fffffff")
    expect(hex(2 ** 53)).toBe("d30020000000000000")
    expect(hex(-(2 ** 53))).toBe("d3ffe0000000000000")
    expect(hex(2 ** 53 + 2)).toBe("cb4340000000000001")
    expect(hex(1.5)).toBe("cb3ff8000000000000")
    expect(hex(-0)).toBe("00")
    const value = { list: [1, 2 ** 40, { n: -(2 ** 40) }], set: new Set([2 ** 33]), map: new Map([[2 ** 34, 2 ** 35]]), keep: "x" }
    const before = structuredClone(value)
    expect(unpack(pack(value))).toEqual({ list: [1, 2 ** 40, { n: -(2 ** 40) }], set: [2 ** 33], map: { [2 ** 34]: 2 ** 35 }, keep: "x" })
    expect(value).toEqual(before)
    // A value with nothing to change is encoded as it is (copy on write).
    expect(hex({ a: [1, "b", null, true] })).toBe("81a1619401a162c0c3")
  })

  it("reads 64-bit ints as numbers while exact and as BigInt beyond, and refuses foreign extensions", () => {
    expect(unpack(Buffer.from("cf0020000000000000", "hex"))).toBe(2 ** 53)
    expect(unpack(Buffer.from("cf0020000000000001", "hex"))).toBe(2n ** 53n + 1n)
    expect(unpack(Buffer.from("d38000000000000000", "hex"))).toBe(-(2n ** 63n))
    expect(hex(unpack(Buffer.from("cfffffffffffffffff", "hex")))).toBe("cfffffffffffffffff")
    expect(() => unpack(Buffer.from("d4050a", "hex"))).toThrow()
    expect(() => unpack(Buffer.from("8192010203", "hex"))).toThrow()
    expect(() => pack(2n ** 64n)).toThrow()
    // A request with a foreign extension in its params is refused as a protocol error, with its id.
    const body = Buffer.concat([Buffer.from("9501", "hex"), Buffer.from([0x00]), pack("x-9"), pack("m"), Buffer.from("d4050a", "hex")])
    expect(() => decodeRequest(body)).toThrow(expect.objectContaining({ code: "ERR_RPC_PROTOCOL" }))
  })
})

describe("topics", () => {
  it("one broker serves several topics, each with its own backend and servers", async () => {
    const broker = track(await Broker.start({ frontend: "tcp://127.0.0.1:*", topics: { default: ipcEndpoint(), math: ipcEndpoint(), text: ipcEndpoint() } }))
    expect(Object.keys(broker.backends)).toEqual(["default", "math", "text"])
    const def = track(new RpcServer({ where: () => "default" }))
    const math = track(new RpcServer({ where: () => "math", add: ([a, b]: number[]) => a! + b! }, { topic: "math" }))
    const text = track(new RpcServer({ where: () => "text", upper: (s: string) => s.toUpperCase() }, { topic: "text" }))
    def.connect(broker.backends.default!)
    math.connect(broker.backends.math!)
    text.connect(broker.backends.text!)
    const c = track(new RpcClient(broker.frontend))
    expect(await c.call("where")).toBe("default")
    expect(await c.call("where", null, { topic: "math" })).toBe("math")
    expect(await c.call("add", [20, 22], { topic: "math" })).toBe(42)
    expect(await c.call("upper", "abc", { topic: "text" })).toBe("ABC")
    const tc = track(new RpcClient(broker.frontend, { topic: "text" }))
    expect(await tc.call("where")).toBe("text")
    // A topic nobody serves reaches the default topic's server, which refuses it by name.
    await expect(c.call("where", null, { topic: "nope" })).rejects.toMatchObject({ code: "ERR_RPC_TOPIC" })
  })

  it("a topic without servers does not hold up the others", async () => {
    const broker = track(await Broker.start({ frontend: "tcp://127.0.0.1:*", topics: { default: ipcEndpoint(), idle: ipcEndpoint() } }))
    const def = track(new RpcServer(handlers))
    def.connect(broker.backends.default!)
    const c = track(new RpcClient(broker.frontend, { timeout: 200 }))
    const stuck = c.call("echo", 1, { topic: "idle" }).catch((e: unknown) => e)
    expect(await c.call("echo", 2)).toBe(2)
    // No server is connected for "idle": the broker refuses at once (issue 20 review, F1).
    expect(await stuck).toMatchObject({ name: "RemoteError", code: "ERR_RPC_UNAVAILABLE" })
  })

  it("with one topic every request reaches its server, which refuses a topic it does not serve", async () => {
    const r: Rig = track(await rig(handlers))
    const c = track(new RpcClient(r.broker.frontend))
    await expect(c.call("echo", 1, { topic: "other" })).rejects.toMatchObject({ code: "ERR_RPC_TOPIC" })
    const any = track(new RpcServer(handlers, { topic: "*" }))
    const b2 = track(await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: ipcEndpoint() }))
    any.connect(b2.backends.default!)
    const c2 = track(new RpcClient(b2.frontend))
    expect(await c2.call("echo", 3, { topic: "whatever" })).toBe(3)
  })
})

describe("broker", () => {
  it("reports EADDRINUSE and leaves nothing bound", async () => {
    const b = track(await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: ipcEndpoint() }))
    await expect(Broker.start({ frontend: b.frontend, backend: ipcEndpoint() })).rejects.toMatchObject({ code: "EADDRINUSE" })
    await expect(Broker.start({ frontend: "tcp://127.0.0.1:*" })).rejects.toMatchObject({ code: "EINVAL" })
  })
})
