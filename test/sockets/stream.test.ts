/**
 * STREAM (libzmq's ZMQ_STREAM): plain TCP peers that are not ZeroMQ. Messages are [routing id,
 * bytes]; ids are generated as libzmq does (0x00 + a uint32 counting up) or given to connect();
 * ZMQ_STREAM_NOTIFY announces connects and disconnects as [id, ""]; [id, ""] sent closes that
 * connection; an unknown id is EHOSTUNREACH. Back-pressure: a full receive queue pauses reading, a
 * peer that never reads makes sends wait at sendHighWaterMark (never drop). Behaviour probed
 * against libzmq 4.3.5 through zeromq.js (spec-tests/stream.test.ts and interop/stream.test.ts run
 * the same scenarios against libzmq itself).
 */
import { execFile } from "node:child_process"
import { get, request } from "node:http"
import { connect as netConnect, createServer, type Server, type Socket as NetSocket } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { Dealer, Router, Stream } from "../../src/index.js"
import { bindEndpoint, cleanupIpc, closeAll, nothingArrives, recordEvents, sleep, transports, until, within } from "../helpers.js"

afterEach(cleanupIpc)

/** A plain client connected to a bound Stream's endpoint (tcp or ipc), collecting what it reads. */
async function plainClient(endpoint: string): Promise<{ sock: NetSocket; text: () => string; ended: Promise<void> }> {
  const sock = endpoint.startsWith("tcp://")
    ? netConnect({ host: "127.0.0.1", port: Number(endpoint.slice(endpoint.lastIndexOf(":") + 1)) })
    : netConnect({ path: endpoint.slice("ipc://".length) })
  const chunks: Buffer[] = []
  sock.on("data", (d: Buffer) => chunks.push(d))
  sock.on("error", () => {})
  const ended = new Promise<void>((r) => sock.once("end", () => r()))
  await new Promise<void>((r, j) => {
    sock.once("connect", () => r())
    sock.once("error", j)
  })
  return { sock, text: () => Buffer.concat(chunks).toString(), ended }
}

/** A plain TCP server on loopback; `onConn` runs per connection. */
async function plainServer(onConn: (s: NetSocket) => void): Promise<{ srv: Server; endpoint: string; conns: NetSocket[] }> {
  const conns: NetSocket[] = []
  const srv = createServer((s) => {
    conns.push(s)
    s.on("error", () => {})
    onConn(s)
  })
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()))
  return { srv, endpoint: `tcp://127.0.0.1:${(srv.address() as { port: number }).port}`, conns }
}

function stopServer(s: { srv: Server; conns: NetSocket[] }): void {
  for (const c of s.conns) c.destroy()
  s.srv.close()
}

