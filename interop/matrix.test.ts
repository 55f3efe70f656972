/**
 * The interop matrix: every compatible socket pair of RFC 28, with the subject (zmtp) on either side,
 * either side binding, over tcp and ipc, against both libzmq builds. Each combination opens one
 * connection and sends every message shape over it in both directions, comparing bytes exactly on
 * the receiving side, whichever implementation that is.
 *
 * Envelopes follow RFC 28: a REQ prefixes an empty delimiter frame that a REP strips and a ROUTER
 * shows; a ROUTER prefixes the peer's routing id on receive and routes on it on send.
 */
import { describe, expect, test } from "vitest"
import type { Router } from "zeromq"
import { SHAPES, assertFrames, replyTo } from "./frames.js"
import type { PeerSocket, SocketType } from "./peers.js"
import {
  SUBJECT_LABEL,
  TRANSPORTS,
  type SubjectSocket,
  type Transport,
  bindEndpoint,
  closeAll,
  describeEachPeer,
  sendWhenRoutable,
  subjectReceive,
  subjectSend,
  subjectSocket,
} from "./subject.js"

/** A compatible pair (RFC 28). The client sends first; the server answers. */
interface Pair {
  client: SocketType
  server: SocketType
  /** ROUTER-ROUTER: how the connecting client learns the address of the bound server. */
  routerIds?: "known ids" | "connectRoutingId"
}

const PAIRS: readonly Pair[] = [
  { client: "REQ", server: "REP" },
  { client: "REQ", server: "ROUTER" },
  { client: "DEALER", server: "REP" },
  { client: "DEALER", server: "ROUTER" },
  { client: "DEALER", server: "DEALER" },
  // A ROUTER drops what it cannot route, so the client needs the server's address before it
  // speaks: either the server's ZMQ_ROUTING_ID learned in the handshake, or a ZMQ_CONNECT_ROUTING_ID
  // alias the client gives the connection itself. The client connects; the server binds.
  { client: "ROUTER", server: "ROUTER", routerIds: "known ids" },
  { client: "ROUTER", server: "ROUTER", routerIds: "connectRoutingId" },
]

/** One side of a connection, whichever implementation it is. */
interface End {
  label: string
  bind(endpoint: string): Promise<string>
  connect(endpoint: string): Promise<void>
  send(frames: Buffer[]): Promise<void>
  receive(what: string): Promise<Buffer[]>
  close(): Promise<void>
}

function subjectEnd(sock: SubjectSocket, label: string, connectRoutingId?: string): End {
  return {
    label,
    bind: async (ep) => {
      await sock.bind(ep)
      return sock.lastEndpoint ?? ep
    },
    connect: async (ep) => {
      // ZMQ_CONNECT_ROUTING_ID is an option of Router.connect() in zeromq.js v6, whose API zmtp mirrors.
      if (connectRoutingId !== undefined) (sock as Router).connect(ep, { routingId: connectRoutingId })
      else sock.connect(ep)
    },
    send: (frames) => subjectSend(sock, frames, `${label} send`),
    receive: (what) => subjectReceive(sock, `${label} receive ${what}`),
    close: async () => closeAll(sock),
  }
}

function peerEnd(sock: PeerSocket, label: string): End {
  return {
    label,
    bind: (ep) => sock.bind(ep),
    connect: (ep) => sock.connect(ep),
    send: (frames) => sock.send(frames),
    receive: () => sock.receive(),
    close: () => sock.close(),
  }
}

let idCounter = 0
const EMPTY = Buffer.alloc(0)

