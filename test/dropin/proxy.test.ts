/**
 * Proxy side by side with zeromq.js (issue 15, item 7): constructor TypeErrors, run() refusing an
 * end that is closed or neither bound nor connected, the sockets belonging to a running proxy
 * (EBUSY) and being closed when it ends, terminate()/pause()/resume() throwing EBADF unless it runs,
 * and what pause() and resume() do to forwarding.
 *
 * Documented differences, asserted as such: zeromq.js throws run()'s errors synchronously (zmtp's
 * run() rejects; `await` sees the same error), zeromq.js accepts any native object (a Context, an
 * Observer) as a socket, and libzmq 4.3.5 has PAUSE and RESUME swapped.
 */
import * as zmq from "zeromq"
import { afterEach, describe, expect, it } from "vitest"
import * as zmtp from "../../src/index.js"
import { nothingArrives } from "../helpers.js"

type Sock = {
  bind(a: string): Promise<void>
  unbind(a: string): Promise<void>
  connect(a: string): void
  disconnect(a: string): void
  close(): void
  send(m: unknown): Promise<void>
  receive(): Promise<Buffer[]>
  readonly closed: boolean
  lastEndpoint: string | null
  receiveTimeout: number
}
type AnyProxy = { frontEnd: Sock; backEnd: Sock; run(): Promise<void>; pause(): void; resume(): void; terminate(): void }
type Lib = {
  name: string
  Proxy: new (...a: unknown[]) => AnyProxy
  Router: new (o?: object) => Sock
  Dealer: new (o?: object) => Sock
  Context: new () => object
}
const libs: Lib[] = [
  { name: "zmtp", Proxy: zmtp.Proxy as never, Router: zmtp.Router as never, Dealer: zmtp.Dealer as never, Context: zmtp.Context as never },
  { name: "zeromq.js", Proxy: zmq.Proxy as never, Router: zmq.Router as never, Dealer: zmq.Dealer as never, Context: zmq.Context as never },
]
const [ours, theirs] = libs as [Lib, Lib]

const open: Sock[] = []
afterEach(() => {
  for (const s of open.splice(0)) if (!s.closed) s.close()
})
const track = <T extends Sock>(s: T) => (open.push(s), s)

type Seen = { value?: unknown; error?: string; message?: string; code?: string }
const seen = (e: unknown): Seen => {
  const { message, code } = e as { message: string; code?: string }
  return { error: e instanceof TypeError ? "TypeError" : "Error", message, code }
}
/** What a synchronous call came to. */
function outcome(f: () => unknown): Seen {
  try {
    const value = f()
    return { value: value === undefined ? undefined : typeof value }
  } catch (e) {
    return seen(e)
  }
}
/** What a call came to, thrown at once or rejected later (run() throws in zeromq.js, rejects in zmtp). */
async function settled(f: () => unknown): Promise<Seen> {
  try {
    await f()
    return { value: undefined }
  } catch (e) {
    return seen(e)
  }
}

