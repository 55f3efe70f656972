/**
 * STREAM (libzmq's ZMQ_STREAM) against libzmq: zeromq.js's Stream in this process, and pyzmq's
 * zmq.STREAM in a child process, both directions, over tcp. Raw bytes cross between the two
 * sockets; each side sees the other's connects and disconnects as [id, ""] (ZMQ_STREAM_NOTIFY).
 */
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import { Stream } from "../src/index.js"
import { describeLibzmq, within } from "../test/helpers.js"

const open: { close(): void; closed: boolean }[] = []
const track = <T extends { close(): void; closed: boolean }>(s: T): T => (open.push(s), s)
afterEach(() => {
  for (const s of open.splice(0)) {
    if (s.closed) continue
    ;(s as unknown as { linger: number }).linger = 0
    s.close()
  }
})

type Msg = Buffer[]
type Receiver = { receive(): Promise<Msg> }
const recv = (s: Receiver, what: string) => within(s.receive(), 5000, what)

describeLibzmq("STREAM interop with zeromq.js (libzmq 4.3.5, in process), tcp", () => {
  it("a zeromq.js Stream client against a zmtp Stream server: notify both ways, request, reply, close by empty frame", async () => {
    const server = track(new Stream())
    await server.bind("tcp://127.0.0.1:*")
    const client = track(new zmq.Stream())
    client.connect(server.lastEndpoint!)

    const [clientId, n1] = await recv(server, "server notify")
    expect(n1!.length).toBe(0)
    const [serverId, n2] = await recv(client, "client notify")
    expect(n2!.length).toBe(0)

    await client.send([serverId!, "GET / HTTP/1.0\r\n\r\n"])
    const [from, req] = await recv(server, "request")
    expect(from!.equals(clientId!)).toBe(true)
    expect(req!.toString()).toBe("GET / HTTP/1.0\r\n\r\n")
    await server.send([clientId!, "HTTP/1.0 200 OK\r\n\r\nhi"])
    await server.send([clientId!, ""])

    const [id1, reply] = await recv(client, "reply")
    expect(id1!.equals(serverId!)).toBe(true)
    expect(reply!.toString()).toBe("HTTP/1.0 200 OK\r\n\r\nhi")
    // libzmq's side sees our close as its peer leaving: [id, ""].
    const [id2, gone] = await recv(client, "disconnect notify")
    expect(id2!.equals(serverId!)).toBe(true)
    expect(gone!.length).toBe(0)
  })

  it("a zmtp Stream client (connect with routingId) against a zeromq.js Stream server: 64 KiB each way, then the server closes", async () => {
    const server = track(new zmq.Stream())
    await server.bind("tcp://127.0.0.1:*")
    const client = track(new Stream())
    client.connect(server.lastEndpoint!, { routingId: "upstream" })
    // Routable at once: queued until the connection is up.
    const up = Buffer.alloc(64 * 1024)
    for (let i = 0; i < up.length; i++) up[i] = i & 0xff
    await client.send(["upstream", up])

    const [peer, n1] = await recv(server, "server notify")
    expect(n1!.length).toBe(0)
    const parts: Buffer[] = []
    let got = 0
    while (got < up.length) {
      const [id, data] = await recv(server, "upload")
      expect(id!.equals(peer!)).toBe(true)
      parts.push(data!)
      got += data!.length
    }
    expect(Buffer.concat(parts).equals(up)).toBe(true)

    const down = Buffer.alloc(64 * 1024, 0x5a)
    await server.send([peer!, down])
    await server.send([peer!, ""])
    // libzmq carries the close out only while its application is in a call on the socket.
    void server.receive().catch(() => undefined)

    const [id0, n2] = await recv(client, "client notify")
    expect(id0!.toString()).toBe("upstream")
    expect(n2!.length).toBe(0)
    const back: Buffer[] = []
    for (;;) {
      const [id, data] = await recv(client, "download")
      expect(id!.toString()).toBe("upstream")
      if (data!.length === 0) break
      // libzmq delivers at most 8192 octets a message; so does zmtp.
      expect(data!.length).toBeLessThanOrEqual(8192)
      back.push(data!)
    }
    expect(Buffer.concat(back).equals(down)).toBe(true)
  })
})

