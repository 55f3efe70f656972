/**
 * RFC 23/37 traffic after the handshake, driven from a scripted raw peer:
 * unknown commands, PING/PONG, frames over maxMessageSize, and long frames
 * that declare sizes near 2^64 (the CVE-2019-6250 class).
 */
import { expect, it } from "vitest"
import { bindSubject, exchangeOver, expectDropped, expectServesRawPeer, expectServesRealPeer, rawPeer } from "./helpers.js"
import { command, COMMAND, frame, greeting, LONG, message, MORE, ping, ready } from "./raw-peer.js"
import { describeSubjects, recvStrs, transports } from "./subjects.js"

describeSubjects("RFC 23/37 wire: traffic", (ctx) => {
  for (const transport of transports) {
    it(`${transport}: unknown commands after the handshake are ignored and the connection carries on (RFC 37 "Commands": 'Commands are used by the ZMTP implementation and not generally visible to the application') [bound REP]`, async () => {
      const { sock, ep } = await bindSubject(ctx, "Reply", transport)
      const peer = await rawPeer(ctx, ep)
      await peer.handshake("DEALER")
      await peer.send(
        command("XUNKNOWN", Buffer.from("some data")),
        command("FUTURE", Buffer.alloc(300, 0x41), { long: true }), // a long command frame (%x06)
        command("NODATA"),
        message(["", "after-unknown"]),
      )
      expect(await recvStrs(sock)).toEqual(["after-unknown"])
      await sock.send("still-open")
      expect(await peer.readMessageStrs()).toEqual(["", "still-open"])
      expect(peer.closed).toBe(false)
    })
  }

  /*
   * RFC 37 "Connection Heartbeating": "When a peer receives a PING command it
   * SHALL respond with a PONG command that echoes the ping-context, which may
   * be empty and MUST not exceed 16 octets". No heartbeat option is set on
   * the subject: libzmq 4.3.5 answers PING whatever its own heartbeat options
   * (zmtp_engine.cpp process_heartbeat_message). The PONG it sends is a short
   * command frame %x04, size, then %x04 "PONG" and the context octets, nothing
   * else.
   */
  const contexts: Array<{ what: string; ctx: Buffer }> = [
    { what: "an empty context", ctx: Buffer.alloc(0) },
    { what: "a short context", ctx: Buffer.from("ctx-7") },
    { what: "a 16-octet binary context", ctx: Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0x80, 0x7f, 8, 9, 10, 11, 12, 13, 14, 0]) },
  ]
  for (const { what, ctx: pingCtx } of contexts) {
    it(`tcp: PING with ${what} is answered by a PONG echoing it exactly (RFC 37 "Connection Heartbeating") [bound ROUTER, no heartbeat option]`, async () => {
      const { sock, ep } = await bindSubject(ctx, "Router", "tcp")
      const peer = await rawPeer(ctx, ep)
      await peer.handshake("DEALER", { identity: "pinger" })
      await peer.send(ping(0, pingCtx))
      const f = await peer.readFrame()
      expect(f.flags).toBe(COMMAND)
      expect(f.body).toEqual(Buffer.concat([Buffer.from("\x04PONG", "latin1"), pingCtx]))
      // The heartbeat did not disturb the connection.
      await exchangeOver(peer, sock, "Router", "after-ping", "pinger")
    })
  }

  it(`ipc: PING between messages is answered and the messages are unaffected (RFC 37 'traffic = *(command | message)') [bound DEALER]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Dealer", "ipc")
    const peer = await rawPeer(ctx, ep)
    await peer.handshake("DEALER")
    await peer.send(message(["a", "b"]), ping(0, "mid"), message(["c"]))
    expect(await recvStrs(sock)).toEqual(["a", "b"])
    expect(await recvStrs(sock)).toEqual(["c"])
    const f = await peer.readFrame()
    expect(f.body.toString("latin1")).toBe("\x04PONGmid")
  })

  /*
   * maxMessageSize (ZMQ_MAXMSGSIZE) bounds each inbound frame: a peer that
   * declares a larger one is disconnected before anything of it is
   * delivered (DESIGN.md "Validate before you allocate"; libzmq
   * v2_decoder.cpp size_ready fails with EMSGSIZE). A frame of exactly the
   * limit is still legal.
   */
  const LIMIT = 64
  const oversized: Array<{ what: string; bytes: Buffer }> = [
    { what: "a short frame one octet over", bytes: message(["", "x".repeat(LIMIT + 1)]) },
    { what: "a long-encoded frame over", bytes: Buffer.concat([frame("", { more: true }), frame("y".repeat(300))]) },
    // The size alone must trigger the drop: only the header is sent.
    { what: "a frame header declaring 1 MiB (body never sent)", bytes: Buffer.concat([frame("", { more: true }), frame("", { declaredSize: 1n << 20n })]) },
  ]
  for (const { what, bytes } of oversized) {
    it(`tcp: ${what} maxMessageSize (${LIMIT}) drops the connection and delivers nothing; a frame of exactly ${LIMIT} octets is then delivered [bound REP, maxMessageSize ${LIMIT}]`, async () => {
      const { sock, ep } = await bindSubject(ctx, "Reply", "tcp", { maxMessageSize: LIMIT })
      const peer = await rawPeer(ctx, ep)
      await peer.handshake("DEALER")
      await peer.send(bytes)
      await expectDropped(peer)
      // A well-behaved peer, at the limit.
      const good = await rawPeer(ctx, ep)
      await good.handshake("DEALER")
      const atLimit = "z".repeat(LIMIT)
      await good.send(message(["", atLimit]))
      expect(await recvStrs(sock)).toEqual([atLimit])
      await sock.send("fits")
      expect(await good.readMessageStrs()).toEqual(["", "fits"])
    })
  }

  it(`ipc: a frame over maxMessageSize drops the connection [bound ROUTER, maxMessageSize ${LIMIT}]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Router", "ipc", { maxMessageSize: LIMIT })
    const peer = await rawPeer(ctx, ep)
    await peer.handshake("DEALER", { identity: "big" })
    await peer.send(message(["q".repeat(LIMIT + 1)]))
    await expectDropped(peer)
    await expectServesRealPeer(ctx, sock, "Router", ep, "after-big-ipc")
  })

  /*
   * CVE-2019-6250 class: a long frame whose 8-octet size is near 2^64. RFC 37
   * "Framing": "A long frame has a body of 0 to 2^63-1 octets", so 2^63 and
   * above are protocol errors; a size near 2^64 must not wrap an allocation
   * or pointer sum. With no maxMessageSize set, the subject must still drop
   * the connection (libzmq 4.3.5: msg.cpp init_size checks the overflow and
   * fails with ENOMEM) and stay up.
   */
  const MAX64 = (1n << 64n) - 1n
  const huge: Array<{ what: string; flags: number; size: bigint; afterHandshake: boolean }> = [
    { what: "message frame of 2^64-1", flags: LONG, size: MAX64, afterHandshake: true },
    { what: "message frame of 2^64-32 with MORE", flags: LONG | MORE, size: MAX64 - 31n, afterHandshake: true },
    { what: "message frame of 2^63", flags: LONG, size: 1n << 63n, afterHandshake: true },
    { what: "command frame of 2^64-1", flags: LONG | COMMAND, size: MAX64, afterHandshake: true },
    { what: "command frame of 2^64-1 in place of READY", flags: LONG | COMMAND, size: MAX64, afterHandshake: false },
  ]
  for (const { what, flags, size, afterHandshake } of huge) {
    it(`tcp: a long ${what} drops the connection without delivering anything (RFC 37 "Framing"; CVE-2019-6250 class) [bound REP, no maxMessageSize]`, async () => {
      const { sock, ep } = await bindSubject(ctx, "Reply", "tcp")
      const peer = await rawPeer(ctx, ep)
      if (afterHandshake) {
        await peer.handshake("DEALER")
        await peer.send(frame("", { more: true }))
      } else await peer.send(greeting())
      const head = Buffer.alloc(9)
      head[0] = flags
      head.writeBigUInt64BE(size, 1)
      // The header and a little body: a subject that trusted the size would
      // wait for (or allocate) exabytes.
      await peer.send(head, Buffer.alloc(64, 0x5a))
      await expectDropped(peer)
      await expectServesRawPeer(ctx, sock, "Reply", ep, "after-huge")
    })
  }

  it(`tcp: a READY that arrives in several writes, split inside its size field and property, is understood (RFC 37 "Framing") [bound REP]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Reply", "tcp")
    const peer = await rawPeer(ctx, ep)
    const r = ready({ "Socket-Type": "REQ" })
    await peer.sendInStages([greeting().subarray(0, 11), greeting().subarray(11), r.subarray(0, 1), r.subarray(1, 9), r.subarray(9)])
    await peer.readGreeting()
    expect((await peer.readCommand()).name).toBe("READY")
    const m = message(["", "staged"])
    await peer.sendInStages([m.subarray(0, 3), m.subarray(3)])
    expect(await recvStrs(sock)).toEqual(["staged"])
  })
})