describe("construction", () => {
  it("TypeErrors for a missing, extra or non-object argument, with zeromq.js's texts", () => {
    const cases: [string, (l: Lib) => unknown[]][] = [
      ["no argument", () => []],
      ["one socket", (l) => [track(new l.Dealer())]],
      ["three sockets", (l) => [track(new l.Dealer()), track(new l.Dealer()), track(new l.Dealer())]],
      ["two sockets and undefined", (l) => [track(new l.Dealer()), track(new l.Dealer()), undefined]],
      ["two plain objects", () => [{}, {}]],
      ["two numbers", () => [1, 2]],
      ["a socket and an object", (l) => [track(new l.Dealer()), {}]],
      ["a socket and a number", (l) => [track(new l.Dealer()), 2]],
      ["a socket and null", (l) => [track(new l.Dealer()), null]],
      ["an object and a number", () => [{}, 2]],
      ["two sockets", (l) => [track(new l.Router()), track(new l.Dealer())]],
      ["a closed socket", (l) => {
        const s = new l.Dealer()
        s.close()
        return [s, track(new l.Dealer())]
      }],
    ]
    for (const [what, args] of cases) {
      const mine = outcome(() => new ours.Proxy(...args(ours)))
      expect(mine, what).toEqual(outcome(() => new theirs.Proxy(...args(theirs))))
    }
    const call = (l: Lib) => outcome(() => (l.Proxy as unknown as () => unknown)())
    expect(call(ours)).toEqual(call(theirs))
    expect(call(ours)).toEqual({ error: "TypeError", message: "Class constructors cannot be invoked without 'new'", code: undefined })
  })

  it("something that is not a socket is refused with Error \"Invalid argument\" (zeromq.js takes any of its native objects: a documented difference)", () => {
    const d = track(new zmtp.Dealer())
    expect(outcome(() => new zmtp.Proxy(new zmtp.Context() as never, d))).toEqual({ error: "Error", message: "Invalid argument", code: undefined })
    expect(outcome(() => new zmtp.Proxy(d.events as never, d))).toEqual({ error: "Error", message: "Invalid argument", code: undefined })
    const z = track(new zmq.Dealer() as unknown as Sock)
    expect(outcome(() => new zmq.Proxy(new zmq.Context() as never, z as never))).toEqual({ value: "object" })
  })

  it("frontEnd and backEnd are read-only getters returning the sockets; a proxy has no own enumerable properties", () => {
    for (const l of libs) {
      const f = track(new l.Router())
      const b = track(new l.Dealer())
      const p = new l.Proxy(f, b)
      expect(p.frontEnd, l.name).toBe(f)
      expect(p.backEnd, l.name).toBe(b)
      expect(Object.keys(p), l.name).toEqual([])
      expect(outcome(() => ((p as { frontEnd: unknown }).frontEnd = 1)), l.name).toEqual({
        error: "TypeError",
        message: "Cannot set property frontEnd of #<Proxy> which has only a getter",
        code: undefined,
      })
      expect(p).toBeInstanceOf(l.Proxy)
    }
  })
})

/** A fresh proxy per library, its ends set up by `prepare`. */
async function proxies(prepare: (p: AnyProxy, l: Lib) => Promise<void> | void): Promise<[AnyProxy, AnyProxy]> {
  const made: AnyProxy[] = []
  for (const l of libs) {
    const p = new l.Proxy(track(new l.Router({ linger: 0 })), track(new l.Dealer({ linger: 0 })))
    await prepare(p, l)
    made.push(p)
  }
  return made as [AnyProxy, AnyProxy]
}

describe("run()", () => {
  const setups: [string, (p: AnyProxy) => Promise<void> | void][] = [
    ["neither end bound or connected", () => {}],
    ["only the back end bound", (p) => p.backEnd.bind("tcp://127.0.0.1:*")],
    ["only the front end bound", (p) => p.frontEnd.bind("tcp://127.0.0.1:*")],
    ["the front end bound then unbound", async (p) => {
      await p.frontEnd.bind("tcp://127.0.0.1:*")
      await p.frontEnd.unbind(p.frontEnd.lastEndpoint!)
      await p.backEnd.bind("tcp://127.0.0.1:*")
    }],
    ["the back end connected then disconnected", async (p) => {
      await p.frontEnd.bind("tcp://127.0.0.1:*")
      p.backEnd.connect("tcp://127.0.0.1:9")
      p.backEnd.disconnect("tcp://127.0.0.1:9")
    }],
    ["the front end closed", async (p) => {
      await p.frontEnd.bind("tcp://127.0.0.1:*")
      await p.backEnd.bind("tcp://127.0.0.1:*")
      p.frontEnd.close()
    }],
    ["the back end closed", async (p) => {
      await p.frontEnd.bind("inproc://dropin-proxy-front")
      await p.backEnd.bind("tcp://127.0.0.1:*")
      p.backEnd.close()
    }],
  ]
  for (const [what, prepare] of setups) {
    it(`with ${what}: EINVAL, as zeromq.js`, async () => {
      const [mine, their] = await proxies(prepare)
      const theirOutcome = await settled(() => their.run())
      expect(theirOutcome).toMatchObject({ error: "Error", code: "EINVAL" })
      expect(await settled(() => mine.run())).toEqual(theirOutcome)
    })
  }

  it("rejects (zeromq.js throws at once: a documented difference) and takes no argument", async () => {
    const [mine, their] = await proxies(() => {})
    expect(() => their.run()).toThrow("Front-end socket must be bound or connected")
    const p = mine.run()
    expect(p).toBeInstanceOf(Promise)
    await expect(p).rejects.toMatchObject({ code: "EINVAL", message: "Front-end socket must be bound or connected" })
    expect(await settled(() => (mine.run as (...a: unknown[]) => unknown)(1))).toEqual(
      await settled(() => (their.run as (...a: unknown[]) => unknown)(1)),
    )
  })

  it("while it runs, the sockets' send() and receive() fail with EBUSY; terminate() ends it and closes both sockets", async () => {
    const [mine, their] = await proxies(async (p) => {
      await p.frontEnd.bind("tcp://127.0.0.1:*")
      await p.backEnd.bind("tcp://127.0.0.1:*")
    })
    const runs = [mine.run(), their.run()]
    for (const p of [mine, their]) {
      // Twice, and pause/resume, are fine while it runs.
      expect([outcome(() => p.pause()), outcome(() => p.resume())]).toEqual([{}, {}].map(() => ({ value: undefined })))
    }
    const busy = async (p: AnyProxy) => [await settled(() => p.frontEnd.send("x")), await settled(() => p.backEnd.receive())]
    const theirBusy = await busy(their)
    expect(theirBusy[0]).toEqual({ error: "Error", message: "Socket is blocked by a bind or unbind operation", code: "EBUSY" })
    expect(await busy(mine)).toEqual(theirBusy)
    for (const p of [mine, their]) {
      p.terminate()
      p.terminate()
    }
    await Promise.all(runs)
    for (const p of [mine, their]) expect([p.frontEnd.closed, p.backEnd.closed]).toEqual([true, true])
    // Ended: terminate, pause and resume throw EBADF; run() finds closed sockets.
    const after = async (p: AnyProxy) => [
      outcome(() => p.terminate()),
      outcome(() => p.pause()),
      outcome(() => p.resume()),
      await settled(() => p.run()),
    ]
    const theirAfter = await after(their)
    expect(theirAfter[0]).toEqual({ error: "Error", message: "Socket is closed", code: "EBADF" })
    expect(await after(mine)).toEqual(theirAfter)
  })
})