/** A pyzmq STREAM in a child process: `mode` "server" binds, "client" connects to `endpoint`. */
const PY = String.raw`
import json, sys, zmq
mode, endpoint = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
s = ctx.socket(zmq.STREAM)
# Linger, so that what was sent just before the close is written (with 0 libzmq may drop the reply).
s.setsockopt(zmq.LINGER, 2000)
s.setsockopt(zmq.RCVTIMEO, 5000)
def out(**kw):
    print(json.dumps(kw), flush=True)
if mode == "server":
    s.bind("tcp://127.0.0.1:*")
    out(event="bound", endpoint=s.getsockopt_string(zmq.LAST_ENDPOINT))
    ident, empty = s.recv_multipart()
    out(event="notify", size=len(empty), idlen=len(ident))
    ident, data = s.recv_multipart()
    out(event="data", text=data.decode())
    s.send_multipart([ident, b"pong:" + data])
    s.send_multipart([ident, b""])
    out(event="closed")
else:
    s.connect(endpoint)
    ident, empty = s.recv_multipart()
    out(event="notify", size=len(empty))
    s.send_multipart([ident, b"hello from pyzmq"])
    ident, data = s.recv_multipart()
    out(event="data", text=data.decode())
    ident2, gone = s.recv_multipart()
    out(event="gone", size=len(gone), same=(ident2 == ident))
s.close()
ctx.term()
`

/** Runs the pyzmq peer; yields its JSON lines as they come. */
function pyPeer(mode: "server" | "client", endpoint = "") {
  const child = spawn("/usr/bin/python3", ["-c", PY, mode, endpoint], { stdio: ["ignore", "pipe", "pipe"] })
  let stderr = ""
  child.stderr.on("data", (d: Buffer) => (stderr += d))
  const lines: Record<string, unknown>[] = []
  const waiters: (() => void)[] = []
  createInterface({ input: child.stdout }).on("line", (l) => {
    lines.push(JSON.parse(l) as Record<string, unknown>)
    for (const w of waiters.splice(0)) w()
  })
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)))
  async function next(event: string): Promise<Record<string, unknown>> {
    const find = () => lines.find((l) => l.event === event)
    while (!find()) {
      await within(new Promise<void>((r) => waiters.push(r)), 8000, `pyzmq ${event} (stderr: ${stderr})`)
    }
    return find()!
  }
  return { next, exited, kill: () => child.kill(), stderr: () => stderr }
}

describe("STREAM interop with pyzmq (a separate process), tcp", () => {
  it("a zmtp Stream client against a pyzmq STREAM server", async () => {
    const py = pyPeer("server")
    try {
      const { endpoint } = (await py.next("bound")) as { endpoint: string }
      const client = track(new Stream())
      client.connect(endpoint)
      const [id, n] = await recv(client, "notify")
      expect(n!.length).toBe(0)
      await client.send([id!, "ping"])
      expect(await py.next("notify")).toMatchObject({ size: 0, idlen: 5 })
      expect(await py.next("data")).toMatchObject({ text: "ping" })
      const [, reply] = await recv(client, "reply")
      expect(reply!.toString()).toBe("pong:ping")
      const [id2, gone] = await recv(client, "disconnect notify")
      expect(id2!.equals(id!)).toBe(true)
      expect(gone!.length).toBe(0)
      expect(await within(py.exited, 8000, "pyzmq exit")).toBe(0)
    } finally {
      py.kill()
    }
  })

  it("a pyzmq STREAM client against a zmtp Stream server", async () => {
    const server = track(new Stream())
    await server.bind("tcp://127.0.0.1:*")
    const py = pyPeer("client", server.lastEndpoint!)
    try {
      const [id, n] = await recv(server, "notify")
      expect(n!.length).toBe(0)
      expect(await py.next("notify")).toMatchObject({ size: 0 })
      const [from, data] = await recv(server, "data")
      expect(from!.equals(id!)).toBe(true)
      expect(data!.toString()).toBe("hello from pyzmq")
      await server.send([id!, "hello from zmtp"])
      await server.send([id!, ""])
      expect(await py.next("data")).toMatchObject({ text: "hello from zmtp" })
      expect(await py.next("gone")).toMatchObject({ size: 0, same: true })
      expect(await within(py.exited, 8000, "pyzmq exit")).toBe(0)
    } finally {
      py.kill()
    }
  })
})
