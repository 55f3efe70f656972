/**
 * A zmtp ws:// bind on an application's http.Server next to the application's own `ws`
 * WebSocketServer (adversarial review of issue 19, finding 8, review19/p11-shared-server.mjs).
 */
import http from "node:http"
import { afterEach, describe, expect, it } from "vitest"
import WebSocket, { WebSocketServer } from "ws"
import * as z from "../../src/index.js"
import { closeAfterEach, recordEvents, until, within } from "../helpers.js"

const track = closeAfterEach()
const servers: http.Server[] = []
const wsServers: WebSocketServer[] = []
afterEach(() => {
  for (const w of wsServers.splice(0)) w.close()
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    s.close()
  }
})

async function listening(): Promise<[http.Server, number]> {
  const server = http.createServer((_q, s) => s.end("page"))
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  return [server, (server.address() as { port: number }).port]
}

/** True once a plain WebSocket to `url` opens (the application's own endpoint). */
function appOpens(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = new WebSocket(url)
    c.once("open", () => {
      c.terminate()
      resolve(true)
    })
    c.once("error", () => resolve(false))
  })
}

async function roundtrip(port: number, rep: z.Reply): Promise<string> {
  const req = track(new z.Request({ linger: 0 }))
  req.connect(`ws://127.0.0.1:${port}/zmq`)
  await req.send("over zmtp")
  const [m] = await within(rep.receive(), 3000, "the request over zmtp's path")
  await rep.send(`re: ${m}`)
  const [r] = await within(req.receive(), 3000, "the reply")
  return String(r)
}

describe("zmtp next to an application's ws WebSocketServer on one http.Server", () => {
  // ws's WebSocketServer({ server, path }) answers every upgrade for another path with 400 and ends
  // the socket, from its own 'upgrade' listener, whichever order the listeners were added in: zmtp
  // cannot keep its sockets from it. It says so (an accept:error naming noServer), and README
  // "In the browser" gives the setup that works (the last test).
  for (const order of ["zmtp first", "application first"] as const) {
    it(`with the application's WebSocketServer({ server, path }) (${order}) zmtp's upgrade is served or reported with an accept:error naming noServer, never lost silently`, async () => {
      const [server, port] = await listening()
      const rep = track(new z.Reply({ linger: 0 }))
      const attachApp = () => wsServers.push(new WebSocketServer({ server, path: "/app" }))
      if (order === "application first") attachApp()
      await rep.bind(`ws://127.0.0.1:${port}/zmq`, { server })
      if (order === "zmtp first") attachApp()
      const events = recordEvents(rep)
      const req = track(new z.Request({ linger: 0 }))
      req.connect(`ws://127.0.0.1:${port}/zmq`)
      await req.send("over zmtp")
      // Under Node's ws both orders lose zmtp's upgrade (measured); Bun's own ws module leaves an
      // upgrade already served when zmtp's listener came first.
      const served = rep.receive().then(() => "served" as const, () => "closed" as const)
      const reported = until(() => events.some((e) => e.type === "accept:error"), 3000).then(() => "reported" as const)
      const outcome = await Promise.race([served, reported.catch(() => "silently lost" as const)])
      expect(outcome).not.toBe("silently lost")
      if (outcome === "reported") {
        const e = events.find((e) => e.type === "accept:error") as unknown as { error: z.ZmtpError; address: string }
        expect(e.error.code).toBe("ECONNRESET")
        expect(e.error.message).toMatch(/noServer/)
        expect(e.address).toBe(rep.lastEndpoint)
      }
      expect(await appOpens(`ws://127.0.0.1:${port}/app`)).toBe(true)
    })
  }

  it("the recommended setup, the application's WebSocketServer with noServer, serves both", async () => {
    const [server, port] = await listening()
    const w = new WebSocketServer({ noServer: true })
    wsServers.push(w)
    let appConns = 0
    w.on("connection", () => appConns++)
    server.on("upgrade", (req, sock, head) => {
      if (req.url === "/app") w.handleUpgrade(req, sock, head, (ws) => w.emit("connection", ws, req))
    })
    const rep = track(new z.Reply({ linger: 0 }))
    await rep.bind(`ws://127.0.0.1:${port}/zmq`, { server })
    const events = recordEvents(rep)
    expect(await roundtrip(port, rep)).toBe("re: over zmtp")
    expect(await appOpens(`ws://127.0.0.1:${port}/app`)).toBe(true)
    expect(appConns).toBe(1)
    expect(events.filter((e) => e.type === "accept:error")).toEqual([])
  })
})
