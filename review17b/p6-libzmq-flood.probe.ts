// Floods across libzmq: zmtp Push -> two libzmq Pulls (one never reads); libzmq Push -> a zmtp Pull that never reads.
import { describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import { Push, Pull } from "../src/index.js"
import { closeAll, sleep } from "../test/helpers.js"

describe("libzmq floods", () => {
  for (const tr of ["tcp", "ipc"]) it(`${tr}: zmtp Push -> libzmq Pull (stuck) + libzmq Pull (reading)`, async () => {
    const push = new Push({ sendHighWaterMark: 5 })
    await push.bind(tr === "tcp" ? "tcp://127.0.0.1:*" : `ipc:///tmp/r17b-${process.pid}.sock`)
    const stuck = new zmq.Pull({ receiveHighWaterMark: 5, linger: 0 })
    const reader = new zmq.Pull({ linger: 0 })
    stuck.connect(push.lastEndpoint!); reader.connect(push.lastEndpoint!)
    let hs = 0; push.events.on("handshake", () => hs++)
    while (hs < 2) await sleep(10)
    const N = 1500, body = Buffer.alloc(64 * 1024)
    const sends: Promise<void>[] = []
    for (let i = 0; i < N; i++) { const h = Buffer.alloc(4); h.writeUInt32BE(i); sends.push(push.send([h, body])) }
    const got: number[] = []
    reader.receiveTimeout = 1000
    try { for (;;) { const [h, b] = await reader.receive(); expect(b!.length).toBe(body.length); got.push(h!.readUInt32BE(0)) } } catch {}
    let resolved = 0; await Promise.race([Promise.all(sends.map((p) => p.then(() => resolved++))), sleep(500)])
    const ab = process.memoryUsage().arrayBuffers >> 20
    console.log(tr, "reader got", got.length, "resolved", resolved, "arrayBuffers MB", ab)
    for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThan(got[i - 1]!)
    stuck.receiveTimeout = 1000
    const got2: number[] = []
    try { for (;;) { const [h] = await stuck.receive(); got2.push(h!.readUInt32BE(0)) } } catch {}
    console.log("stuck got", got2.length)
    expect(new Set([...got, ...got2]).size).toBe(N)
    expect(got.length + got2.length).toBe(N)
    closeAll(push); stuck.close(); reader.close()
  })
  it("libzmq Push -> zmtp Pull that never reads: bounded", async () => {
    const pull = new Pull({ receiveHighWaterMark: 5 })
    await pull.bind("tcp://127.0.0.1:*")
    const push = new zmq.Push({ sendHighWaterMark: 5, sendTimeout: 1500, linger: 0 })
    push.connect(pull.lastEndpoint!)
    const body = Buffer.alloc(64 * 1024)
    const base = process.memoryUsage().arrayBuffers
    let n = 0
    try { for (; n < 5000; n++) await push.send(body) } catch (e) { console.log("stopped", (e as any).code) }
    const grow = (process.memoryUsage().arrayBuffers - base) >> 20
    console.log("libzmq sent", n, "zmtp arrayBuffers growth MB", grow)
    expect(n).toBeLessThan(5000)
    let r = 0; pull.receiveTimeout = 1000
    try { for (;;) { await pull.receive(); r++ } } catch {}
    console.log("then received", r)
    expect(r).toBe(n)
    closeAll(pull); push.close()
  })
})
