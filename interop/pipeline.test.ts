/**
 * The founding pipeline, with implementations mixed along the way:
 *
 * 1. subject REQ clients (tcp) -> libzmq zmq_proxy (ROUTER frontend / DEALER backend) -> subject
 *    REP workers (ipc). The broker is libzmq, so the subject's REQ envelope must survive a libzmq
 *    ROUTER adding a routing id and a libzmq DEALER fair-queuing it to a subject REP, and the reply
 *    must find its way back (RFC 28, "the REP socket ... SHALL ... send the reply with the envelope").
 * 2. libzmq REQ clients -> a subject ROUTER/DEALER forwarding loop, written here with the plain socket
 *    API -> libzmq REP workers. Now the subject is the broker, and must pass envelopes through
 *    untouched in both directions.
 *
 * Against pyzmq the proxy is `zmq.proxy` in the child process; against zeromq.js it is zmq.Proxy.
 */
import { expect, test } from "vitest"
import { SHAPES, assertFrames } from "./frames.js"
import type { PeerProxy, PeerSocket } from "./peers.js"
import {
  SUBJECT_LABEL,
  type SubjectSocket,
  bindEndpoint,
  closeAll,
  describeEachPeer,
  subjectReceive,
  subjectSend,
  subjectSocket,
} from "./subject.js"

const CLIENTS = 2
const WORKERS = 2
const REQUESTS = 20

/** The worker's answer: a tag naming the worker, then the request's frames unchanged. */
const answer = (worker: number, request: Buffer[]) => [Buffer.from(`worker ${worker}`), ...request]

/** A subject REP worker loop; ends when its socket closes. Returns how many requests it served. */
async function serve(rep: SubjectSocket, worker: number): Promise<number> {
  let served = 0
  try {
    for (;;) {
      const request = await rep.receive()
      await rep.send(answer(worker, request))
      served++
    }
  } catch (err) {
    if (!rep.closed) throw err
  }
  return served
}

/** Moves every message from `from` to `to` until either socket closes. */
async function forward(from: SubjectSocket, to: SubjectSocket): Promise<number> {
  let moved = 0
  try {
    for (;;) {
      const msg = await from.receive()
      await to.send(msg)
      moved++
    }
  } catch (err) {
    if (!from.closed && !to.closed) throw err
  }
  return moved
}

describeEachPeer("pipeline", (peer, peerName) => {
  test(`${SUBJECT_LABEL} REQ (tcp) -> ${peerName} zmq_proxy ROUTER/DEALER -> ${SUBJECT_LABEL} REP (ipc)`, async () => {
    let proxy: PeerProxy | undefined
    const clients: SubjectSocket[] = []
    const workers: SubjectSocket[] = []
    const serving: Promise<number>[] = []
    try {
      proxy = await peer().proxy(bindEndpoint("tcp"), bindEndpoint("ipc"))
      expect(proxy.frontend).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
      expect(proxy.backend).toMatch(/^ipc:\/\//)
      for (let w = 0; w < WORKERS; w++) {
        const rep = await subjectSocket("REP")
        rep.connect(proxy.backend)
        workers.push(rep)
        serving.push(serve(rep, w))
      }
      for (let c = 0; c < CLIENTS; c++) {
        const req = await subjectSocket("REQ")
        req.connect(proxy.frontend)
        clients.push(req)
      }

      // Clients run concurrently, so the proxy interleaves their envelopes.
      const answeredBy = await Promise.all(
        clients.map(async (req, c) => {
          const workersSeen = new Set<string>()
          for (let i = 0; i < REQUESTS; i++) {
            const request = [Buffer.from(`client ${c} request ${i}`), Buffer.alloc(i * 20, c + 1)]
            await subjectSend(req, request, `REQ ${c} send ${i}`)
            const reply = await subjectReceive(req, `REQ ${c} receive ${i}`)
            workersSeen.add(reply[0]?.toString() ?? "")
            assertFrames(reply.slice(1), request, `client ${c} reply ${i} through ${peerName} proxy`)
            expect(reply[0]?.toString()).toMatch(/^worker \d$/)
          }
          // Every message shape, too: multi-frame and 1 MiB bodies through the broker.
          for (const shape of SHAPES) {
            await subjectSend(req, shape.frames, `REQ ${c} send ${shape.name}`)
            const reply = await subjectReceive(req, `REQ ${c} receive ${shape.name}`)
            assertFrames(reply.slice(1), shape.frames, `client ${c} reply to ${shape.name} through ${peerName} proxy`)
          }
          return workersSeen
        }),
      )
      expect(answeredBy.length).toBe(CLIENTS)
    } finally {
      closeAll(...clients, ...workers)
      await proxy?.stop()
    }
    const served = await Promise.all(serving)
    // The workers together answered every request exactly once.
    expect(served.reduce((a, b) => a + b, 0)).toBe(CLIENTS * (REQUESTS + SHAPES.length))
  })

  test(`${peerName} REQ -> ${SUBJECT_LABEL} ROUTER/DEALER forwarding loop -> ${peerName} REP`, async () => {
    let frontend: SubjectSocket | undefined
    let backend: SubjectSocket | undefined
    const peers: PeerSocket[] = []
    const loops: Promise<number>[] = []
    try {
      frontend = await subjectSocket("ROUTER")
      backend = await subjectSocket("DEALER")
      await frontend.bind(bindEndpoint("tcp"))
      await backend.bind(bindEndpoint("ipc"))
      loops.push(forward(frontend, backend), forward(backend, frontend))

      for (let w = 0; w < WORKERS; w++) {
        const rep = await peer().socket("REP")
        await rep.connect(backend.lastEndpoint!)
        await rep.echo()
        peers.push(rep)
      }
      const clients: PeerSocket[] = []
      for (let c = 0; c < CLIENTS; c++) {
        const req = await peer().socket("REQ")
        await req.connect(frontend.lastEndpoint!)
        peers.push(req)
        clients.push(req)
      }

      await Promise.all(
        clients.map(async (req, c) => {
          const bodies = [
            ...Array.from({ length: REQUESTS }, (_, i) => [Buffer.from(`client ${c} request ${i}`), Buffer.alloc(i * 20, c + 1)]),
            ...SHAPES.map((s) => s.frames),
          ]
          for (const [i, request] of bodies.entries()) {
            await req.send(request)
            // The libzmq REP echoes; the REQ gets it only if the subject kept the envelope intact.
            assertFrames(await req.receive(), request, `${peerName} REQ ${c} reply ${i} through the ${SUBJECT_LABEL} broker`)
          }
        }),
      )
    } finally {
      for (const p of peers) await p.close()
      closeAll(frontend, backend)
    }
    const moved = await Promise.all(loops)
    // Each request crossed the broker once each way.
    expect(moved[0]).toBe(CLIENTS * (REQUESTS + SHAPES.length))
    expect(moved[1]).toBe(CLIENTS * (REQUESTS + SHAPES.length))
  })
})