describe("terminate(), pause() and resume()", () => {
  it("throw EBADF before the proxy ever ran, and TypeErrors for arguments, as zeromq.js's", async () => {
    const [mine, their] = await proxies(async (p) => {
      await p.frontEnd.bind("tcp://127.0.0.1:*")
      await p.backEnd.bind("tcp://127.0.0.1:*")
    })
    for (const m of ["terminate", "pause", "resume"] as const) {
      const theirs = outcome(() => their[m]())
      expect(theirs, m).toEqual({ error: "Error", message: "Socket is closed", code: "EBADF" })
      expect(outcome(() => mine[m]()), m).toEqual(theirs)
      const call = (p: AnyProxy) => outcome(() => (p[m] as (...a: unknown[]) => unknown).call(p, 1))
      expect(call(mine), `${m}(1)`).toEqual(call(their))
    }
    // Neither ran: the sockets are still open.
    for (const p of [mine, their]) expect(p.frontEnd.closed).toBe(false)
  })

  it("pause() holds messages in the sockets and resume() lets them through (libzmq 4.3.5, so zeromq.js 6, has the two swapped)", async () => {
    const order = async (l: Lib): Promise<string[]> => {
      const p = new l.Proxy(track(new l.Router({ linger: 0 })), track(new l.Dealer({ linger: 0 })))
      await p.frontEnd.bind("tcp://127.0.0.1:*")
      await p.backEnd.bind("tcp://127.0.0.1:*")
      const client = track(new l.Dealer({ linger: 0 }))
      const worker = track(new l.Dealer({ linger: 0, receiveTimeout: 3000 }))
      client.connect(p.frontEnd.lastEndpoint!)
      worker.connect(p.backEnd.lastEndpoint!)
      const running = p.run()
      const log: string[] = []
      await client.send("first")
      log.push(`forwarded ${String((await worker.receive())[1])}`)
      for (const step of ["pause", "resume"] as const) {
        p[step]()
        // The command reaches zeromq.js's proxy thread asynchronously.
        await new Promise((r) => setTimeout(r, 100))
        await client.send(`after ${step}`)
        if (await nothingArrives(worker, 400)) log.push(`${step}: held`)
        else log.push(`${step}: forwarded`)
      }
      p.terminate()
      await running
      return log
    }
    expect(await order(ours)).toEqual(["forwarded first", "pause: held", "resume: forwarded"])
    // zeromq.js: pause() lets through (nothing was paused), resume() then holds the next message.
    expect(await order(theirs)).toEqual(["forwarded first", "pause: forwarded", "resume: held"])
  })
})
