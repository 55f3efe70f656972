/**
 * Adversarial review of issue 17 (Push, Pull, Pair): each test here failed on the code as it was
 * handed over (see the commit that added it, before the fix). The probe scripts that found them are
 * in review17b/ (`npx vitest run -c review17b/vitest.config.ts`).
 */
import { describe, expect, it } from "vitest"
import { Pair, Pull, Push } from "../../src/index.js"
import { closeAfterEach, until } from "../helpers.js"

const track = closeAfterEach()

/** Everything `s` receives until it has been quiet for `ms`. */
async function drain(s: Pull | Pair, ms: number): Promise<string[]> {
  const out: string[] = []
  s.receiveTimeout = ms
  try {
    for (;;) out.push((await s.receive())[0]!.toString())
  } catch (e) {
    expect((e as { code?: string }).code).toBe("EAGAIN")
  }
  s.receiveTimeout = -1
  return out
}

describe("review of issue 17: sends made from a synchronous `disconnect` listener", () => {
  // The `events` listeners run synchronously (events.ts emit). "disconnect" was emitted before the
  // dead peer's pipe left the round-robin, so a send made in the listener was queued to that pipe and
  // dropped with it: RFC 30 PUSH "SHALL NOT discard messages that it cannot queue", and the message
  // had a peer with room (the other PULL).
  it("Push: every message sent in the listener reaches the PULL still connected", async () => {
    const push = track(new Push())
    await push.bind("tcp://127.0.0.1:*")
    const a = track(new Pull())
    const b = track(new Pull())
    let handshakes = 0
    push.events.on("handshake", () => handshakes++)
    a.connect(push.lastEndpoint!)
    b.connect(push.lastEndpoint!)
    await until(() => handshakes === 2)
    const sent: Promise<void>[] = []
    push.events.on("disconnect", () => {
      for (let i = 0; i < 10; i++) sent.push(push.send(`m${i}`))
    })
    a.linger = 0
    a.close()
    await until(() => sent.length === 10)
    await Promise.all(sent)
    expect(await drain(b, 500)).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"])
  })

  // RFC 31: PAIR "SHALL block on sending, or return a suitable error, when it has no available peer";
  // a send from the listener resolved at once into the pipe of the peer that had just gone.
  it("Pair: a message sent in the listener waits for the next peer and reaches it", async () => {
    const pair = track(new Pair())
    await pair.bind("tcp://127.0.0.1:*")
    const a = track(new Pair())
    let handshakes = 0
    pair.events.on("handshake", () => handshakes++)
    a.connect(pair.lastEndpoint!)
    await until(() => handshakes === 1)
    let sent: Promise<void> | undefined
    pair.events.on("disconnect", () => {
      sent = pair.send("after")
    })
    a.linger = 0
    a.close()
    await until(() => sent !== undefined)
    const b = track(new Pair())
    b.connect(pair.lastEndpoint!)
    expect(await drain(b, 1000)).toEqual(["after"])
    await sent
  })
})
