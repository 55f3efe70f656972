/**
 * The founding use case against libzmq (zmtp RPC, issue 7):
 *
 * 1. libzmq REQ clients and REP servers work through the zmtp Broker (ROUTER frontend on tcp, DEALER
 *    backend on ipc, forwarding with zmtp's Proxy): plain frames, and the RPC wire format spoken by
 *    a libzmq REQ to a zmtp RpcServer and by a libzmq REP to a zmtp RpcClient.
 * 2. zmtp's RpcClient (REQ pool) and RpcServer (REP sockets) work through libzmq's zmq_proxy
 *    (ROUTER/DEALER): results, remote errors, casts, 200 concurrent calls, and retries that the
 *    server deduplicates.
 *
 * The RPC layer exists only in zmtp, so these tests always exercise zmtp's RPC, whatever
 * INTEROP_SUBJECT says; the libzmq side is pyzmq's or zeromq.js's, as everywhere in interop/.
 */
import { expect, test } from "vitest"
import { Broker, RemoteError, RpcClient, RpcServer } from "../src/rpc/index.js"
import { DEFAULT_TOPIC, KIND_CALL, STATUS_OK, decodeReply, encodeReply, encodeRequest, unpack } from "../src/rpc/protocol.js"
import type { PeerProxy } from "./peers.js"
import { bindEndpoint, describeEachPeer, within } from "./subject.js"

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

describeEachPeer("rpc", (peer, peerName) => {
  test(`${peerName} REQ -> zmtp broker (tcp -> ipc) -> ${peerName} REP: frames and envelopes pass untouched`, async () => {
    const broker = await Broker.start({ frontend: bindEndpoint("tcp"), backend: bindEndpoint("ipc") })
    try {
      const rep = await peer().socket("REP")
      await rep.connect(broker.backends.default!)
      const reqs = [await peer().socket("REQ"), await peer().socket("REQ")]
      for (const r of reqs) await r.connect(broker.frontend)
      for (let i = 0; i < 10; i++) {
        for (const [c, req] of reqs.entries()) {
          const frames = [Buffer.from(`client ${c} request ${i}`), Buffer.alloc(0), Buffer.alloc(300, i)]
          await req.send(frames)
          // The REP sees exactly what the REQ sent: the broker's envelope is stripped again by REP.
          expect(await rep.receive()).toEqual(frames)
          await rep.send([Buffer.from(`reply ${c}/${i}`)])
          expect((await req.receive()).map(String)).toEqual([`reply ${c}/${i}`])
        }
      }
    } finally {
      await broker.close()
    }
  })

  test(`${peerName} REQ speaks the RPC format to a zmtp RpcServer through the zmtp broker`, async () => {
    const broker = await Broker.start({ frontend: bindEndpoint("tcp"), backend: bindEndpoint("ipc") })
    const server = new RpcServer({ add: ([a, b]: number[]) => a! + b!, boom: () => Promise.reject(new RangeError("too far")) })
    server.connect(broker.backends.default!)
    // The broker refuses at once while its topic has no server connected (ERR_RPC_UNAVAILABLE, which
    // RpcClient resends and a plain REQ does not), so the server is known connected first: one call
    // through an RpcClient (a runtime matrix run under Deno sent the pyzmq request before it was).
    const warm = new RpcClient(broker.frontend, { timeout: 5000 })
    try {
      expect(await warm.call("add", [1, 1])).toBe(2)
    } finally {
      await warm.close()
    }
    try {
      const req = await peer().socket("REQ")
      await req.connect(broker.frontend)
      // A request is [topic, msgpack [version, kind, id, method, params]]: any msgpack library can make one.
      await req.send([Buffer.from(DEFAULT_TOPIC), encodeRequest(KIND_CALL, "libzmq-1", "add", [40, 2])])
      const [body] = await req.receive()
      expect(decodeReply(body!)).toMatchObject({ status: STATUS_OK, id: "libzmq-1", payload: 42 })
      await req.send([Buffer.from(DEFAULT_TOPIC), encodeRequest(KIND_CALL, "libzmq-2", "boom", null)])
      const reply = decodeReply((await req.receive())[0]!)
      expect(reply).toMatchObject({ status: 1, id: "libzmq-2", payload: { name: "RangeError", message: "too far" } })
    } finally {
      await server.close()
      await broker.close()
    }
  })

  test(`zmtp RpcClient -> zmtp broker -> ${peerName} REP answering in the RPC format`, async () => {
    const broker = await Broker.start({ frontend: bindEndpoint("tcp"), backend: bindEndpoint("ipc") })
    const client = new RpcClient(broker.frontend, { timeout: 5000 })
    try {
      const rep = await peer().socket("REP")
      await rep.connect(broker.backends.default!)
      const pending = client.call("upper", "hello")
      const [topic, body] = await rep.receive()
      expect(topic!.toString()).toBe(DEFAULT_TOPIC)
      const [version, kind, id, method, params] = unpack(body!) as [number, number, string, string, string]
      expect([version, kind, method, params]).toEqual([1, KIND_CALL, "upper", "hello"])
      await rep.send([encodeReply(STATUS_OK, id, params.toUpperCase())])
      expect(await pending).toBe("HELLO")
    } finally {
      client.close()
      await broker.close()
    }
  })

  test(`zmtp RpcClient -> ${peerName} zmq_proxy (ROUTER tcp / DEALER ipc) -> zmtp RpcServers`, async () => {
    let proxy: PeerProxy | undefined
    const executions = new Map<string, number>()
    const handlers = {
      echo: (v: unknown) => v,
      fail: () => {
        throw Object.assign(new Error("nope"), { code: "E_NOPE" })
      },
      slow: async (_: unknown, ctx: { id: string }) => {
        executions.set(ctx.id, (executions.get(ctx.id) ?? 0) + 1)
        await sleep(250)
        return "slow done"
      },
    }
    const servers = [new RpcServer(handlers, { concurrency: 8 }), new RpcServer(handlers, { concurrency: 8 })]
    let client: RpcClient | undefined
    try {
      proxy = await peer().proxy(bindEndpoint("tcp"), bindEndpoint("ipc"))
      for (const s of servers) s.connect(proxy.backend)
      client = new RpcClient(proxy.frontend, { timeout: 5000 })
      const c = client
      const values = await within(
        20_000,
        "200 concurrent calls",
        Promise.all(Array.from({ length: 200 }, (_, i) => c.call("echo", { i, s: "é".repeat(i % 7) }))),
      )
      values.forEach((v, i) => expect(v).toEqual({ i, s: "é".repeat(i % 7) }))
      for (const s of servers) expect(s.stats.executions).toBeGreaterThan(0)
      const err = await c.call("fail").catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RemoteError)
      expect(err).toMatchObject({ remoteName: "Error", message: "nope", code: "E_NOPE" })
      await c.cast("echo", "fire and forget")
      // Retries through libzmq: the first attempt outlives its 100 ms timeout, the retry carries the
      // same id. Each attempt may reach either server (the proxy's DEALER round-robins), so
      // deduplication is checked with a single server connected.
      servers[1]!.close()
      await sleep(50)
      expect(await c.call("slow", null, { timeout: 100, retries: 10 })).toBe("slow done")
      expect([...executions.values()]).toEqual([1])
    } finally {
      client?.close()
      for (const s of servers) await s.close()
      await proxy?.stop()
    }
  })
})
