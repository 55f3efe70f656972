/**
 * The broker under a topic that cannot keep up (issue 14, item 8): a request for a topic over its
 * limit is refused at once with a typed RPC error, the frontend never waits on one backend, and a
 * request that no server took in time is refused rather than delivered late.
 *
 * The flood comes from one raw DEALER (REQ-style envelope ["", topic, body]) rather than from an
 * RpcClient, so that well over 1,000 requests can wait at the broker over a single connection.
 */
import { describe, expect, it } from "vitest"
import { Dealer } from "../../src/index.js"
import { Broker, RpcClient, RpcServer } from "../../src/rpc/index.js"
import { KIND_CALL, STATUS_ERROR, STATUS_OK, decodeReply, encodeRequest, pack, peekCallId } from "../../src/rpc/protocol.js"
import { closeAfterEachAsync, ipcEndpoint, sleep } from "./helpers.js"

const track = closeAfterEachAsync()

/** A DEALER speaking to the broker's ROUTER as a REQ would: ["", topic, body] out, ["", body] back. */
async function flooder(frontend: string): Promise<Dealer> {
  const d = track(new Dealer({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000, receiveTimeout: 20_000 }))
  d.connect(frontend)
  return d
}

async function sendRequests(d: Dealer, topic: string, ids: string[]): Promise<void> {
  // Awaited one by one: each resolves once queued, so nothing piles up in the DEALER itself.
  for (const id of ids) await d.send(["", topic, encodeRequest(KIND_CALL, id, "echo", id)])
}

/** Reads `n` replies; returns them by call id (ids must differ). */
async function replies(d: Dealer, n: number): Promise<Map<string, { status: number; payload: unknown }>> {
  const byId = new Map<string, { status: number; payload: unknown }>()
  for (const r of await replyList(d, n)) {
    expect(byId.has(r.id)).toBe(false)
    byId.set(r.id, { status: r.status, payload: r.payload })
  }
  return byId
}

async function replyList(d: Dealer, n: number): Promise<{ id: string; status: number; payload: unknown }[]> {
  const list: { id: string; status: number; payload: unknown }[] = []
  for (let i = 0; i < n; i++) {
    const [delimiter, body, ...rest] = await d.receive()
    expect(delimiter!.length).toBe(0)
    expect(rest).toEqual([])
    list.push(decodeReply(body!))
  }
  return list
}

