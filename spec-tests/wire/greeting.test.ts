/**
 * RFC 23/37 greeting and version negotiation, driven from a scripted raw peer:
 * a greeting sent one octet at a time, non-zero padding and filler, a ZMTP 3.0
 * peer, a mechanism mismatch, and ZMTP 1.0 / 2.0 greetings.
 */
import { expect, it } from "vitest"
import { bindSubject, expectDropped, expectServesRawPeer, expectServesRealPeer, rawPeer } from "./helpers.js"
import {
  command,
  greeting,
  greetingV1,
  greetingV2,
  message,
  messageV1,
  parseCommand,
  parseMetadata,
  RawListener,
  ready,
} from "./raw-peer.js"
import { describeSubjects, itKnownLibzmqDeviation, recvStrs, recvWithin, transports, uniqueIpcPath } from "./subjects.js"

describeSubjects("RFC 23/37 wire: greeting", (ctx) => {
  const { zmq } = ctx

  for (const transport of transports) {
    it(`${transport}: a greeting, READY and message sent one octet per write are understood (RFC 23 "Version Negotiation": the peer reads the greeting in parts) [bound REP]`, async () => {
      const { sock, ep } = await bindSubject(ctx, "Reply", transport)
      const peer = await rawPeer(ctx, ep)
      await peer.sendByteByByte(Buffer.concat([greeting(), ready({ "Socket-Type": "DEALER" })]))

      // The subject's own greeting (RFC 37 grammar): signature %xFF padding
      // %x7F, version 3.1, mechanism "NULL" null-padded, as-server 0 for NULL
      // ("When a peer uses the NULL security mechanism, the as-server field
      // MUST be zero"). The padding is "Not significant" and not checked.
      const g = await peer.readGreeting()
      expect(g.raw[0]).toBe(0xff)
      expect(g.signatureEnd & 0x01).toBe(1)
      expect([g.major, g.minor]).toEqual([3, 1])
      expect(g.mechanismRaw).toEqual(Buffer.concat([Buffer.from("NULL"), Buffer.alloc(16)]))
      expect(g.asServer).toBe(0)
      const r = await peer.readCommand()
      expect(r.name).toBe("READY")
      expect(parseMetadata(r.data).get("socket-type")?.toString()).toBe("REP")

      await peer.sendByteByByte(message(["", "one-by-one"]))
      expect(await recvStrs(sock)).toEqual(["one-by-one"])
      await sock.send("ok")
      expect(await peer.readMessageStrs()).toEqual(["", "ok"])
    })

    it(`${transport}: a connecting subject understands a greeting sent one octet per write (RFC 23 "Version Negotiation") [connecting DEALER]`, async () => {
      const listener = await RawListener.listen(transport === "tcp" ? { tcp: true } : { ipcPath: uniqueIpcPath() })
      ctx.defer(() => listener.close())
      const sock = ctx.track(new zmq.Dealer())
      sock.connect(listener.endpoint)
      const peer = await listener.accept()
      await peer.sendByteByByte(Buffer.concat([greeting(), ready({ "Socket-Type": "ROUTER" })]))
      const g = await peer.readGreeting()
      expect([g.major, g.mechanism]).toEqual([3, "NULL"])
      const r = await peer.readCommand()
      expect(r.name).toBe("READY")
      expect(parseMetadata(r.data).get("socket-type")?.toString()).toBe("DEALER")

      await sock.send("from-subject")
      expect(await peer.readMessageStrs()).toEqual(["from-subject"])
      await peer.sendByteByByte(message(["to-subject"]))
      expect(await recvStrs(sock)).toEqual(["to-subject"])
    })
  }

  it(`tcp: non-zero signature padding and filler are ignored (RFC 37 "A peer SHALL NOT assign any significance to the padding field and MUST NOT validate this") [bound ROUTER]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Router", "tcp")
    const peer = await rawPeer(ctx, ep)
    const { greeting: g } = await peer.handshake("DEALER", {
      identity: "filler",
      greeting: { padding: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), filler: Buffer.alloc(31, 0xa5) },
    })
    expect(g.mechanism).toBe("NULL")
    await peer.send(message(["with-filler"]))
    expect(await recvStrs(sock)).toEqual(["filler", "with-filler"])
    await sock.send(["filler", "back"])
    expect(await peer.readMessageStrs()).toEqual(["back"])
  })

  for (const transport of transports) {
    it(`${transport}: a ZMTP 3.0 peer (version-minor 0) is served (RFC 37 "Version Negotiation": a 3.1 peer talks to a 3.0 peer) [bound REP]`, async () => {
      const { sock, ep } = await bindSubject(ctx, "Reply", transport)
      const peer = await rawPeer(ctx, ep)
      const { greeting: g } = await peer.handshake("REQ", { greeting: { minor: 0 } })
      expect(g.major).toBe(3)
      await peer.send(message(["", "from-3.0"]))
      expect(await recvStrs(sock)).toEqual(["from-3.0"])
      await sock.send("to-3.0")
      expect(await peer.readMessageStrs()).toEqual(["", "to-3.0"])
      // PING is a ZMTP 3.1 command (RFC 37 "Connection Heartbeating"); with
      // no heartbeat option the subject sends no command at all.
      expect(peer.skippedCommands).toEqual([])
    })
  }

  it(`tcp: a heartbeating subject (heartbeatInterval set) PINGs a ZMTP 3.1 peer: 'ping = command-size %d4 "PING" ping-ttl ping-context' (RFC 37 "Connection Heartbeating") [bound REP]`, async () => {
    // The control for the 3.0 case below: the same subject and wait, with
    // a 3.1 peer, does send PING, so "no PING" there is not vacuous.
    const { ep } = await bindSubject(ctx, "Reply", "tcp", { heartbeatInterval: 50 })
    const peer = await rawPeer(ctx, ep)
    await peer.handshake("REQ")
    const f = await peer.readFrame()
    expect(f.command).toBe(true)
    const cmd = parseCommand(f.body)
    expect(cmd.name).toBe("PING")
    // ping-ttl is 2 octets; no heartbeatTimeToLive was set, so it is 0.
    expect(cmd.data.length).toBeGreaterThanOrEqual(2)
    expect(cmd.data.length).toBeLessThanOrEqual(18)
    expect(cmd.data.readUInt16BE(0)).toBe(0)
  })

  itKnownLibzmqDeviation(ctx, "libzmq 4.3.5 starts its heartbeat timer in mechanism_ready() whatever the peer's minor version, so it PINGs ZMTP 3.0 peers")(
    `tcp: a heartbeating subject sends no PING to a ZMTP 3.0 peer (PING exists only in ZMTP 3.1, RFC 37 "Connection Heartbeating"; RFC 23 defines no such command) [bound REP]`,
    async () => {
      const { sock, ep } = await bindSubject(ctx, "Reply", "tcp", { heartbeatInterval: 50 })
      const peer = await rawPeer(ctx, ep)
      await peer.handshake("REQ", { greeting: { minor: 0 } })
      // Several heartbeat intervals: a PING would have been sent by now.
      const cmds = await peer.commandsWithin(400)
      expect(cmds.map((c) => c.name)).toEqual([])
      await peer.send(message(["", "still-3.0"]))
      expect(await recvStrs(sock)).toEqual(["still-3.0"])
    },
  )

  for (const transport of transports) {
    it(`${transport}: a mechanism mismatch (PLAIN greeting to a NULL socket) closes the connection and delivers nothing: 'If the mechanism that the peer received does not exactly match the mechanism it sent, it MUST close the connection' (RFC 23 "Authentication and Confidentiality") [bound REP]`, async () => {
      const { sock, ep } = await bindSubject(ctx, "Reply", transport)
      const peer = await rawPeer(ctx, ep)
      // A PLAIN client greeting, its HELLO (RFC 24), and then a message a
      // lenient implementation might wrongly pass on.
      const hello = command("HELLO", Buffer.from("\x04user\x04pass", "latin1"))
      await peer.send(greeting({ mechanism: "PLAIN" }), hello, ready({ "Socket-Type": "DEALER" }), message(["", "plain-smuggled"]))
      await expectDropped(peer)
      await expectServesRealPeer(ctx, sock, "Reply", ep, "after-plain")
    })
  }

  it(`tcp: a mechanism name that only starts like NULL ("NULLX") is a mismatch too ('does not exactly match', RFC 23) [bound ROUTER]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Router", "tcp")
    const peer = await rawPeer(ctx, ep)
    await peer.send(greeting({ mechanism: "NULLX" }), ready({ "Socket-Type": "DEALER", Identity: "x" }), message(["nullx-smuggled"]))
    await expectDropped(peer)
    await expectServesRawPeer(ctx, sock, "Router", ep, "after-nullx")
  })

  /*
   * ZMTP 1.0 and 2.0 peers. RFC 23/37 "Version Negotiation": "A peer MAY
   * downgrade its protocol to talk to a lower protocol peer. If a peer cannot
   * downgrade its protocol to match its peer, it MUST close the connection."
   * Both outcomes conform, so the test accepts either, and checks each one
   * completely:
   *  - downgrade: the message arrives intact and the reply goes back in the
   *    older framing (libzmq 4.3.5 does this for the NULL mechanism when no
   *    ZAP domain is set: zmtp_engine.cpp handshake_v1_0_unversioned /
   *    handshake_v2_0);
   *  - refuse: the connection closes and nothing from it is ever delivered.
   * Either way a well-behaved ZMTP 3 peer is served afterwards.
   */
  async function oldPeerOutcome(
    sock: Awaited<ReturnType<typeof bindSubject>>["sock"],
    peer: Awaited<ReturnType<typeof rawPeer>>,
  ): Promise<"downgraded" | "refused"> {
    // Short receives in turn with a look at the connection, so that no
    // receive is left pending on the subject when the connection closes.
    const deadline = Date.now() + 5000
    while (Date.now() < deadline) {
      const m = await recvWithin(sock, 50)
      if (m) {
        expect(m.map((b) => b.toString())).toEqual(["old-hello"])
        return "downgraded"
      }
      if (peer.closed) break
    }
    expect(peer.closed, "subject neither downgraded nor closed the connection").toBe(true)
    return "refused"
  }

  it(`tcp: a ZMTP 2.0 greeting (RFC 15) followed by a message: the subject either downgrades and answers in ZMTP 2.0 framing, or closes the connection without delivering it (RFC 23 "Backwards Interoperability") [bound REP]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Reply", "tcp")
    const peer = await rawPeer(ctx, ep)
    // RFC 15: signature, revision 1, socket-type REQ, empty identity frame;
    // then a REQ message in ZMTP 2.0 framing (same frame layout as 3.x
    // message frames).
    await peer.send(greetingV2("REQ"), message(["", "old-hello"]))
    const outcome = await oldPeerOutcome(sock, peer)
    if (outcome === "downgraded") {
      await sock.send("old-reply")
      // RFC 23 "Detecting ZMTP 2.0 Peers": the subject answers with the
      // ZMTP 2.0 greeting: signature, its version octet, its socket type
      // (REP = 4), then the identity frame and the reply.
      const head = await peer.readBytes(12)
      expect(head[0]).toBe(0xff)
      expect(head[9]! & 0x01).toBe(1)
      expect(head[11]).toBe(4)
      expect(await peer.readMessageStrs()).toEqual([""]) // identity frame, empty
      expect(await peer.readMessageStrs()).toEqual(["", "old-reply"])
    }
    await expectServesRealPeer(ctx, sock, "Reply", ep, `after-zmtp2-${outcome}`)
  })

  it(`tcp: a ZMTP 1.0 greeting (RFC 13) followed by a message: the subject either downgrades and answers in ZMTP 1.0 framing, or closes the connection without delivering it (RFC 23 "Detecting ZMTP 1.0 and 2.0 Peers") [bound REP]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Reply", "tcp")
    const peer = await rawPeer(ctx, ep)
    // RFC 13: an anonymous identity frame (%x01 %x00), then a request
    // (delimiter, body) in ZMTP 1.0 framing: length (flags + body), flags, body.
    await peer.send(greetingV1(), messageV1(["", "old-hello"]))
    const outcome = await oldPeerOutcome(sock, peer)
    if (outcome === "downgraded") {
      await sock.send("old-reply")
      // The subject's 10-octet pseudo-signature reads, in ZMTP 1.0 framing,
      // as the header of its identity frame (RFC 23: "%xFF size %x7F").
      const sig = await peer.readBytes(10)
      expect(sig[0]).toBe(0xff)
      const idLen = Number(sig.readBigUInt64BE(1)) - 1
      await peer.readBytes(idLen)
      expect(await peer.readMessageStrs(3000, "v1")).toEqual(["", "old-reply"])
    }
    await expectServesRealPeer(ctx, sock, "Reply", ep, `after-zmtp1-${outcome}`)
  })

  it(`tcp: a ZMTP 1.0 identity frame with a long length (%xFF + 8 octets, flags bit 0 clear) is told apart from a ZMTP 3 signature (RFC 23 "Detecting ZMTP 1.0 and 2.0 Peers") [bound REP]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Reply", "tcp")
    const peer = await rawPeer(ctx, ep)
    // %xFF then an 8-octet length, then flags %x00: the 10th octet has its
    // least significant bit clear, so this is ZMTP 1.0, not a signature.
    const longIdentity = Buffer.concat([Buffer.from([0xff]), Buffer.alloc(8), Buffer.from([0x00])])
    longIdentity.writeBigUInt64BE(1n, 1) // identity of 0 octets: length counts the flags octet
    await peer.send(longIdentity, messageV1(["", "old-hello"]))
    const outcome = await oldPeerOutcome(sock, peer)
    if (outcome === "downgraded") {
      await sock.send("old-reply")
      const sig = await peer.readBytes(10)
      await peer.readBytes(Number(sig.readBigUInt64BE(1)) - 1)
      expect(await peer.readMessageStrs(3000, "v1")).toEqual(["", "old-reply"])
    }
    await expectServesRealPeer(ctx, sock, "Reply", ep, `after-zmtp1-long-${outcome}`)
  })
})