for (const transport of transports) {
  describe(`STREAM as a server over ${transport}`, () => {
    it("a plain client's connect is [id, ''], its bytes are [id, bytes]; ids are 0x00 + a uint32 counting up", async () => {
      const stream = new Stream()
      const clients: NetSocket[] = []
      try {
        await stream.bind(bindEndpoint(transport))
        const a = await plainClient(stream.lastEndpoint!)
        clients.push(a.sock)
        const [ida, hello] = await within(stream.receive(), 3000, "notify a")
        expect(hello!.length).toBe(0)
        expect(ida!.length).toBe(5)
        expect(ida![0]).toBe(0)
        a.sock.write("hello")
        const [ida2, data] = await within(stream.receive(), 3000, "data a")
        expect(ida2!.equals(ida!)).toBe(true)
        expect(data!.toString()).toBe("hello")
        await stream.send([ida!, "world"])
        await until(() => a.text() === "world", 3000, "reply")

        const b = await plainClient(stream.lastEndpoint!)
        clients.push(b.sock)
        const [idb] = await within(stream.receive(), 3000, "notify b")
        expect((idb!.readUInt32BE(1) - ida!.readUInt32BE(1)) >>> 0).toBe(1)
      } finally {
        for (const c of clients) c.destroy()
        closeAll(stream)
      }
    })

    it("a peer that leaves is announced as [id, ''] after everything it sent", async () => {
      const stream = new Stream()
      try {
        await stream.bind(bindEndpoint(transport))
        const a = await plainClient(stream.lastEndpoint!)
        const [id] = await within(stream.receive(), 3000, "notify")
        a.sock.end("bye")
        const [id1, bye] = await within(stream.receive(), 3000, "bye")
        expect(bye!.toString()).toBe("bye")
        const [id2, gone] = await within(stream.receive(), 3000, "gone")
        expect(gone!.length).toBe(0)
        expect(id1!.equals(id!) && id2!.equals(id!)).toBe(true)
        // The id is gone with the connection.
        await expect(stream.send([id!, "late"])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
      } finally {
        closeAll(stream)
      }
    })

    it("notify false: no empty messages, only data", async () => {
      const stream = new Stream({ notify: false })
      expect(stream.notify).toBe(false)
      try {
        await stream.bind(bindEndpoint(transport))
        const a = await plainClient(stream.lastEndpoint!)
        a.sock.write("first")
        const [, first] = await within(stream.receive(), 3000, "first")
        expect(first!.toString()).toBe("first")
        a.sock.end()
        expect(await nothingArrives(stream, 200)).toBe(true)
      } finally {
        closeAll(stream)
      }
    })

    it("[id, ''] closes that connection after what was queued before it; the id is then unknown; no event", async () => {
      const stream = new Stream()
      const events = recordEvents(stream)
      try {
        await stream.bind(bindEndpoint(transport))
        const a = await plainClient(stream.lastEndpoint!)
        const [id] = await within(stream.receive(), 3000, "notify")
        await stream.send([id!, "HTTP/1.0 200 OK\r\n\r\n"])
        await stream.send([id!, "body"])
        await stream.send([id!, ""])
        await within(a.ended, 3000, "client sees the end")
        expect(a.text()).toBe("HTTP/1.0 200 OK\r\n\r\nbody")
        await expect(stream.send([id!, "more"])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
        // libzmq announces neither a notify nor a disconnect for a connection the application closed.
        expect(await nothingArrives(stream, 150)).toBe(true)
        expect(events.map((e) => e.type)).not.toContain("disconnect")
      } finally {
        closeAll(stream)
      }
    })
  })
}

describe("STREAM sends", () => {
  it("an unknown routing id is EHOSTUNREACH (libzmq's STREAM, whatever mandatory says)", async () => {
    const stream = new Stream()
    try {
      await stream.bind("tcp://127.0.0.1:*")
      await expect(stream.send([Buffer.from("nobody"), "x"])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
      await expect(stream.send([Buffer.from([0, 1, 2, 3, 4]), ""])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
    } finally {
      closeAll(stream)
    }
  })

  it("frames go in pairs: [id, a, b] writes a; [id, x, id, y] writes x and y; [id] alone is ignored; later sends are unaffected", async () => {
    const stream = new Stream()
    let client: NetSocket | undefined
    try {
      await stream.bind("tcp://127.0.0.1:*")
      const a = await plainClient(stream.lastEndpoint!)
      client = a.sock
      const [id] = await within(stream.receive(), 3000, "notify")
      await stream.send([id!, "a", "b"])
      await stream.send([id!, "x", id!, "y"])
      await stream.send([id!])
      await stream.send([id!, "z"])
      await until(() => a.text() === "axyz", 3000, "axyz")
      // An unknown id in any pair refuses the whole message.
      await expect(stream.send([id!, "never", Buffer.from("nobody"), "q"])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
      await stream.send([id!, "!"])
      await until(() => a.text() === "axyz!", 3000, "axyz!")
    } finally {
      client?.destroy()
      closeAll(stream)
    }
  })
})

describe("STREAM as a client", () => {
  it("connect(addr, { routingId }) is routable at once: a request sent before the connection is up goes out", async () => {
    const server = await plainServer((s) => s.on("data", (d) => s.write(`pong:${d}`)))
    const stream = new Stream()
    try {
      stream.connect(server.endpoint, { routingId: "abc" })
      await stream.send(["abc", "ping"])
      const [id, notify] = await within(stream.receive(), 3000, "notify")
      expect(id!.toString()).toBe("abc")
      expect(notify!.length).toBe(0)
      const [id2, reply] = await within(stream.receive(), 3000, "reply")
      expect(id2!.toString()).toBe("abc")
      expect(reply!.toString()).toBe("pong:ping")
    } finally {
      closeAll(stream)
      stopServer(server)
    }
  })

  it("a dropped connection is [id, ''], then it reconnects under the same id with a new [id, '']; events as libzmq's", async () => {
    let accepted = 0
    const server = await plainServer((s) => {
      accepted++
      s.write(`hello${accepted}`)
      if (accepted === 1) setTimeout(() => s.destroy(), 30)
    })
    const stream = new Stream({ reconnectInterval: 20 })
    const events = recordEvents(stream)
    try {
      stream.connect(server.endpoint)
      const got: string[] = []
      let first: Buffer | undefined
      while (got.length < 5) {
        const [id, data] = await within(stream.receive(), 3000, `message ${got.length}`)
        first ??= id
        expect(id!.equals(first!)).toBe(true)
        got.push(data!.toString())
      }
      expect(got).toEqual(["", "hello1", "", "", "hello2"])
      const types = events.map((e) => e.type)
      expect(types).not.toContain("handshake")
      // libzmq's raw engine has no mechanism: its monitor reports a lost raw connection as a failed
      // handshake (EPIPE), then disconnect, then the retry.
      const lost = types.indexOf("handshake:error:other")
      expect(lost).toBeGreaterThan(types.indexOf("connect"))
      expect(types.slice(lost, lost + 3)).toEqual(["handshake:error:other", "disconnect", "connect:retry"])
    } finally {
      closeAll(stream)
      stopServer(server)
    }
  })

  it("[id, ''] on a connect ends it for good: no reconnect", async () => {
    let accepted = 0
    const server = await plainServer(() => accepted++)
    const stream = new Stream({ reconnectInterval: 20 })
    try {
      stream.connect(server.endpoint)
      const [id] = await within(stream.receive(), 3000, "notify")
      await stream.send([id!, ""])
      await until(() => server.conns.length === 1 && server.conns[0]!.readableEnded, 3000, "server sees the end")
      await sleep(200)
      expect(accepted).toBe(1)
      await expect(stream.send([id!, "x"])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
      // The endpoint is still registered, as in libzmq: disconnect() works.
      stream.disconnect(server.endpoint)
    } finally {
      closeAll(stream)
      stopServer(server)
    }
  })
})

describe("STREAM back-pressure and bounded memory", () => {
  it("a peer that never reads: sends wait at sendHighWaterMark and reject with EAGAIN after sendTimeout; nothing is dropped", async () => {
    const stream = new Stream({ sendHighWaterMark: 4, sendTimeout: 300 })
    let client: NetSocket | undefined
    try {
      await stream.bind("tcp://127.0.0.1:*")
      const a = await plainClient(stream.lastEndpoint!)
      client = a.sock
      let received = 0
      a.sock.removeAllListeners("data")
      a.sock.on("data", (d: Buffer) => (received += d.length))
      a.sock.pause()
      const [id] = await within(stream.receive(), 3000, "notify")
      const chunk = Buffer.alloc(64 * 1024, 7)
      let sent = 0
      let refused: unknown
      // Bounded: the kernel's socket buffers, the 256 KiB write budget and 4 queued messages.
      while (sent < 4096) {
        try {
          await stream.send([id!, chunk])
          sent++
        } catch (e) {
          refused = e
          break
        }
      }
      expect(refused).toMatchObject({ code: "EAGAIN" })
      expect(sent).toBeLessThan(4096)
      const q = stream.statistics.queues
      expect(q.length).toBe(1)
      expect(q[0]!.out).toBeLessThanOrEqual(4)
      // Once the peer reads, every accepted message arrives: nothing was dropped.
      a.sock.resume()
      await until(() => received === sent * chunk.length, 10000, `all ${sent} messages`)
    } finally {
      client?.destroy()
      closeAll(stream)
    }
  })

  it("an application that does not receive: reading pauses at receiveHighWaterMark, messages are at most 8192 octets, nothing is lost", async () => {
    const stream = new Stream({ receiveHighWaterMark: 4 })
    let client: NetSocket | undefined
    try {
      await stream.bind("tcp://127.0.0.1:*")
      const a = await plainClient(stream.lastEndpoint!)
      client = a.sock
      await within(stream.receive(), 3000, "notify")
      const total = 8 * 1024 * 1024
      const payload = Buffer.alloc(total)
      for (let i = 0; i < total; i++) payload[i] = (i * 31) & 0xff
      let flushed = false
      a.sock.write(payload, () => (flushed = true))
      await sleep(300)
      // Paused: the peer's 8 MiB did not all leave it, and we hold at most the high-water mark
      // (plus the rest of one read).
      expect(flushed).toBe(false)
      const held = stream.statistics.queues[0]!.in
      expect(held).toBeLessThanOrEqual(4)
      expect(held).toBeGreaterThan(0)
      const parts: Buffer[] = []
      let got = 0
      while (got < total) {
        const [, data] = await within(stream.receive(), 5000, `data at ${got}`)
        expect(data!.length).toBeGreaterThan(0)
        expect(data!.length).toBeLessThanOrEqual(8192)
        parts.push(data!)
        got += data!.length
      }
      expect(got).toBe(total)
      expect(Buffer.concat(parts).equals(payload)).toBe(true)
    } finally {
      client?.destroy()
      closeAll(stream)
    }
  })

  it("many peers that never read cost bounded memory: the queue per peer stays at its mark", async () => {
    const stream = new Stream({ sendHighWaterMark: 2, sendTimeout: 0 })
    const clients: NetSocket[] = []
    try {
      await stream.bind("tcp://127.0.0.1:*")
      const ids: Buffer[] = []
      for (let i = 0; i < 4; i++) {
        const c = await plainClient(stream.lastEndpoint!)
        c.sock.pause()
        clients.push(c.sock)
        ids.push((await within(stream.receive(), 3000, "notify"))[0]!)
      }
      const big = Buffer.alloc(256 * 1024, 1)
      const before = process.memoryUsage().arrayBuffers
      let accepted = 0
      for (let round = 0; round < 400; round++) {
        for (const id of ids) {
          try {
            await stream.send([id, big])
            accepted++
          } catch (e) {
            expect(e).toMatchObject({ code: "EAGAIN" })
          }
        }
      }
      // 1,600 sends of 256 KiB were tried (400 MiB); only what the peers' kernel buffers, the write
      // budget and 2 queued messages per peer could take was accepted, and the same buffer is
      // referenced, not copied. A generous ceiling: 64 MiB more than before.
      expect(accepted).toBeLessThan(1600)
      for (const q of stream.statistics.queues) expect(q.out).toBeLessThanOrEqual(2)
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024)
    } finally {
      for (const c of clients) c.destroy()
      closeAll(stream)
    }
  })
})

describe("STREAM endpoints, events and options", () => {
  it("events on the bind side are libzmq's: bind, accept; a peer that leaves is handshake:error:other (EPIPE) then disconnect; never handshake", async () => {
    const stream = new Stream()
    const events = recordEvents(stream)
    try {
      await stream.bind("tcp://127.0.0.1:*")
      const a = await plainClient(stream.lastEndpoint!)
      await within(stream.receive(), 3000, "notify")
      a.sock.end()
      await within(stream.receive(), 3000, "gone")
      await until(() => events.some((e) => e.type === "disconnect"), 3000, "disconnect")
      expect(events.map((e) => e.type)).toEqual(["bind", "accept", "handshake:error:other", "disconnect"])
      expect(events[2]!.error).toMatchObject({ code: "EPIPE" })
    } finally {
      closeAll(stream)
    }
  })

  it("notify: ZMQ_STREAM_NOTIFY (73), default true, a STREAM option only", () => {
    const stream = new Stream()
    const dealer = new Dealer()
    try {
      expect(stream.notify).toBe(true)
      stream.setBoolOption(73, false)
      expect(stream.notify).toBe(false)
      stream.notify = true
      expect(stream.getBoolOption(73)).toBe(true)
      // libzmq takes only 0 and 1 for it.
      expect(() => stream.setInt32Option(73, 2)).toThrow(expect.objectContaining({ code: "EINVAL" }))
      expect(() => dealer.setBoolOption(73, true)).toThrow(expect.objectContaining({ code: "EINVAL" }))
      expect("notify" in dealer).toBe(false)
      expect(stream.type).toBe(11)
    } finally {
      closeAll(stream, dealer)
    }
  })

  it("a ZMTP peer gets no greeting and is a plain byte peer: a Router's greeting arrives as bytes", async () => {
    const stream = new Stream()
    const router = new Router()
    try {
      await stream.bind("tcp://127.0.0.1:*")
      router.connect(stream.lastEndpoint!)
      const [, notify] = await within(stream.receive(), 3000, "notify")
      expect(notify!.length).toBe(0)
      const [, greeting] = await within(stream.receive(), 3000, "greeting bytes")
      // RFC 23 greeting signature: 0xFF, 8 padding octets, 0x7F.
      expect(greeting![0]).toBe(0xff)
      expect(greeting![9]).toBe(0x7f)
    } finally {
      closeAll(stream, router)
    }
  })
})

/** A minimal HTTP/1.1 server on a Stream: answers each request, then closes the connection. */
async function httpOnStream(stream: Stream): Promise<void> {
  const pending = new Map<string, string>()
  for await (const [id, data] of stream) {
    const key = id!.toString("hex")
    if (data!.length === 0) {
      pending.delete(key)
      continue
    }
    const text = (pending.get(key) ?? "") + data!.toString("latin1")
    if (!text.includes("\r\n\r\n")) {
      pending.set(key, text)
      continue
    }
    pending.delete(key)
    const path = text.split(" ")[1]
    const body = `Hello from ${path}`
    await stream.send([id!, `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`])
    await stream.send([id!, ""])
  }
}

describe("STREAM serves HTTP/1.1", () => {
  it("answers Node's http client", async () => {
    const stream = new Stream()
    try {
      await stream.bind("tcp://127.0.0.1:*")
      const serving = httpOnStream(stream)
      const url = stream.lastEndpoint!.replace("tcp://", "http://") + "/foo"
      const res = await within(
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          get(url, (r) => {
            let body = ""
            r.setEncoding("utf8")
            r.on("data", (d: string) => (body += d))
            r.on("end", () => resolve({ status: r.statusCode!, body }))
          }).on("error", reject)
        }),
        5000,
        "http.get",
      )
      expect(res).toEqual({ status: 200, body: "Hello from /foo" })
      // A POST with a body, on a new connection.
      const post = await within(
        new Promise<string>((resolve, reject) => {
          const req = request(url.replace("/foo", "/bar"), { method: "POST", agent: false }, (r) => {
            let body = ""
            r.on("data", (d: Buffer) => (body += d))
            r.on("end", () => resolve(body))
          })
          req.on("error", reject)
          req.end()
        }),
        5000,
        "http POST",
      )
      expect(post).toBe("Hello from /bar")
      stream.close()
      await serving
    } finally {
      closeAll(stream)
    }
  })

  it("answers curl (skipped with a message if curl is absent)", async (ctx) => {
    const curl = await new Promise<string | undefined>((r) => execFile("which", ["curl"], (e, out) => r(e ? undefined : out.trim())))
    if (!curl) {
      console.warn("curl is not installed: the curl check of the STREAM HTTP test is skipped")
      ctx.skip()
      return
    }
    const stream = new Stream()
    try {
      await stream.bind("tcp://127.0.0.1:*")
      const serving = httpOnStream(stream)
      const url = stream.lastEndpoint!.replace("tcp://", "http://") + "/curl"
      const out = await within(
        new Promise<string>((resolve, reject) => execFile(curl, ["-s", "--http1.1", "--max-time", "5", url], (e, o) => (e ? reject(e) : resolve(o)))),
        8000,
        "curl",
      )
      expect(out).toBe("Hello from /curl")
      stream.close()
      await serving
    } finally {
      closeAll(stream)
    }
  })
})

describe("STREAM over inproc", () => {
  it("carries bytes between two STREAMs with no notify messages, as libzmq's inproc (pipes joined without an engine)", async () => {
    const a = new Stream()
    const b = new Stream()
    try {
      await a.bind("inproc://stream-inproc-test")
      b.connect("inproc://stream-inproc-test", { routingId: "abc" })
      await b.send(["abc", "hi"])
      const [id, data] = await within(a.receive(), 3000, "hi")
      expect(data!.toString()).toBe("hi")
      await a.send([id!, "back"])
      const [id2, back] = await within(b.receive(), 3000, "back")
      expect(id2!.toString()).toBe("abc")
      expect(back!.toString()).toBe("back")
      expect(await nothingArrives(a, 100)).toBe(true)
    } finally {
      closeAll(a, b)
    }
  })
})
