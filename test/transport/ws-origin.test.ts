/**
 * Origin checks on ws:// binds (adversarial review of issue 19, finding 9, review19/p20-origin.mjs):
 * a page of any origin can open a WebSocket to any port, so a bind can name the origins it takes
 * (wsOrigins, a zmtp extension); on an application's server the application's own check, in an
 * 'upgrade' listener added before zmtp's, wins.
 */
import http from "node:http"
import { afterEach, describe, expect, it } from "vitest"
import * as z from "../../src/index.js"
import { closeAfterEach, recordEvents, until, within } from "../helpers.js"
import { closeRawPeers, rawZws, readyBody, zf } from "./ws-helpers.js"

const track = closeAfterEach()
const servers: http.Server[] = []
afterEach(() => {
  closeRawPeers()
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    s.close()
  }
})

/** A raw PUSH peer from `origin`: resolves once it is handshaken (rejects with the HTTP status if refused). */
async function pushFrom(url: string, origin: string | undefined) {
  const peer = await rawZws(url, "ZWS2.0/NULL", origin === undefined ? {} : { origin })
  peer.ws.send(zf(2, readyBody("PUSH")))
  peer.ws.send(zf(0, `from ${origin ?? "no origin"}`))
  return peer
}

describe("wsOrigins: the origins a ws:// bind accepts", () => {
  it("a bind on its own server refuses another Origin with 403 and an accept:error, and takes a listed one or none", async () => {
    const pull = track(new z.Pull({ wsOrigins: "https://app.example, http://127.0.0.1:8080" }))
    await pull.bind("ws://127.0.0.1:*/zmq")
    const events = recordEvents(pull)
    await expect(pushFrom(pull.lastEndpoint!, "http://evil.example")).rejects.toThrow(/HTTP 403/)
    await until(() => events.some((e) => e.type === "accept:error"))
    const e = events.find((e) => e.type === "accept:error") as unknown as { error: z.ZmtpError }
    expect(e.error.code).toBe("EACCES")
    expect(e.error.message).toMatch(/http:\/\/evil\.example/)
    // Origins compare as RFC 6454 serializes them: the scheme and host in lower case.
    await pushFrom(pull.lastEndpoint!, "HTTPS://App.Example")
    expect(String((await within(pull.receive(), 3000, "the listed origin's message"))[0])).toBe("from HTTPS://App.Example")
    // libzmq and zmtp's own clients send no Origin: not a page, accepted.
    const push = track(new z.Push())
    push.connect(pull.lastEndpoint!)
    await push.send("from zmtp")
    expect(String((await within(pull.receive(), 3000, "the zmtp client's message"))[0])).toBe("from zmtp")
  })

  it("without wsOrigins any Origin is accepted (as libzmq)", async () => {
    const pull = track(new z.Pull())
    await pull.bind("ws://127.0.0.1:*/zmq")
    await pushFrom(pull.lastEndpoint!, "http://evil.example")
    expect(String((await within(pull.receive(), 3000, "the message"))[0])).toBe("from http://evil.example")
  })

  it("on an application's server, wsOrigins applies too", async () => {
    const server = http.createServer()
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const port = (server.address() as { port: number }).port
    const pull = track(new z.Pull({ wsOrigins: "http://127.0.0.1" }))
    await pull.bind(`ws://127.0.0.1:${port}/zmq`, { server })
    await expect(pushFrom(pull.lastEndpoint!, "http://evil.example")).rejects.toThrow(/HTTP 403/)
    await pushFrom(pull.lastEndpoint!, "http://127.0.0.1")
    expect(String((await within(pull.receive(), 3000, "the message"))[0])).toBe("from http://127.0.0.1")
  })

  it("on an application's server, the application's own Origin check before zmtp's listener wins", async () => {
    const server = http.createServer()
    servers.push(server)
    server.on("upgrade", (req, sock) => {
      if (req.headers.origin !== "http://127.0.0.1") sock.destroy()
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const port = (server.address() as { port: number }).port
    const pull = track(new z.Pull())
    await pull.bind(`ws://127.0.0.1:${port}/zmq`, { server })
    const events = recordEvents(pull)
    const uncaught: unknown[] = []
    const onUncaught = (e: unknown) => uncaught.push(e)
    process.on("uncaughtException", onUncaught)
    try {
      await expect(pushFrom(pull.lastEndpoint!, "http://evil.example")).rejects.toThrow(/handshake failed/)
      await pushFrom(pull.lastEndpoint!, "http://127.0.0.1")
      // The refused peer's message never arrives: the first one is the allowed origin's.
      expect(String((await within(pull.receive(), 3000, "the message"))[0])).toBe("from http://127.0.0.1")
      expect(events.filter((e) => e.type === "accept" || e.type === "handshake").length).toBeLessThanOrEqual(2)
      expect(uncaught).toEqual([])
    } finally {
      process.off("uncaughtException", onUncaught)
    }
  })
})