describeEachPeer("matrix", (peer, peerName) => {
  for (const transport of TRANSPORTS) {
    describe(transport, () => {
      for (const pair of PAIRS) {
        const pairName = `${pair.client}-${pair.server}${pair.routerIds ? ` (${pair.routerIds})` : ""}`
        for (const subjectRole of ["client", "server"] as const) {
          // ROUTER-ROUTER: the client must connect, so the binder follows from the role.
          const binders = pair.routerIds ? (["server"] as const) : (["client", "server"] as const)
          for (const binder of binders) {
            const roles = subjectRole === "client" ? `${SUBJECT_LABEL} ${pair.client} -> ${peerName} ${pair.server}` : `${peerName} ${pair.client} -> ${SUBJECT_LABEL} ${pair.server}`
            const title = `${pairName}: ${roles}, ${binder === subjectRole ? SUBJECT_LABEL : peerName} binds`
            test(title, () => exchange(pair, subjectRole, binder, transport))
          }
        }
      }
    })
  }

  async function exchange(pair: Pair, subjectRole: "client" | "server", binder: "client" | "server", transport: Transport) {
    const n = ++idCounter
    const clientId = `client-${process.pid}-${n}`
    const serverId = `server-${process.pid}-${n}`
    const alias = `alias-${n}`
    const rr = pair.routerIds !== undefined
    const clientConnectId = pair.routerIds === "connectRoutingId" ? alias : undefined
    const clientOpts = rr ? { routingId: clientId, mandatory: true, connectRoutingId: clientConnectId } : {}
    const serverOpts = rr && pair.routerIds === "known ids" ? { routingId: serverId } : {}
    const serverAddress = Buffer.from(pair.routerIds === "connectRoutingId" ? alias : serverId)

    const ends: End[] = []
    let libzmqSide: PeerSocket | undefined
    try {
      const make = async (role: "client" | "server"): Promise<End> => {
        const type = role === "client" ? pair.client : pair.server
        const opts = role === "client" ? clientOpts : serverOpts
        const label = `${role === subjectRole ? SUBJECT_LABEL : peer().name} ${type}`
        let end: End
        if (role === subjectRole) {
          end = subjectEnd(await subjectSocket(type, opts), label, role === "client" ? clientConnectId : undefined)
        } else {
          libzmqSide = await peer().socket(type, { ...opts, monitor: true })
          end = peerEnd(libzmqSide, label)
        }
        ends.push(end)
        return end
      }
      const client = await make("client")
      const server = await make("server")
      const bound = binder === "client" ? client : server
      const connecting = binder === "client" ? server : client
      const endpoint = await bound.bind(bindEndpoint(transport))
      await connecting.connect(endpoint)

      for (const shape of SHAPES) {
        const request = shape.frames
        const reply = replyTo(shape.frames)

        // Client -> server.
        const outgoing =
          pair.client === "DEALER" && pair.server === "REP"
            ? [EMPTY, ...request] // a DEALER talking to a REP writes the delimiter itself
            : pair.client === "ROUTER"
              ? [serverAddress, ...request]
              : request
        if (pair.client === "ROUTER") {
          // Mandatory routing: EHOSTUNREACH until the server's connection is known by that address.
          await sendWhenRoutable(() => client.send(outgoing), `${client.label} send ${shape.name}`, 5_000)
        } else {
          await client.send(outgoing)
        }
        const got = await server.receive(shape.name)
        let envelope: Buffer[] = []
        if (pair.server === "ROUTER") {
          const id = got[0]
          if (!id || id.length === 0) throw new Error(`${server.label} received no routing id for ${shape.name}`)
          if (rr) assertFrames([id], [Buffer.from(clientId)], `${server.label} routing id of ${clientId}`)
          envelope = pair.client === "REQ" ? [id, EMPTY] : [id]
        }
        assertFrames(got, [...envelope, ...request], `${server.label} received ${shape.name} (${transport})`)

        // Server -> client.
        await server.send([...envelope, ...reply])
        const back = await client.receive(`reply to ${shape.name}`)
        const expected =
          pair.client === "DEALER" && pair.server === "REP"
            ? [EMPTY, ...reply]
            : pair.client === "ROUTER"
              ? [serverAddress, ...reply]
              : reply
        assertFrames(back, expected, `${client.label} received reply to ${shape.name} (${transport})`)
      }
      // libzmq's own monitor agrees that the ZMTP handshake with the subject succeeded.
      const event = await libzmqSide!.waitForEvent("HANDSHAKE_SUCCEEDED")
      expect(event.name).toBe("HANDSHAKE_SUCCEEDED")
    } finally {
      for (const end of ends) await end.close()
    }
  }
})
