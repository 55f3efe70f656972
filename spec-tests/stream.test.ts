/**
 * STREAM (libzmq's ZMQ_STREAM; no RFC: zmq_socket(3) "ZMQ_STREAM" is the contract), the scenarios of
 * libzmq's tests/test_stream.cpp, test_stream_empty.cpp and test_stream_disconnect.cpp re-expressed
 * through the zeromq.js v6 API, run against zmtp and against libzmq. libzmq's tests use tcp; its
 * STREAM takes ipc too (probed: libzmq 4.3.5 binds and connects a STREAM over ipc), so they run
 * over both here.
 */
import { expect, it } from "vitest"
import { type AnySocket, type Ctx, describeSubjects, EventCounter, nothingWithin, recv, recvStrs, recvWithin, transports } from "./subjects.js"

type StreamSocket = InstanceType<Ctx["zmq"]["Stream"]>

/** What a STREAM received from one peer, as a byte stream: messages are cut wherever the reads fell. */
class PeerBytes {
  private buf = Buffer.alloc(0)
  constructor(
    private readonly stream: StreamSocket,
    private readonly id: Buffer,
  ) {}

  /** The next `n` octets from the peer, however many messages they come in. */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      const [id, data] = await recv(this.stream as unknown as AnySocket)
      // "the first message part shall be the routing id of the peer" (zmq_socket(3)): each time.
      expect(id!.equals(this.id)).toBe(true)
      expect(data!.length).toBeGreaterThan(0)
      this.buf = Buffer.concat([this.buf, data!])
    }
    const out = this.buf.subarray(0, n)
    this.buf = this.buf.subarray(n)
    return out
  }
}

/** A ZMTP 3.1 NULL greeting as libzmq's test sends it (the 8-octet length field set to 1, RFC 23 backwards compatibility). */
function greeting(): Buffer {
  const g = Buffer.alloc(64)
  g[0] = 0xff
  g[8] = 1
  g[9] = 0x7f
  g[10] = 3
  g[11] = 1
  g.write("NULL", 12, "latin1")
  return g
}

const bytes = (s: string) => Buffer.from(s, "latin1")

