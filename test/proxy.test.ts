/** Proxy (zeromq.js v6 shape): forwarding both ways, order, pause/resume, terminate, capture. */
import { afterEach, describe, expect, it } from "vitest"
import { Dealer, Proxy, Reply, Request, Router } from "../src/index.js"
import { bindEndpoint, cleanupIpc, closeAll, sleep, transports, within } from "./helpers.js"

afterEach(cleanupIpc)

for (const transport of transports) {
  describe(`Proxy over ${transport}`, () => {
    it("forwards REQ -> ROUTER/DEALER -> REP and back, for several clients and workers", async () => {
      const front = new Router()
      const back = new Dealer()
      await front.bind(bindEndpoint(transport))
      await back.bind(bindEndpoint(transport))
      const proxy = new Proxy(front, back)
      const running = proxy.run()
      const workers = [new Reply(), new Reply()]
      const clients = [new Request(), new Request(), new Request()]
      try {
        for (const [i, w] of workers.entries()) {
          w.connect(back.lastEndpoint!)
          void (async () => {
            for await (const [body] of w) await w.send([`w${i}:${body!.toString()}`])
          })()
        }
        for (const c of clients) c.connect(front.lastEndpoint!)
        const seen = new Set<string>()
        await Promise.all(
          clients.map(async (c, ci) => {
            for (let k = 0; k < 50; k++) {
              await c.send(`c${ci}-${k}`)
              const [reply] = await within(c.receive(), 5000, "reply")
              const [worker, body] = reply!.toString().split(":")
              expect(body).toBe(`c${ci}-${k}`)
              seen.add(worker!)
            }
          }),
        )
        // Both workers served calls: the backend DEALER round-robins.
        expect(seen).toEqual(new Set(["w0", "w1"]))
        proxy.terminate()
        await within(running, 2000, "run() after terminate")
      } finally {
        closeAll(...clients, ...workers, front, back)
      }
    })

    it("keeps per-peer order, honours pause/resume and copies to a capture socket", async () => {
      const front = new Router()
      const back = new Dealer()
      const captureIn = new Dealer()
      const captureOut = new Dealer()
      await front.bind(bindEndpoint(transport))
      await back.bind(bindEndpoint(transport))
      await captureIn.bind(bindEndpoint(transport))
      captureOut.connect(captureIn.lastEndpoint!)
      const client = new Dealer()
      const worker = new Dealer()
      client.connect(front.lastEndpoint!)
      worker.connect(back.lastEndpoint!)
      const proxy = new Proxy(front, back, captureOut)
      const running = proxy.run()
      try {
        proxy.pause()
        for (let i = 0; i < 100; i++) await client.send(["", `m${i}`])
        worker.receiveTimeout = 200
        await expect(worker.receive()).rejects.toMatchObject({ code: "EAGAIN" })
        proxy.resume()
        worker.receiveTimeout = 5000
        for (let i = 0; i < 100; i++) {
          const msg = await worker.receive()
          // The ROUTER frontend prefixed the client's routing id; the rest arrives in order.
          expect(msg.slice(1).map(String)).toEqual(["", `m${i}`])
        }
        for (let i = 0; i < 100; i++) {
          const copy = await within(captureIn.receive(), 5000, "capture")
          expect(copy.slice(1).map(String)).toEqual(["", `m${i}`])
        }
        proxy.terminate()
        await within(running, 2000, "run() after terminate")
        await expect(proxy.run()).rejects.toMatchObject({ code: "EFSM" })
      } finally {
        closeAll(client, worker, front, back, captureIn, captureOut)
      }
    })
  })
}

it("run() ends when a proxied socket closes", async () => {
  const front = new Router()
  const back = new Dealer()
  await front.bind(bindEndpoint("tcp"))
  const proxy = new Proxy(front, back)
  const running = proxy.run()
  await sleep(10)
  front.close()
  back.close()
  await within(running, 2000, "run() after close")
})
