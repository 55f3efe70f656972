/**
 * The browser build in a real browser (issue 19 item 3): Debian's Chromium, headless, driven by
 * playwright-core (no browser download). One Node http.Server on loopback serves the page, the
 * bundle and, on the same port, every ws:// socket of the Node side. The page, on the browser
 * build: REQ -> a REP in Node; SUB to a Node PUB; an RPC call and a cast through the broker, whose
 * frontend binds ws://; DEALER <-> ROUTER over CURVE. Then what a page cannot do: bind ws://, use
 * tcp://, offer RFC 45's "/" names.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as esbuild from "esbuild"
import { chromium, type BrowserContext, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { browserBuildOptions } from "../../src/browser/bundle.js"
import * as z from "../../src/index.js"
import { cleanupIpc, itLibzmq } from "../helpers.js"
import type { ScenarioInput } from "./scenarios.js"
import { startNodeSide, type NodeSide } from "./servers.js"

const CHROMIUM = "/usr/bin/chromium"
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) console.warn(`test/browser: skipped, ${CHROMIUM} is missing (Debian's chromium package; .ci/run installs it)`)

/** The flags of issue 19: no GPU, QUIC, first-run, background or update traffic. */
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

const PAGE = `<!doctype html><meta charset="utf-8"><title>zmtp</title>
<script type="module">
import * as zmtp from "/zmtp.js"
import * as scenarios from "/scenarios.js"
window.zmtp = zmtp
window.scenarios = scenarios
window.ready = true
</script>`

