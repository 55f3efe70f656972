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

  it("no uncaught error in the page", () => {
    expect(pageErrors).toEqual([])
  })
})