const ids = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`)

describe("broker: one topic without servers", () => {
  it("refuses requests over the topic's limit at once with ERR_RPC_UNAVAILABLE while healthy topics keep answering", async () => {
    // pendingTimeout -1: only the limit refuses here (the timeout has its own test below).
    const broker = track(
      await Broker.start({ frontend: "tcp://127.0.0.1:*", topics: { default: ipcEndpoint(), idle: ipcEndpoint() }, pendingTimeout: -1 }),
    )
    const healthy = track(new RpcServer({ echo: (v: unknown) => v }, { concurrency: 8 }))
    healthy.connect(broker.backends.default!)
    const client = track(new RpcClient(broker.frontend, { timeout: 20_000, poolSize: 32 }))
    expect(await client.call("echo", "warm")).toBe("warm")

    const d = await flooder(broker.frontend)
    // 1,000 may wait for a server of "idle" (the default limit); the next 300 are refused at once.
    await sendRequests(d, "idle", ids("idle", 0, 1300))
    // Healthy calls complete while "idle" is over its limit.
    expect(await Promise.all(Array.from({ length: 100 }, (_, i) => client.call("echo", i)))).toEqual(Array.from({ length: 100 }, (_, i) => i))
    const refused = await replies(d, 300)
    expect([...refused.keys()].sort()).toEqual(ids("idle", 1000, 1300).sort())
    for (const r of refused.values()) {
      expect(r.status).toBe(STATUS_ERROR)
      expect(r.payload).toMatchObject({ name: "RpcError", code: "ERR_RPC_UNAVAILABLE" })
    }

    // ... and while it is still being flooded.
    const calls = Promise.all(Array.from({ length: 300 }, (_, i) => client.call("echo", i)))
    await sendRequests(d, "idle", ids("more", 0, 500))
    expect(await calls).toEqual(Array.from({ length: 300 }, (_, i) => i))
    const refusedMore = await replies(d, 500)
    expect([...refusedMore.keys()].sort()).toEqual(ids("more", 0, 500).sort())
    for (const r of refusedMore.values()) expect(r.payload).toMatchObject({ code: "ERR_RPC_UNAVAILABLE" })
    expect(broker.statistics.refused).toBe(800)

    // The 1,000 that waited were neither lost nor refused: a server for "idle" answers every one.
    const late = track(new RpcServer({ echo: (v: unknown) => v }, { topic: "idle", concurrency: 8 }))
    late.connect(broker.backends.idle!)
    const served = await replies(d, 1000)
    expect([...served.keys()].sort()).toEqual(ids("idle", 0, 1000).sort())
    for (const [id, r] of served) expect(r).toEqual({ status: STATUS_OK, payload: id })
  }, 90_000)

  it("a single-topic broker refuses over its limit too (a typed error for an RPC request, id '' for one it cannot read)", async () => {
    const broker = track(await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: ipcEndpoint(), pendingLimit: 10, pendingTimeout: -1 }))
    const d = await flooder(broker.frontend)
    await sendRequests(d, "default", ids("r", 0, 15))
    // A body that is not an RPC request (not even msgpack): refused with an empty call id, as a server would answer it.
    await d.send(["", "default", Buffer.from([0xc1])])
    // msgpack, but not our array: the same.
    await d.send(["", "default", pack({ hello: 1 })])
    const refused = await replyList(d, 7)
    expect(refused.map((r) => r.id).sort()).toEqual(["", "", ...ids("r", 10, 15)].sort())
    for (const r of refused) expect(r).toMatchObject({ status: STATUS_ERROR, payload: { code: "ERR_RPC_UNAVAILABLE" } })
    expect(broker.statistics.refused).toBe(7)
  })

  it("refuses a request that no server took within pendingTimeout; a server that comes later never sees it", async () => {
    const broker = track(await Broker.start({ frontend: "tcp://127.0.0.1:*", topics: { default: ipcEndpoint(), idle: ipcEndpoint() }, pendingTimeout: 100 }))
    const d = await flooder(broker.frontend)
    await sendRequests(d, "idle", ids("stale", 0, 5))
    const refused = await replies(d, 5)
    expect([...refused.keys()].sort()).toEqual(ids("stale", 0, 5))
    for (const r of refused.values()) expect(r.payload).toMatchObject({ name: "RpcError", code: "ERR_RPC_UNAVAILABLE" })
    // The server that starts now gets only the fresh call, not the stranded ones.
    const seen: string[] = []
    const late = track(new RpcServer({ echo: (v: string) => (seen.push(v), v) }, { topic: "idle", concurrency: 2 }))
    late.connect(broker.backends.idle!)
    const client = track(new RpcClient(broker.frontend, { timeout: 20_000, topic: "idle" }))
    // Until the server's sockets are connected, a fresh call may itself wait out the 100 ms and be refused.
    let answer: unknown
    for (let attempt = 0; attempt < 100 && answer === undefined; attempt++) {
      answer = await client.call("echo", "fresh").catch((e: { code?: string }) => {
        if (e.code !== "ERR_RPC_UNAVAILABLE") throw e
        return sleep(20).then(() => undefined)
      })
    }
    expect(answer).toBe("fresh")
    expect(seen).toEqual(["fresh"])
    expect(late.stats.requests).toBe(1)
  })

  it("rejects bad limits with EINVAL", async () => {
    await expect(Broker.start({ frontend: "tcp://127.0.0.1:*", backend: ipcEndpoint(), pendingLimit: 0 })).rejects.toMatchObject({ code: "EINVAL" })
    await expect(Broker.start({ frontend: "tcp://127.0.0.1:*", backend: ipcEndpoint(), pendingTimeout: -2 })).rejects.toMatchObject({ code: "EINVAL" })
  })
})

describe("peekCallId", () => {
  it("reads the call id of any msgpack encoding of [version, kind, id, ...] and gives '' for anything else", () => {
    for (const len of [0, 1, 31, 32, 255, 256, 70_000]) {
      const id = "é".repeat(len >> 1) + "x".repeat(len & 1)
      expect(peekCallId(encodeRequest(KIND_CALL, id, "m", { big: Buffer.alloc(1000) }))).toBe(id)
    }
    // array16, version and kind as uint8 / int64, id as str8: legal msgpack another library may write.
    expect(peekCallId(Buffer.from("dc0005cc01d30000000000000000d903616263c0c0", "hex"))).toBe("abc")
    expect(peekCallId(Buffer.from("dd000000050100a3616263c0c0", "hex"))).toBe("abc")
    for (const hex of ["", "c1", "92010a", "9301", "930100", "930100a5616263", "930100c0", "930100cf01", "81a16101", "a3616263"]) {
      expect(peekCallId(Buffer.from(hex, "hex"))).toBe("")
    }
  })
})
