// Re-entrancy through synchronous `events` listeners and receive resolutions.
import { describe, expect, it } from "vitest"
import { Push, Pull, Pair } from "../src/index.js"
import { closeAll, sleep, until, within } from "../test/helpers.js"

const msgs = async (p: Pull | Pair, ms = 300) => {
  const out: string[] = []
  p.receiveTimeout = ms
  try { for (;;) out.push((await p.receive())[0]!.toString()) } catch {}
  return out
}

describe("re-entrancy", () => {
  it("Push: a disconnect listener that sends: every message reaches the remaining Pull", async () => {
    const push = new Push()
    await push.bind("tcp://127.0.0.1:*")
    const a = new Pull(), b = new Pull()
    a.connect(push.lastEndpoint!); b.connect(push.lastEndpoint!)
    let hs = 0
    push.events.on("handshake", () => hs++)
    await until(() => hs === 2)
    const sent: Promise<void>[] = []
    push.events.on("disconnect", () => { for (let i = 0; i < 10; i++) sent.push(push.send(`m${i}`)) })
    a.linger = 0; a.close()
    await until(() => sent.length === 10)
    await Promise.all(sent)
    const got = await msgs(b)
    console.log("got", got)
    expect(got.length).toBe(10)
    closeAll(push, b)
  })
  it("Pair: a disconnect listener that sends: the message waits for the next peer", async () => {
    const pair = new Pair()
    await pair.bind("tcp://127.0.0.1:*")
    const a = new Pair()
    a.connect(pair.lastEndpoint!)
    let hs = 0
    pair.events.on("handshake", () => hs++)
    await until(() => hs === 1)
    let sent: Promise<void> | undefined
    pair.events.on("disconnect", () => { sent = pair.send("after") })
    a.linger = 0; a.close()
    await until(() => sent !== undefined)
    const b = new Pair(); b.connect(pair.lastEndpoint!)
    const got = await msgs(b, 1000)
    console.log("pair got", got)
    expect(got).toEqual(["after"])
    closeAll(pair, b)
  })
  it("Push: a handshake listener that sends: the message arrives", async () => {
    const push = new Push()
    await push.bind("tcp://127.0.0.1:*")
    push.events.on("handshake", () => { void push.send("hello") })
    const a = new Pull(); a.connect(push.lastEndpoint!)
    expect(await msgs(a, 1000)).toEqual(["hello"])
    closeAll(push, a)
  })
  it("Push (connect side): connect listener that closes; handshake listener that closes", async () => {
    const pull = new Pull()
    await pull.bind("tcp://127.0.0.1:*")
    for (const ev of ["connect", "handshake"] as const) {
      const push = new Push()
      const p = push.send("x")
      push.events.on(ev, () => push.close())
      push.connect(pull.lastEndpoint!)
      await within(p.then(() => "ok", (e) => e.code), 2000).then((r) => console.log(ev, r))
      await sleep(100)
      expect(push.closed).toBe(true)
    }
    console.log("pull got", await msgs(pull))
    closeAll(pull)
  })
  it("Pull: close inside for-await body while messages keep arriving", async () => {
    const pull = new Pull()
    await pull.bind("tcp://127.0.0.1:*")
    const push = new Push(); push.connect(pull.lastEndpoint!)
    for (let i = 0; i < 1000; i++) void push.send(String(i))
    let n = 0
    for await (const [m] of pull) { n++; if (m!.toString() === "10") pull.close() }
    expect(n).toBe(11)
    closeAll(push)
  })
  it("Pull: receive resolution sends on another Push and closes", async () => {
    const pull = new Pull(); await pull.bind("tcp://127.0.0.1:*")
    const push = new Push(); push.connect(pull.lastEndpoint!)
    for (let i = 0; i < 100; i++) void push.send(String(i))
    const got: string[] = []
    const r = (async () => { for (;;) { const [m] = await pull.receive(); got.push(m!.toString()); if (got.length === 50) { push.close(); } } })()
    await sleep(500)
    console.log("got", got.length)
    closeAll(pull)
    await r.catch(() => {})
  })
})
