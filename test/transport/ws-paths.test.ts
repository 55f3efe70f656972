/**
 * ws:// endpoint paths (review of issue 19, finding 7; review19/p14-paths.mjs): what bind() takes,
 * what lastEndpoint reports, and that a connect to it is served. A path is canonical on both sides
 * (percent-encoded as a WebSocket client sends it, escapes in upper case); a fragment is refused
 * (RFC 6455 section 3), a query is refused in a bind and kept, unmatched, in a connect.
 */
import { Buffer } from "node:buffer"
import http from "node:http"
import { describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../../src/index.js"
import { closeAfterEach, itLibzmq, sleep, within } from "../helpers.js"

const track = closeAfterEach()

/** Whether a PUSH connected to `url` gets one message through to `pull` within a second. */
async function reaches(pull: z.Pull, url: string): Promise<boolean> {
  const push = track(new z.Push({ linger: 0 }))
  push.connect(url)
  void push.send("m").catch(() => {})
  const r = await Promise.race([pull.receive().then(() => true), sleep(1000).then(() => false)])
  push.close()
  return r
}

describe("ws:// bind paths and the connect to lastEndpoint", () => {
  // Bound as given, reported canonical, reached by lastEndpoint and by every spelling of the same path.
  const cases: [string, string, string[]][] = [
    ["/plain", "/plain", []],
    ["/a b", "/a%20b", ["/a%20b"]],
    ["/ü", "/%C3%BC", ["/%c3%bc"]],
    ["/a%20b", "/a%20b", ["/a b"]],
    ["/%c3%bc", "/%C3%BC", ["/ü"]],
    ["/a/./b/../c", "/a/c", ["/a/c"]],
  ]
  for (const [given, canonical, others] of cases) {
    it(`bind on ${JSON.stringify(given)}: lastEndpoint ends in ${canonical}, and a connect to it (and to ${JSON.stringify(others)}) delivers`, async () => {
      const pull = track(new z.Pull({ linger: 0 }))
      await pull.bind(`ws://127.0.0.1:*${given}`)
      const last = pull.lastEndpoint!
      expect(last).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//)
      expect(last.slice(last.indexOf("/", 5))).toBe(canonical)
      expect(await reaches(pull, last)).toBe(true)
      const base = last.slice(0, last.indexOf("/", 5))
      for (const o of others) expect(await reaches(pull, base + o), o).toBe(true)
      // Another path on the same port is still not served (404, the client retries).
      expect(await reaches(pull, `${base}/elsewhere`)).toBe(false)
    })
  }

  for (const path of ["/zmq?x=1", "/x#frag", "/zmq?"]) {
    it(`bind on ${JSON.stringify(path)} is refused with EINVAL (nothing is bound)`, async () => {
      const pull = track(new z.Pull({ linger: 0 }))
      await expect(pull.bind(`ws://127.0.0.1:*${path}`)).rejects.toMatchObject({ code: "EINVAL" })
      expect(pull.lastEndpoint ?? null).toBe(null)
    })
  }

  it("a connect with a fragment is refused with EINVAL (RFC 6455 section 3)", async () => {
    const push = track(new z.Push({ linger: 0 }))
    expect(() => push.connect("ws://127.0.0.1:5555/x#frag")).toThrow(expect.objectContaining({ code: "EINVAL" }))
  })

  it("a connect with a query reaches the bind on its path; the query travels in the request", async () => {
    const server = http.createServer()
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const seen: string[] = []
    server.prependListener("upgrade", (req: http.IncomingMessage) => seen.push(req.url ?? ""))
    try {
      const pull = track(new z.Pull({ linger: 0 }))
      await pull.bind(`ws://127.0.0.1:*/zmq`, { server })
      const url = `${pull.lastEndpoint!}?token=a%20b&x=ü`
      expect(await reaches(pull, url)).toBe(true)
      expect(seen).toContain("/zmq?token=a%20b&x=%C3%BC")
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  // libzmq's client writes the path into the request line as given: "/ü" raw is refused by Node's
  // HTTP parser (HPE_INVALID_URL), "/a b" splits the request line. lastEndpoint is escaped, so a
  // libzmq client given it is served.
  itLibzmq("a libzmq client connecting to lastEndpoint of a bind on a non-ASCII or a spaced path is served", async () => {
    for (const path of ["/ü", "/a b", "/a%20b"]) {
      const pull = track(new z.Pull({ linger: 0 }))
      await pull.bind(`ws://127.0.0.1:*${path}`)
      const push = new zmq.Push({ linger: 0 })
      try {
        push.connect(pull.lastEndpoint!)
        await push.send("from libzmq")
        const [m] = await within(pull.receive(), 3000, `libzmq -> ${path}`)
        expect(Buffer.from(m!).toString()).toBe("from libzmq")
      } finally {
        push.close()
      }
    }
  })
})
