/**
 * Each messaging pattern through the v5 callback API, run the same way on zeromq.js's
 * `zeromq/v5-compat` and on zmtp's: callbacks, multipart "message" events, ZMQ_SNDMORE, bursts,
 * pause/resume, errors to callbacks and to "error".
 */
import { afterAll, describe, expect, it } from "vitest"
import { cleanupIpc, ipcEndpoint, sleep, transports, until } from "../helpers.js"
import { bound, closeAfterEach, messages, next, v5libs } from "./libs.js"

afterAll(cleanupIpc)

const address = (t: "tcp" | "ipc") => (t === "tcp" ? "tcp://127.0.0.1:*" : ipcEndpoint())

for (const { name, zmq } of v5libs) {
  for (const transport of transports) {
    describe(`${name} v5-compat over ${transport}`, () => {
      const track = closeAfterEach()

      it("req/rep: bind callback, a burst of requests answered in order, send callbacks", async () => {
        const rep = track(zmq.socket("rep"))
        const req = track(zmq.socket("req"))
        rep.on("message", (msg: Buffer) => rep.send(`${msg} world`))
        const bindEvent = next(rep, "bind")
        const given = address(transport)
        await bound(rep, given)
        const ep = rep.last_endpoint as string
        // "bind" carries the address as given (`tcp://127.0.0.1:*`), last_endpoint the bound one.
        expect((await bindEvent)[0]).toBe(given)
        req.connect(ep)
        const replies = messages(req, 5)
        let callbacks = 0
        // REQ allows one request at a time: each waits for the previous reply, as in v5.
        for (let i = 0; i < 5; i++) req.send(`hello${i}`, 0, (err?: Error) => (err ? undefined : callbacks++))
        expect(await replies).toEqual([0, 1, 2, 3, 4].map((i) => [`hello${i} world`]))
        await until(() => callbacks === 5)
      })

      it("dealer/router: multipart messages, ZMQ_SNDMORE, an echo of 500 messages", async () => {
        const router = track(zmq.socket("router"))
        const dealer = track(zmq.socket("dealer"))
        await bound(router, address(transport))
        router.on("message", (...frames: Buffer[]) => router.send(frames))
        dealer.connect(router.last_endpoint)
        const first = messages(dealer, 1)
        dealer.send(["tobi", "loki"], zmq.ZMQ_SNDMORE)
        dealer.send(15.99, zmq.ZMQ_SNDMORE)
        dealer.send(Buffer.from("manny"))
        expect(await first).toEqual([["tobi", "loki", "15.99", "manny"]])
        dealer.removeAllListeners("message")
        const echoes = messages(dealer, 500)
        for (let i = 0; i < 500; i++) dealer.send(["Hello", "world", String(i)])
        const got = await echoes
        expect(got.map((m) => m[2])).toEqual(Array.from({ length: 500 }, (_, i) => String(i)))
        expect(got.every((m) => m.length === 3 && m[0] === "Hello")).toBe(true)
      })

      it("push/pull: 300 messages round-robin over two pullers, each once, in order per puller", async () => {
        const push = track(zmq.socket("push"))
        const pulls = [track(zmq.socket("pull")), track(zmq.socket("pull"))]
        await bound(push, address(transport))
        const got: string[][] = [[], []]
        pulls.forEach((p, i) => {
          p.on("message", (m: Buffer) => got[i]!.push(m.toString()))
          p.connect(push.last_endpoint)
        })
        await sleep(100)
        for (let i = 0; i < 300; i++) push.send(String(i))
        await until(() => got[0]!.length + got[1]!.length === 300, 5000, "all 300")
        const all = [...got[0]!, ...got[1]!].map(Number).sort((x, y) => x - y)
        expect(all).toEqual(Array.from({ length: 300 }, (_, i) => i))
        for (const g of got) expect(g.map(Number)).toEqual([...g.map(Number)].sort((x, y) => x - y))
        expect(got[0]!.length).toBeGreaterThan(0)
        expect(got[1]!.length).toBeGreaterThan(0)
      })

      it("pair: both ways, multipart", async () => {
        const a = track(zmq.socket("pair"))
        const b = track(zmq.socket("pair"))
        await bound(a, address(transport))
        b.connect(a.last_endpoint)
        const atB = messages(b, 1)
        a.send(["ping", "1"])
        expect(await atB).toEqual([["ping", "1"]])
        const atA = messages(a, 1)
        b.send("pong")
        expect(await atA).toEqual([["pong"]])
      })

      it("pub/sub: subscribe and unsubscribe filter, frames arrive as Buffers", async () => {
        const pub = track(zmq.socket("pub"))
        const sub = track(zmq.socket("sub"))
        sub.subscribe("js")
        sub.subscribe("luna")
        const got: string[] = []
        sub.on("message", (msg: Buffer) => {
          expect(Buffer.isBuffer(msg)).toBe(true)
          got.push(msg.toString())
        })
        await bound(sub, address(transport))
        pub.connect(sub.last_endpoint)
        // Until the subscription has reached the publisher, what it sends is dropped (RFC 29).
        while (got.length === 0) {
          pub.send("js warm-up")
          await sleep(10)
        }
        got.length = 0
        await sleep(20)
        got.length = 0
        pub.send("js is cool")
        pub.send("ruby is meh")
        pub.send("luna is cool too")
        await until(() => got.length === 2)
        expect(got).toEqual(["js is cool", "luna is cool too"])
        sub.unsubscribe("luna")
        // Once the cancel is through, "luna" is dropped while "js" still passes.
        for (let i = 0; ; i++) {
          got.length = 0
          pub.send("luna again")
          pub.send(`js ${i}`)
          await until(() => got.includes(`js ${i}`))
          if (!got.includes("luna again")) break
        }
        expect(got).toEqual([expect.stringMatching(/^js /)])
      })

      it("xpub/xsub: subscriptions arrive at xpub as messages and can be forwarded", async () => {
        const pub = track(zmq.socket("pub"))
        const sub = track(zmq.socket("sub"))
        const xpub = track(zmq.socket("xpub"))
        const xsub = track(zmq.socket("xsub"))
        await bound(pub, address(transport))
        await bound(xpub, address(transport))
        xsub.connect(pub.last_endpoint)
        sub.connect(xpub.last_endpoint)
        const subscriptions: string[] = []
        xpub.on("message", (msg: Buffer) => {
          subscriptions.push(`${msg[0]}:${msg.subarray(1)}`)
          xsub.send(msg)
        })
        xsub.on("message", (...frames: Buffer[]) => xpub.send(frames))
        const got: string[] = []
        sub.on("message", (msg: Buffer) => got.push(msg.toString()))
        sub.subscribe("js")
        await until(() => subscriptions.length === 1)
        expect(subscriptions).toEqual(["1:js"])
        while (got.length === 0) {
          pub.send("js is cool")
          await sleep(10)
        }
        expect(got[0]).toBe("js is cool")
        sub.unsubscribe("js")
        await until(() => subscriptions.length === 2)
        expect(subscriptions[1]).toBe("0:js")
      })

      it("zmq.proxy: req -> router/dealer -> rep, with the replies captured on a pub", async () => {
        const frontend = track(zmq.socket("router"))
        const backend = track(zmq.socket("dealer"))
        const capture = track(zmq.socket("pub"))
        await bound(frontend, address(transport))
        await bound(backend, address(transport))
        await bound(capture, address(transport))
        zmq.proxy(frontend, backend, capture)
        const rep = track(zmq.socket("rep"))
        rep.on("message", (m: Buffer) => rep.send(`${m} bar`))
        rep.connect(backend.last_endpoint)
        const capSub = track(zmq.socket("sub"))
        capSub.subscribe("")
        capSub.connect(capture.last_endpoint)
        const captured: string[][] = []
        capSub.on("message", (...f: Buffer[]) => captured.push(f.map(String)))
        const req = track(zmq.socket("req"))
        req.connect(frontend.last_endpoint)
        // Until capSub's subscription is through, the capture copies are dropped (PUB): repeat.
        let i = 0
        while (captured.length === 0) {
          const reply = messages(req, 1)
          req.send(`foo${i}`)
          expect(await reply).toEqual([[`foo${i} bar`]])
          req.removeAllListeners("message")
          i++
          await sleep(10)
        }
        // The capture has the reply without the two envelope frames (id, delimiter).
        expect(captured[0]).toEqual([expect.stringMatching(/^foo\d+ bar$/)])
        expect(() => zmq.proxy(rep, req)).toThrow("This socket type order is not supported in compatibility mode")
      })

      it("pause holds message events and sends; resume delivers them in order", async () => {
        const a = track(zmq.socket("dealer"))
        const b = track(zmq.socket("dealer"))
        await bound(a, address(transport))
        b.connect(a.last_endpoint)
        const got: string[] = []
        a.on("message", (m: Buffer) => got.push(m.toString()))
        b.send("first")
        await until(() => got.length === 1)
        a.pause()
        for (const m of ["1", "2", "3"]) b.send(m)
        await sleep(100)
        expect(got).toEqual(["first"])
        a.resume()
        await until(() => got.length === 4)
        expect(got).toEqual(["first", "1", "2", "3"])
        // A paused socket also holds what it is asked to send.
        b.pause()
        let sent = false
        b.send("held", 0, () => (sent = true))
        await sleep(100)
        expect([sent, got.length]).toEqual([false, 4])
        b.resume()
        await until(() => got.length === 5)
        expect([sent, got[4]]).toEqual([true, "held"])
      })

      it("errors: an unroutable message with mandatory goes to the callback, or to 'error'", async () => {
        const router = track(zmq.socket("router"))
        router.setsockopt(zmq.ZMQ_ROUTER_MANDATORY, 1)
        router.setsockopt(zmq.ZMQ_SNDTIMEO, 10)
        const viaCallback = new Promise<Error | undefined>((resolve) => router.send(["nobody", "", "x"], null, resolve))
        const e1 = (await viaCallback) as Error & { code?: string }
        expect([e1?.message, e1?.code]).toEqual(["Host unreachable", "EHOSTUNREACH"])
        const viaEvent = next(router, "error")
        router.send(["nobody", "", "x"])
        const [e2] = (await viaEvent) as [Error & { code?: string }]
        expect(e2.code).toBe("EHOSTUNREACH")
      })

      // (ipc: a second bind takes the path over, in libzmq as in zmtp.)
      it.runIf(transport === "tcp")("errors: a bind to a port in use goes to the callback, or to 'error'", async () => {
        const a = track(zmq.socket("dealer"))
        const b = track(zmq.socket("dealer"))
        await bound(a, address(transport))
        const viaCallback = new Promise<Error | undefined>((resolve) => b.bind(a.last_endpoint, resolve))
        expect(((await viaCallback) as Error & { code?: string })?.code).toBe("EADDRINUSE")
        const viaEvent = next(b, "error")
        b.bind(a.last_endpoint)
        expect(((await viaEvent)[0] as { code?: string }).code).toBe("EADDRINUSE")
      })
    })
  }
}
