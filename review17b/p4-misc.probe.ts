// Linger to a not-yet-connected peer, Pull restart mid-burst, conflate, sendTimeout, buffers, trickle, ZMTP 3.0.
import { describe, expect, it } from "vitest"
import { Push, Pull } from "../src/index.js"
import { closeAll, freeTcpPort, sleep } from "../test/helpers.js"
import { RawPeer, greeting, ready, message } from "../spec-tests/wire/raw-peer.js"

const msgs = async (p: Pull, ms = 300) => {
  const out: Buffer[][] = []
  p.receiveTimeout = ms
  try { for (;;) out.push(await p.receive()) } catch {}
  p.receiveTimeout = -1
  return out
}

describe("misc", () => {
  it("linger: Push closes with messages queued for a peer not yet there; peer binds within linger", async () => {
    const port = await freeTcpPort(); const ep = `tcp://127.0.0.1:${port}`
    const push = new Push({ linger: 3000, reconnectInterval: 20 })
    push.connect(ep)
    for (let i = 0; i < 5; i++) await push.send(String(i))
    push.close()
    await sleep(200)
    const pull = new Pull(); await pull.bind(ep)
    const got = (await msgs(pull, 1000)).map((m) => m[0]!.toString())
    console.log("linger got", got)
    expect(got).toEqual(["0", "1", "2", "3", "4"])
    closeAll(pull)
  })
  it("Pull restarts mid-burst (connect-side Push): order kept, no duplicate", async () => {
    const port = await freeTcpPort(); const ep = `tcp://127.0.0.1:${port}`
    let pull = new Pull(); await pull.bind(ep)
    const push = new Push({ reconnectInterval: 10, sendHighWaterMark: 50 })
    push.connect(ep)
    const N = 1500
    const big = Buffer.alloc(64 * 1024)
    const done = (async () => { for (let i = 0; i < N; i++) await push.send([String(i), big]) })()
    const got: number[] = []
    for (let k = 0; k < 3; k++) {
      pull.receiveTimeout = 300
      try { for (let j = 0; j < 500; j++) got.push(+(await pull.receive())[0]!.toString()) } catch {}
      pull.linger = 0; pull.close(); await sleep(50)
      pull = new Pull(); await pull.bind(ep)
    }
    pull.receiveTimeout = 1000
    try { for (;;) got.push(+(await pull.receive())[0]!.toString()) } catch {}
    await done
    console.log("restart got", got.length, "lost", N - got.length)
    for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThan(got[i - 1]!)
    expect(got[got.length - 1]).toBe(N - 1)
    closeAll(pull, push)
  })
  it("conflate Push: multipart whole, newest only, never waits, sendTimeout 0", async () => {
    const port = await freeTcpPort(); const ep = `tcp://127.0.0.1:${port}`
    const push = new Push({ conflate: true, sendTimeout: 0, sendHighWaterMark: 1 })
    push.connect(ep)
    for (let i = 0; i < 100; i++) await push.send(["a" + i, Buffer.alloc(300, i), "c" + i])
    const pull = new Pull(); await pull.bind(ep)
    const got = await msgs(pull, 800)
    console.log("conflate got", got.map((m) => m.map((f) => f.length)))
    expect(got.length).toBe(1)
    expect(got[0]![0]!.toString()).toBe("a99")
    expect(got[0]![2]!.toString()).toBe("c99")
    closeAll(pull, push)
  })
  it("conflate Pull with multipart and HWM 1", async () => {
    const pull = new Pull({ conflate: true, receiveHighWaterMark: 1 }); await pull.bind("tcp://127.0.0.1:*")
    const push = new Push(); push.connect(pull.lastEndpoint!)
    for (let i = 0; i < 1000; i++) await push.send(["x" + i, "y" + i])
    await sleep(300)
    const got = await msgs(pull)
    console.log("pull conflate", got.map((m) => m.map(String)))
    expect(got).toEqual([[Buffer.from("x999"), Buffer.from("y999")]])
    closeAll(pull, push)
  })
  it("sendTimeout positive: EAGAIN at HWM, then later sends go in order", async () => {
    const port = await freeTcpPort(); const ep = `tcp://127.0.0.1:${port}`
    const push = new Push({ sendHighWaterMark: 2, sendTimeout: 50 })
    push.connect(ep)
    const r = await Promise.allSettled([0, 1, 2, 3].map((i) => push.send(String(i))))
    console.log(r.map((x) => x.status === "rejected" ? (x.reason as any).code : "ok"))
    expect(r.map((x) => x.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected"])
    const pull = new Pull(); await pull.bind(ep)
    await sleep(300)
    await push.send("4")
    expect((await msgs(pull, 500)).map((m) => m[0]!.toString())).toEqual(["0", "1", "4"])
    closeAll(pull, push)
  })
  it("buffer reuse: small frames are copied whether sent at once or queued", async () => {
    const port = await freeTcpPort(); const ep = `tcp://127.0.0.1:${port}`
    const push = new Push({ sendHighWaterMark: 2 })
    push.connect(ep)
    const b = Buffer.alloc(100)
    const ps: Promise<void>[] = []
    for (let i = 0; i < 6; i++) { b.fill(i); ps.push(push.send(b)) }
    b.fill(0xee)
    const pull = new Pull(); await pull.bind(ep)
    await Promise.all(ps)
    b.fill(0xdd)
    const got = await msgs(pull, 500)
    expect(got.map((m) => m[0]![50])).toEqual([0, 1, 2, 3, 4, 5])
    closeAll(pull, push)
  })
  for (const minor of [0, 1]) {
    it(`raw ZMTP 3.${minor} PUSH trickling 1 byte at a time into a Pull, and a 3.${minor} PULL reading from a Push`, async () => {
      const pull = new Pull(); await pull.bind("tcp://127.0.0.1:*")
      const raw = await RawPeer.connect(pull.lastEndpoint!)
      await raw.sendByteByByte(Buffer.concat([greeting({ minor }), ready({ "Socket-Type": "PUSH" }), message(["hello", Buffer.alloc(300, 7)]), message(["x"])]), 0)
      const got = await msgs(pull, 1000)
      expect(got.map((m) => m[0]!.toString())).toEqual(["hello", "x"])
      expect(got[0]![1]!.length).toBe(300)
      raw.destroy()
      const push = new Push(); await push.bind("tcp://127.0.0.1:*")
      const r2 = await RawPeer.connect(push.lastEndpoint!)
      await r2.send(greeting({ minor }), ready({ "Socket-Type": "PULL" }))
      const g = await r2.readGreeting()
      const c = await r2.readCommand()
      expect(c.name).toBe("READY")
      await push.send(["a", "b"])
      expect(await r2.readMessageStrs()).toEqual(["a", "b"])
      r2.destroy()
      closeAll(pull, push)
    })
  }
})
