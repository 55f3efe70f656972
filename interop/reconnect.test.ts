/**
 * Reconnection against libzmq. A libzmq peer closes; a new one binds the same endpoint; the
 * subject's connecting socket must reconnect on its own (ZMQ_RECONNECT_IVL), complete a fresh
 * ZMTP handshake, and carry traffic again. The new libzmq socket's monitor reporting
 * ZMQ_EVENT_HANDSHAKE_SUCCEEDED is libzmq's own word that the subject's greeting, NULL mechanism and
 * READY (RFC 23 / RFC 37) were accepted.
 *
 * The reverse case, with the subject bound and a second libzmq peer connecting after the first
 * left, checks that the subject serves a new connection after losing one.
 */
import { expect, test } from "vitest"
import { assertFrames } from "./frames.js"
import type { LibzmqPeer, PeerSocket, SocketType } from "./peers.js"
import {
  SUBJECT_LABEL,
  TRANSPORTS,
  type SubjectSocket,
  bindEndpoint,
  closeAll,
  describeEachPeer,
  sleep,
  subjectReceive,
  subjectSend,
  subjectSocket,
} from "./subject.js"

/** Binds, retrying while the old listener is still being torn down (libzmq closes asynchronously). */
async function bindRetrying(sock: PeerSocket, endpoint: string): Promise<string> {
  const deadline = Date.now() + 5_000
  for (;;) {
    try {
      return await sock.bind(endpoint)
    } catch (err) {
      if ((err as { code?: string }).code !== "EADDRINUSE" || Date.now() > deadline) throw err
      await sleep(20)
    }
  }
}

/** A libzmq echo socket of `type` with its monitor on, bound at `endpoint`. */
async function echoServer(peer: LibzmqPeer, type: SocketType, endpoint: string): Promise<{ sock: PeerSocket; endpoint: string }> {
  const sock = await peer.socket(type, { monitor: true })
  try {
    const bound = await bindRetrying(sock, endpoint)
    await sock.echo()
    return { sock, endpoint: bound }
  } catch (err) {
    await sock.close()
    throw err
  }
}

describeEachPeer("reconnect", (peer, peerName) => {
  for (const transport of TRANSPORTS) {
    // DEALER -> ROUTER echo, and REQ -> REP echo (a REQ must also get back to its send state).
    for (const [clientType, serverType] of [
      ["DEALER", "ROUTER"],
      ["REQ", "REP"],
    ] as const) {
      test(`${SUBJECT_LABEL} ${clientType} reconnects to a new ${peerName} ${serverType} on the same ${transport} endpoint`, async () => {
        let first: PeerSocket | undefined
        let second: PeerSocket | undefined
        let client: SubjectSocket | undefined
        try {
          const server1 = await echoServer(peer(), serverType, bindEndpoint(transport))
          first = server1.sock
          const endpoint = server1.endpoint
          client = await subjectSocket(clientType, { reconnectInterval: 20 })
          client.connect(endpoint)

          const before = [Buffer.from("before"), Buffer.alloc(300, 1)]
          await subjectSend(client, before, `${clientType} send before`)
          assertFrames(await subjectReceive(client, `${clientType} receive before`), before, "echo before the restart")
          const handshake1 = await first.waitForEvent("HANDSHAKE_SUCCEEDED")
          expect(handshake1.name).toBe("HANDSHAKE_SUCCEEDED")

          await first.close()
          first = undefined
          const server2 = await echoServer(peer(), serverType, endpoint)
          second = server2.sock
          expect(server2.endpoint).toBe(endpoint)

          // libzmq's word that the subject came back and completed a new ZMTP handshake.
          const handshake2 = await second.waitForEvent("HANDSHAKE_SUCCEEDED", 15_000)
          expect(handshake2.name).toBe("HANDSHAKE_SUCCEEDED")

          for (let i = 0; i < 3; i++) {
            const after = [Buffer.from(`after ${i}`), Buffer.alloc(256 + i, i)]
            await subjectSend(client, after, `${clientType} send after ${i}`)
            assertFrames(await subjectReceive(client, `${clientType} receive after ${i}`), after, `echo ${i} after the restart`)
          }
        } finally {
          closeAll(client)
          await first?.close()
          await second?.close()
        }
      })
    }

    test(`${SUBJECT_LABEL} ROUTER bound on ${transport} serves a new ${peerName} DEALER after the first one closed`, async () => {
      let router: SubjectSocket | undefined
      const dealers: PeerSocket[] = []
      try {
        router = await subjectSocket("ROUTER")
        await router.bind(bindEndpoint(transport))
        const endpoint = router.lastEndpoint!
        const r = router
        for (const round of [1, 2]) {
          const dealer = await peer().socket("DEALER", { monitor: true })
          dealers.push(dealer)
          await dealer.connect(endpoint)
          const body = Buffer.from(`round ${round}`)
          await dealer.send([body])
          const [id, ...rest] = await subjectReceive(r, `ROUTER receive round ${round}`)
          assertFrames(rest, [body], `ROUTER got round ${round}`)
          await subjectSend(r, [id!, Buffer.from(`reply ${round}`)], `ROUTER reply round ${round}`)
          assertFrames(await dealer.receive(), [Buffer.from(`reply ${round}`)], `${peerName} DEALER reply round ${round}`)
          const handshake = await dealer.waitForEvent("HANDSHAKE_SUCCEEDED")
          expect(handshake.name).toBe("HANDSHAKE_SUCCEEDED")
          await dealer.close()
        }
      } finally {
        closeAll(router)
        for (const d of dealers) await d.close()
      }
    })
  }
})