describe.skipIf(!haveChromium)(`the browser build in Chromium (${CHROMIUM})`, () => {
  let server: http.Server
  let side: NodeSide
  let context: BrowserContext
  let page: Page
  let profile: string
  const pageErrors: string[] = []

  beforeAll(async () => {
    const bundle = (await esbuild.build(browserBuildOptions())).outputFiles![0]!.text
    const scenarios = (await esbuild.transform(readFileSync(join(import.meta.dirname, "scenarios.ts"), "utf8"), { loader: "ts", format: "esm" })).code
    server = http.createServer((req, res) => {
      const js = { "/zmtp.js": bundle, "/scenarios.js": scenarios }[req.url ?? ""]
      if (js !== undefined) return void res.writeHead(200, { "content-type": "text/javascript" }).end(js)
      if (req.url === "/") return void res.writeHead(200, { "content-type": "text/html" }).end(PAGE)
      res.writeHead(404).end()
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    side = await startNodeSide(server, "ws")
    profile = mkdtempSync(join(tmpdir(), "zmtp-chromium-"))
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS })
    page = context.pages()[0] ?? (await context.newPage())
    page.on("pageerror", (e) => pageErrors.push(e.message))
    const port = (server.address() as { port: number }).port
    await page.goto(`http://127.0.0.1:${port}/`)
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 20_000 })
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await side?.close()
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
    if (profile) rmSync(profile, { recursive: true, force: true })
    cleanupIpc()
  })

  /** Runs a scenario of scenarios.ts in the page, on the browser build. */
  function inPage<T>(name: string, extra: Partial<ScenarioInput> = {}): Promise<T> {
    const input: ScenarioInput = { ...side.input, opts: {}, ...extra }
    return page.evaluate(
      ([n, i]) => {
        const w = globalThis as unknown as { zmtp: unknown; scenarios: Record<string, (z: unknown, i: unknown) => Promise<unknown>> }
        return w.scenarios[n]!(w.zmtp, i)
      },
      [name, input] as const,
    ) as Promise<T>
  }

  it("the page's WebSocket refuses RFC 45's names (SyntaxError: '/' is no token character) and takes zmtp's aliases", async () => {
    const r = await page.evaluate((url) => {
      const tryOffer = (p: string) => {
        try {
          new WebSocket(url, [p]).close()
          return "ok"
        } catch (e) {
          return (e as Error).name
        }
      }
      return ["ZWS2.0/NULL", "ZWS2.0/CURVE", "ZWS2.0", "ZWS2.0+NULL", "ZWS2.0+CURVE"].map(tryOffer)
    }, side.input.rep)
    expect(r).toEqual(["SyntaxError", "SyntaxError", "ok", "ok", "ok"])
  })

  it("REQ in the page -> REP in Node", async () => {
    expect(await inPage("reqRep")).toEqual(["world", "hello", "from the client"])
  })

  itLibzmq("REQ in the page -> a REP of libzmq (zeromq.js ws://): the page's bare ZWS2.0 is what libzmq takes for NULL", async () => {
    const zmq = await import("zeromq")
    const rep = new zmq.Reply({ linger: 0 })
    try {
      await rep.bind("ws://127.0.0.1:*/lib")
      void (async () => {
        for await (const m of rep) await rep.send(["world", ...m.map((f) => f.toString())]).catch(() => {})
      })()
      expect(await inPage("reqRep", { rep: rep.lastEndpoint! })).toEqual(["world", "hello", "from the client"])
    } finally {
      rep.close()
    }
  })

  itLibzmq("a DEALER in the page that heartbeats (RFC 37 PING, no WebSocket ping) is not dropped by an idle libzmq ROUTER", async () => {
    const zmq = await import("zeromq")
    const router = new zmq.Router({ linger: 0 })
    try {
      await router.bind("ws://127.0.0.1:*/hb")
      void (async () => {
        for await (const [id, m] of router) await router.send([id!, m!]).catch(() => {})
      })()
      const r = await page.evaluate(async (url) => {
        const z = (globalThis as unknown as { zmtp: any }).zmtp
        const d = new z.Dealer({ linger: 0, heartbeatInterval: 100, heartbeatTimeout: 300 })
        let disconnects = 0
        d.events.on("disconnect", () => disconnects++)
        try {
          d.connect(url)
          await d.send("x")
          const first = new TextDecoder().decode((await d.receive())[0])
          await new Promise((res) => setTimeout(res, 2000))
          await d.send("y")
          const second = new TextDecoder().decode((await d.receive())[0])
          return { first, second, disconnects }
        } finally {
          d.close()
        }
      }, router.lastEndpoint!)
      // Before the fix: dropped every few hundred ms (libzmq's ws engine never answers PING).
      expect(r).toEqual({ first: "x", second: "y", disconnects: 0 })
    } finally {
      router.close()
    }
  }, 30_000)

  it("SUB in the page receives only its subscription from a Node PUB", async () => {
    const got = await inPage<string[]>("subscribe")
    expect(got).toHaveLength(3)
    for (const m of got) expect(m).toMatch(/^news\|\d+$/)
  })

  it("an RPC call and a cast from the page through the broker, whose frontend binds ws:// on the page's port", async () => {
    const r = await inPage<{ sum: unknown; castDone: boolean; error: string }>("rpc")
    expect(r.sum).toBe(42)
    expect(r.error).toMatch(/refused on purpose/)
    await expect.poll(() => side.casts).toContainEqual({ from: "client" })
  })

  it("DEALER in the page <-> ROUTER in Node over CURVE (ZWS2.0+CURVE), keys made in the page", async () => {
    const r = await inPage<string[]>("curve")
    expect(r[0]).toBe("pong")
    expect(r[1]).toBe("ping")
    expect(side.curvePeers).toHaveLength(1)
  })

  it("what a page cannot do fails with typed errors: bind ws://, tcp:// either way; inproc works, frames are Buffers", async () => {
    const r = await page.evaluate(async () => {
      const z = (globalThis as unknown as { zmtp: any }).zmtp
      const code = async (f: () => unknown) => {
        try {
          await f()
          return "ok"
        } catch (e) {
          return (e as { code?: string }).code ?? String(e)
        }
      }
      const s = new z.Reply()
      const bindWs = await code(() => s.bind("ws://127.0.0.1:*/x"))
      const bindTcp = await code(() => s.bind("tcp://127.0.0.1:*"))
      const connectTcp = await code(() => new z.Request().connect("tcp://127.0.0.1:5555"))
      s.close()
      const rep = new z.Reply()
      await rep.bind("inproc://page")
      const req = new z.Request()
      req.connect("inproc://page")
      await req.send("in")
      const [m] = await rep.receive()
      await rep.send(["back", m])
      const reply = (await req.receive()).map(String)
      req.close()
      rep.close()
      return { bindWs, bindTcp, connectTcp, reply, ipc: z.capability.ipc, buffer: typeof m.readUInt32BE === "function" && m.toString("hex") === "696e" && m.toString("base64url") === "aW4" }
    })
    expect(r).toEqual({ bindWs: "EPROTONOSUPPORT", bindTcp: "EPROTONOSUPPORT", connectTcp: "EPROTONOSUPPORT", reply: ["back", "in"], ipc: false, buffer: true })
  })

  it("inproc in the page: a PUSH to a PULL that never reads blocks near the high-water marks; a send loop lets a timer run", async () => {
    const r = await page.evaluate(async () => {
      const z = (globalThis as unknown as { zmtp: any }).zmtp
      const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms))
      const pull = new z.Pull({ linger: 0, receiveHighWaterMark: 10 })
      await pull.bind("inproc://page-hwm")
      const push = new z.Push({ linger: 0, sendHighWaterMark: 10 })
      push.connect("inproc://page-hwm")
      await sleep(50)
      const body = new Uint8Array(1024)
      let sent = 0
      let accepted = 0
      const stop = sleep(1000).then(() => "stop")
      while (sent < 5000) {
        if ((await Promise.race([push.send(body).then(() => (accepted++, "sent")), stop])) !== "sent") break
        sent++
      }
      pull.receiveTimeout = 300
      let got = 0
      try {
        for (;;) {
          await pull.receive()
          got++
        }
      } catch {}
      push.close()
      pull.close()
      // A reader that keeps up: the loop must still yield to a 0 ms timer before it ends.
      const pull2 = new z.Pull({ linger: 0 })
      await pull2.bind("inproc://page-yield")
      const push2 = new z.Push({ linger: 0 })
      push2.connect("inproc://page-yield")
      let read = 0
      void (async () => {
        for await (const _ of pull2) read++
      })().catch(() => {})
      await sleep(50)
      const total = 20000
      let n = 0
      let atTimer = -1
      setTimeout(() => (atTimer = n), 0)
      while (n < total) {
        await push2.send(body)
        n++
      }
      while (read < total) await sleep(10)
      push2.close()
      pull2.close()
      return { sent, accepted, got, atTimer, total }
    })
    expect(r.sent).toBeLessThan(1000)
    expect(r.got).toBe(r.accepted)
    expect(r.atTimer).toBeGreaterThanOrEqual(0)
    expect(r.atTimer).toBeLessThan(r.total)
  }, 60_000)

  it("a SUB in the page that does not read, under a Node PUB of 64 KiB messages, drops at its HWM and keeps its connection", async () => {
    const pub = new z.Publisher({ linger: 0 })
    try {
      await pub.bind(side.input.rep.replace(/\/rep$/, "/flood"), { server })
      await page.evaluate((url) => {
        const w = globalThis as unknown as { zmtp: any; flood: any; floodDisconnects: number }
        w.floodDisconnects = 0
        w.flood = new w.zmtp.Subscriber({ linger: 0, receiveHighWaterMark: 10 })
        w.flood.events.on("disconnect", () => w.floodDisconnects++)
        w.flood.connect(url)
        w.flood.subscribe()
      }, side.input.rep.replace(/\/rep$/, "/flood"))
      // Publish until the subscription is through (RFC 29: a PUB drops what nobody subscribed to).
      const hello = setInterval(() => void pub.send("hello").catch(() => {}), 20)
      try {
        await page.evaluate(() => (globalThis as unknown as { flood: any }).flood.receive())
      } finally {
        clearInterval(hello)
      }
      const drainPage = () =>
        page.evaluate(async () => {
          const s = (globalThis as unknown as { flood: any }).flood
          s.receiveTimeout = 300
          let n = 0
          try {
            for (;;) {
              await s.receive()
              n++
            }
          } catch {}
          s.receiveTimeout = -1
          return n
        })
      await drainPage()
      const body = Buffer.alloc(64 * 1024, 5)
      for (let i = 0; i < 512; i++) await pub.send(body)
      await new Promise((r) => setTimeout(r, 1500))
      const got = await drainPage()
      // Before the fix the page held all 512 (32 MiB) and handed every one over.
      expect(got).toBeLessThanOrEqual(12)
      const after = setInterval(() => void pub.send("after").catch(() => {}), 20)
      try {
        const r = await page.evaluate(async () => {
          const w = globalThis as unknown as { flood: any; floodDisconnects: number }
          const m = await w.flood.receive()
          w.flood.close()
          return { m: new TextDecoder().decode(m[0]), disconnects: w.floodDisconnects }
        })
        expect(r).toEqual({ m: "after", disconnects: 0 })
      } finally {
        clearInterval(after)
      }
    } finally {
      pub.close()
    }
  }, 60_000)

  it("a PULL in the page that does not read, under a Node PUSH, is dropped once it holds its budget (not the tab's memory)", async () => {
    const push = new z.Push({ linger: 0, sendHighWaterMark: 10 })
    const url = side.input.rep.replace(/\/rep$/, "/flood-push")
    try {
      await push.bind(url, { server })
      await page.evaluate((u) => {
        const w = globalThis as unknown as { zmtp: any; floodPull: any; pullDisconnects: number }
        w.pullDisconnects = 0
        w.floodPull = new w.zmtp.Pull({ linger: 0, receiveHighWaterMark: 10, reconnectInterval: 100 })
        w.floodPull.events.on("disconnect", () => w.pullDisconnects++)
        w.floodPull.connect(u)
      }, url)
      const body = Buffer.alloc(64 * 1024, 6)
      let sent = 0
      const stop = new Promise((r) => setTimeout(() => r("stop"), 5000))
      // 1000 x 64 KiB: far past the 8 MiB budget, as long as the page does not read.
      while (sent < 1000) {
        if ((await Promise.race([push.send(body).then(() => "sent"), stop])) !== "sent") break
        sent++
      }
      await expect.poll(() => page.evaluate(() => (globalThis as unknown as { pullDisconnects: number }).pullDisconnects), { timeout: 10_000 }).toBeGreaterThan(0)
    } finally {
      await page.evaluate(() => (globalThis as unknown as { floodPull?: any }).floodPull?.close())
      push.close()
    }
  }, 60_000)

  it("no uncaught error in the page", () => {
    expect(pageErrors).toEqual([])
  })
})