describeSubjects("libzmq ZMQ_STREAM", (ctx) => {
  const { zmq } = ctx
  const newStream = (o: Record<string, unknown> = {}) => ctx.track(new zmq.Stream(o)) as unknown as StreamSocket
  const anyOf = (s: StreamSocket) => s as unknown as AnySocket

  for (const transport of transports) {
    it(`${transport}: a STREAM speaks ZMTP by hand to a DEALER: notify, greeting, READY, "Hello"/"World", then 64000 octets [libzmq test_stream: test_stream_to_dealer]`, async () => {
      const stream = newStream({ linger: 0, notify: true })
      const ep = await ctx.bindFresh(anyOf(stream), transport)
      const dealer = ctx.track(new zmq.Dealer({ linger: 0 }))
      dealer.connect(ep)
      await dealer.send("Hello")

      // "When a connection is made, a zero-length message will be received by the application."
      const [id, empty] = await recv(anyOf(stream))
      expect(empty!.length).toBe(0)
      const peer = new PeerBytes(stream, id!)

      // The greeting's signature comes first (libzmq's DEALER sends it alone and waits for ours;
      // zmtp's sends its whole greeting at once, RFC 23: either is cut out of the same octets).
      const sig = await peer.take(10)
      expect(sig[0]).toBe(0xff)
      expect(sig[9]).toBe(0x7f)
      await stream.send([id!, greeting()])

      // The rest of the greeting and the READY command: 54 + 43 octets.
      const rest = await peer.take(97)
      expect([rest[0], rest[1]]).toEqual([3, 1])
      expect(rest.subarray(2, 22).equals(Buffer.concat([bytes("NULL"), Buffer.alloc(16)]))).toBe(true)
      expect(rest.subarray(54, 62).equals(bytes("\x04\x29\x05READY"))).toBe(true)
      expect(rest.subarray(62, 84).equals(bytes("\x0bSocket-Type\0\0\0\x06DEALER"))).toBe(true)
      expect(rest.subarray(84, 97).equals(bytes("\x08Identity\0\0\0\0"))).toBe(true)

      // Our READY, as a ROUTER with an empty identity.
      await stream.send([id!, bytes("\x04\x29\x05READY\x0bSocket-Type\0\0\0\x06ROUTER\x08Identity\0\0\0\0")])

      // The DEALER's "Hello": flags 0, size 5.
      expect((await peer.take(7)).equals(bytes("\0\x05Hello"))).toBe(true)
      await stream.send([id!, bytes("\0\x05World")])
      expect(await recvStrs(dealer)).toEqual(["World"])

      // A large message: a long frame (flags 0x02, 8-octet size), read in as many chunks as it takes.
      await dealer.send(Buffer.alloc(64000, 0xab))
      const big = await peer.take(9 + 64000)
      expect(big[0]).toBe(0x02)
      expect(big.readBigUInt64BE(1)).toBe(64000n)
      expect(big.subarray(9).equals(Buffer.alloc(64000, 0xab))).toBe(true)
    })

    it(`${transport}: STREAM to STREAM: both are notified, an HTTP request and its reply, then an empty frame closes [libzmq test_stream: test_stream_to_stream]`, async () => {
      const server = newStream({ notify: true })
      const ep = await ctx.bindFresh(anyOf(server), transport)
      const client = newStream({ notify: true })
      client.connect(ep)

      const [, s0] = await recv(anyOf(server))
      expect(s0!.length).toBe(0)
      const [serverId, c0] = await recv(anyOf(client))
      expect(c0!.length).toBe(0)

      await client.send([serverId!, "GET /\n\n"])
      const [clientId, req] = await recv(anyOf(server))
      expect(req!.toString()).toBe("GET /\n\n")

      // libzmq's test sends the reply with its terminating 0x00 (sizeof), then the empty frame.
      const response = bytes("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nHello, World!\0")
      await server.send([clientId!, response])
      await server.send([clientId!, ""])
      const [id, reply] = await recv(anyOf(client))
      expect(id!.equals(serverId!)).toBe(true)
      expect(reply!.equals(response)).toBe(true)
    })

    it(`${transport}: an empty frame sent to a peer that sent an empty ZMTP message is accepted, and the id is gone [libzmq test_stream_empty]`, async () => {
      const stream = newStream()
      const ep = await ctx.bindFresh(anyOf(stream), transport)
      const dealer = ctx.track(new zmq.Dealer({ linger: 0 }))
      const dealerEvents = new EventCounter(dealer)
      dealer.connect(ep)
      await dealer.send("")
      const [id] = await recv(anyOf(stream))
      await stream.send([id!, ""])
      // libzmq carries out the close (the pipe's termination) only while its application is in a
      // call on the socket, as an application waiting for its next message is.
      const seen: Buffer[][] = []
      const reading = (async () => {
        for (;;) {
          const m = await recvWithin(anyOf(stream), 300)
          if (!m) return
          seen.push(m)
        }
      })()
      await dealerEvents.waitFor("disconnect", 1, 3000)
      await reading
      // No notification for the connection the application closed: what still comes under its id
      // is data the DEALER had sent before (its greeting). It comes back under a new id.
      for (const [from, data] of seen) if (from!.equals(id!)) expect(data!.length).toBeGreaterThan(0)
      // "Unroutable messages will cause an error" (zeromq.js's Stream): EHOSTUNREACH.
      await expect(stream.send([id!, "x"])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
    })

    it(`${transport}: a dialogue, then the client closes with an empty frame: the server is notified with [id, ""], and the client does not reconnect [libzmq test_stream_disconnect]`, async () => {
      const server = newStream({ notify: true })
      const ep = await ctx.bindFresh(anyOf(server), transport)
      const client = newStream({ notify: true })
      client.connect(ep)
      const [clientAtServer, s0] = await recv(anyOf(server))
      expect(s0!.length).toBe(0)
      const [serverAtClient, c0] = await recv(anyOf(client))
      expect(c0!.length).toBe(0)

      await client.send([serverAtClient!, "i can haz cheez burger?"])
      const [id1, m1] = await recv(anyOf(server))
      expect(id1!.equals(clientAtServer!)).toBe(true)
      expect(m1!.toString()).toBe("i can haz cheez burger?")
      await server.send([id1!, "y u no disonnect?"])
      const [id2, m2] = await recv(anyOf(client))
      expect(id2!.equals(serverAtClient!)).toBe(true)
      expect(m2!.toString()).toBe("y u no disonnect?")
      await client.send([id2!, ""])

      // libzmq's test polls both sockets throughout; libzmq carries out the client's close only
      // while its application is in a call on that socket.
      const atClient = recvWithin(anyOf(client), 300)
      // "0-length frame is a disconnection notification."
      const [id3, m3] = await recv(anyOf(server))
      expect(id3!.equals(clientAtServer!)).toBe(true)
      expect(m3!.length).toBe(0)
      expect(await atClient).toBeUndefined()
      expect(await nothingWithin(anyOf(server), 100)).toBe(true)
    })
  }

  it("an unknown routing id: EHOSTUNREACH (zmq_socket(3) ZMQ_STREAM: unroutable messages cause an error)", async () => {
    const stream = newStream()
    await ctx.bindFresh(anyOf(stream), "tcp")
    await expect(stream.send([Buffer.from([0, 1, 2, 3, 4]), "x"])).rejects.toMatchObject({ code: "EHOSTUNREACH" })
  })
})
