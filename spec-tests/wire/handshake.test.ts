/**
 * RFC 23/37 NULL security handshake, driven from a scripted raw peer: an
 * incompatible Socket-Type, READY metadata that runs past the command, a
 * command other than READY or ERROR, and an ERROR command.
 */
import { expect, it } from "vitest"
import { bindSubject, expectDropped, expectServesRawPeer, expectServesRealPeer, rawPeer, type SubjectKind } from "./helpers.js"
import { command, errorCommand, greeting, message, type PropertySpec, ready } from "./raw-peer.js"
import { describeSubjects, recvStrs, transports } from "./subjects.js"

describeSubjects("RFC 23/37 wire: NULL handshake", (ctx) => {
  /*
   * RFC 23 "The Socket-Type Property": "The peer SHOULD enforce that the
   * other peer is using a valid socket type" (the table of legal pairs), and
   * RFC 28 / RFC 15 "Any other socket combinations SHOULD be handled by
   * silently disconnecting the other peer". libzmq 4.3.5 disconnects without
   * sending ERROR (mechanism.cpp check_socket_type), so only the disconnect is
   * checked here.
   */
  const incompatible: Array<{ kind: SubjectKind; peerType: string; wire: string[] }> = [
    { kind: "Reply", peerType: "PUB", wire: ["", "from-pub"] },
    { kind: "Router", peerType: "REP", wire: ["from-rep"] },
    { kind: "Dealer", peerType: "PUSH", wire: ["from-push"] },
  ]
  for (const { kind, peerType, wire } of incompatible) {
    for (const transport of kind === "Reply" ? transports : (["tcp"] as const)) {
      it(`${transport}: a ${peerType} peer's READY to a ${kind} is refused: the connection closes and its message is never delivered (RFC 23 "The Socket-Type Property") [bound ${kind}]`, async () => {
        const { sock, ep } = await bindSubject(ctx, kind, transport)
        const peer = await rawPeer(ctx, ep)
        await peer.send(greeting(), ready({ "Socket-Type": peerType, Identity: "bad-type" }), message(wire))
        await expectDropped(peer)
        await expectServesRealPeer(ctx, sock, kind, ep, `after-${peerType}`)
      })
    }
  }

  /*
   * RFC 23 "The NULL Security Mechanism": "property = name value; name =
   * short-size 1*255name-char; value = 4OCTET *OCTET". A size that runs past
   * the end of the READY body is malformed: the subject must close the
   * connection (zmq.rs #286 crashed here instead; libzmq mechanism.cpp
   * parse_metadata answers EPROTO).
   */
  const overruns: Array<{ what: string; props: PropertySpec[] | Buffer }> = [
    { what: "a value size larger than the rest of the command", props: [{ name: "Socket-Type", value: "DEALER", declaredLength: 0x100 }] },
    {
      what: "a value size of 2^32-1 after a valid Socket-Type",
      props: [
        { name: "Socket-Type", value: "DEALER" },
        { name: "X-Big", value: "tiny", declaredLength: 0xffffffff },
      ],
    },
    { what: "a name size larger than the rest of the command", props: [{ name: "Socket-Type", value: "DEALER", declaredNameLength: 200 }] },
    // name-size 11, "Socket-Type", then only 2 of the 4 value-size octets.
    { what: "a value size field cut short", props: Buffer.from("\x0bSocket-Type\x00\x00", "latin1") },
  ]
  for (const { what, props } of overruns) {
    it(`tcp: READY metadata with ${what} closes the connection and nothing from it is delivered (RFC 23 "The NULL Security Mechanism" grammar) [bound REP]`, async () => {
      const { sock, ep } = await bindSubject(ctx, "Reply", "tcp")
      const peer = await rawPeer(ctx, ep)
      const readyCmd = Buffer.isBuffer(props) ? command("READY", props) : ready(props)
      await peer.send(greeting(), readyCmd, message(["", "after-bad-ready"]))
      await expectDropped(peer)
      await expectServesRawPeer(ctx, sock, "Reply", ep, "after-overrun")
    })
  }

  it(`ipc: READY metadata whose value size runs past the command closes the connection (RFC 23 "The NULL Security Mechanism") [bound ROUTER]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Router", "ipc")
    const peer = await rawPeer(ctx, ep)
    await peer.send(greeting(), ready([{ name: "Socket-Type", value: "DEALER", declaredLength: 0x7fffffff }]), message(["smuggled"]))
    await expectDropped(peer)
    await expectServesRealPeer(ctx, sock, "Router", ep, "after-overrun-ipc")
  })

  it(`tcp: a command other than READY or ERROR in place of READY closes the connection: 'null = ready *message | error' (RFC 23 "The NULL Security Mechanism") [bound REP]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Reply", "tcp")
    const peer = await rawPeer(ctx, ep)
    await peer.send(greeting(), command("XHELLO", Buffer.from("data")), message(["", "before-ready"]))
    await expectDropped(peer)
    await expectServesRealPeer(ctx, sock, "Reply", ep, "after-no-ready")
  })

  it(`tcp: an ERROR command in the handshake is fatal: 'The peer SHALL treat an incoming ERROR command as fatal, and act by closing the connection' (RFC 23 "Error Handling") [bound DEALER]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Dealer", "tcp")
    const peer = await rawPeer(ctx, ep)
    await peer.send(greeting(), errorCommand("go away"), message(["after-error"]))
    await expectDropped(peer)
    await expectServesRealPeer(ctx, sock, "Dealer", ep, "after-error")
  })

  it(`tcp: a READY with the legal Socket-Type and an unknown extra property is accepted (RFC 23 "Connection Metadata": metadata is a list of properties) [bound ROUTER]`, async () => {
    const { sock, ep } = await bindSubject(ctx, "Router", "tcp")
    const peer = await rawPeer(ctx, ep)
    await peer.send(greeting(), ready({ "Socket-Type": "DEALER", Identity: "meta", "X-Custom": "value", "X-Empty": "" }))
    const g = await peer.readGreeting()
    expect(g.mechanism).toBe("NULL")
    expect((await peer.readCommand()).name).toBe("READY")
    await peer.send(message(["with-meta"]))
    expect(await recvStrs(sock)).toEqual(["meta", "with-meta"])
  })
})
