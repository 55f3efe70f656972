/**
 * Pipeline (RFC 30) and exclusive pair (RFC 31) between zmtp and libzmq, both builds (zeromq.js in
 * process, pyzmq in a child process), both directions, over tcp and ipc: PUSH to PULL each way,
 * round-robin to several libzmq PULLs, fair queuing of libzmq and zmtp PUSHes at a zmtp PULL, a burst
 * past the high-water marks that must arrive whole, PAIR both ways, and a second libzmq PAIR that a
 * zmtp PAIR must not take as its peer. Bytes are compared exactly.
 */
import { expect, test } from "vitest"
import { SHAPES, assertFrames } from "./frames.js"
import { peerTry, subjectTry, type LibzmqPeer, type PeerSocket } from "./peers.js"
import { SUBJECT, SUBJECT_LABEL, TRANSPORTS, bindEndpoint, describeEachPeer, subject, within } from "./subject.js"

type Closable = { close(): void; closed: boolean; linger: number }

/** What a test made: closed at the end whatever happens. */
async function withScope(f: (track: <T extends Closable>(s: T) => T, peerSock: (s: PeerSocket) => PeerSocket) => Promise<void>): Promise<void> {
  const subjects: Closable[] = []
  const peers: PeerSocket[] = []
  try {
    await f(
      (s) => (subjects.push(s), s),
      (p) => (peers.push(p), p),
    )
  } finally {
    for (const s of subjects) {
      if (s.closed) continue
      s.linger = 0
      s.close()
    }
    for (const p of peers) await p.close()
  }
}


/** Counts a zmtp socket's handshakes (one reader of its events for the socket's life). */
function handshakeCounter(sock: { events: unknown }): (n: number) => Promise<void> {
  let seen = 0
  void (async () => {
    try {
      for await (const e of sock.events as AsyncIterable<{ type: string }>) if (e.type === "handshake") seen++
    } catch {
      // Ends with the socket.
    }
  })()
  return async (n) => {
    const end = Date.now() + 10_000
    while (seen < n) {
      if (Date.now() > end) throw new Error(`${seen} of ${n} handshakes within 10 s`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }
}

const tagged = (who: string, i: number) => [Buffer.from(`${who}:${i}`), Buffer.alloc(i % 3 === 0 ? 1024 : 16, i & 0xff)]

describeEachPeer("pipeline and pair", (peer: () => LibzmqPeer, peerName) => {
  for (const transport of TRANSPORTS) {
    test(`${transport}: ${SUBJECT_LABEL} PUSH (bound) -> ${peerName} PULL: every shape byte for byte, in order`, async () => {
      await withScope(async (track, peerSock) => {
        const zmq = await subject()
        const push = track(new zmq.Push())
        await push.bind(bindEndpoint(transport))
        const pull = peerSock(await peer().socket("PULL"))
        await pull.connect(push.lastEndpoint!)
        for (const s of SHAPES) await within(10_000, "send", push.send(s.frames))
        for (const s of SHAPES) assertFrames((await peerTry(pull, 10_000))!, s.frames, s.name)
        expect(await peerTry(pull, 150)).toBeUndefined()
      })
    })

    test(`${transport}: ${peerName} PUSH (bound) -> ${SUBJECT_LABEL} PULL: every shape byte for byte, in order`, async () => {
      await withScope(async (track, peerSock) => {
        const zmq = await subject()
        const push = peerSock(await peer().socket("PUSH"))
        const ep = await push.bind(bindEndpoint(transport))
        const pull = track(new zmq.Pull())
        pull.connect(ep)
        for (const s of SHAPES) await push.send(s.frames)
        for (const s of SHAPES) assertFrames((await subjectTry(pull, 10_000))!, s.frames, s.name)
        expect(await subjectTry(pull, 150)).toBeUndefined()
      })
    })

    test(`${transport}: ${SUBJECT_LABEL} PUSH -> three ${peerName} PULLs: round-robin, each message to exactly one`, async () => {
      await withScope(async (track, peerSock) => {
        const zmq = await subject()
        const push = track(new zmq.Push())
        await push.bind(bindEndpoint(transport))
        const handshakes = handshakeCounter(push)
        const pulls: PeerSocket[] = []
        for (let i = 0; i < 3; i++) {
          const p = peerSock(await peer().socket("PULL"))
          await p.connect(push.lastEndpoint!)
          pulls.push(p)
        }
        await handshakes(3)
        const N = 30
        for (let i = 0; i < N; i++) await push.send(tagged("z", i))
        const got: string[][] = [[], [], []]
        for (let k = 0; k < 3; k++) {
          for (let j = 0; j < N / 3; j++) got[k]!.push((await peerTry(pulls[k]!, 10_000))![0]!.toString())
          expect(await peerTry(pulls[k]!, 100)).toBeUndefined()
        }
        // All connected with room: strict rotation, so each PULL got every third message, in order.
        const first = got.map((g) => Number(g[0]!.split(":")[1]))
        expect([...first].sort()).toEqual([0, 1, 2])
        got.forEach((g, k) => expect(g).toEqual(Array.from({ length: N / 3 }, (_, j) => `z:${first[k]! + 3 * j}`)))
      })
    })

    test(`${transport}: two ${peerName} PUSHes and a ${SUBJECT_LABEL} PUSH -> ${SUBJECT_LABEL} PULL (bound): fair-queued, each pusher's order kept, nothing lost`, async () => {
      await withScope(async (track, peerSock) => {
        const zmq = await subject()
        const pull = track(new zmq.Pull())
        await pull.bind(bindEndpoint(transport))
        const handshakes = handshakeCounter(pull)
        const a = peerSock(await peer().socket("PUSH"))
        const b = peerSock(await peer().socket("PUSH"))
        await a.connect(pull.lastEndpoint!)
        await b.connect(pull.lastEndpoint!)
        const z = track(new zmq.Push())
        z.connect(pull.lastEndpoint!)
        await handshakes(3)
        const N = 200
        await Promise.all([
          (async () => {
            for (let i = 0; i < N; i++) await a.send(tagged("a", i))
          })(),
          (async () => {
            for (let i = 0; i < N; i++) await b.send(tagged("b", i))
          })(),
          (async () => {
            for (let i = 0; i < N; i++) await z.send(tagged("z", i))
          })(),
        ])
        const next: Record<string, number> = { a: 0, b: 0, z: 0 }
        for (let k = 0; k < 3 * N; k++) {
          const m = (await subjectTry(pull, 10_000))!
          const [who, i] = m[0]!.toString().split(":")
          expect(Number(i), `${who}'s order`).toBe(next[who!])
          assertFrames(m, tagged(who!, Number(i)), `${who}:${i}`)
          next[who!]!++
        }
        expect(next).toEqual({ a: N, b: N, z: N })
      })
    })

    test(`${transport}: ${SUBJECT_LABEL} PUSH -> ${peerName} PULL, 3000 sends not awaited past both high-water marks: none dropped, all in order`, async () => {
      await withScope(async (track, peerSock) => {
        const zmq = await subject()
        const push = track(new zmq.Push({ sendHighWaterMark: 10 }))
        await push.bind(bindEndpoint(transport))
        const pull = peerSock(await peer().socket("PULL", { receiveHighWaterMark: 10 }))
        await pull.connect(push.lastEndpoint!)
        const N = 3000
        // zmtp queues concurrent sends in call order; zeromq.js (the harness self-check) allows one
        // send in flight, so there they are issued one after the other.
        const sends: Promise<unknown> =
          SUBJECT === "zmtp"
            ? Promise.all(Array.from({ length: N }, (_, i) => push.send(tagged("z", i))))
            : (async () => {
                for (let i = 0; i < N; i++) await push.send(tagged("z", i))
              })()
        sends.catch(() => {})
        for (let i = 0; i < N; i++) assertFrames((await peerTry(pull, 10_000))!, tagged("z", i), `z:${i}`)
        await within(10_000, "every send settles", sends)
      })
    })

    test(`${transport}: PAIR both ways: ${SUBJECT_LABEL} bound <-> ${peerName}, then ${peerName} bound <-> ${SUBJECT_LABEL}`, async () => {
      await withScope(async (track, peerSock) => {
        const zmq = await subject()
        const ours = track(new zmq.Pair())
        await ours.bind(bindEndpoint(transport))
        const theirs = peerSock(await peer().socket("PAIR"))
        await theirs.connect(ours.lastEndpoint!)
        for (const s of SHAPES) {
          await theirs.send(s.frames)
          const m = (await subjectTry(ours, 10_000))!
          assertFrames(m, s.frames, `to ${SUBJECT_LABEL}: ${s.name}`)
          await ours.send(m)
          assertFrames((await peerTry(theirs, 10_000))!, s.frames, `back: ${s.name}`)
        }
        const bound = peerSock(await peer().socket("PAIR"))
        const ep = await bound.bind(bindEndpoint(transport))
        const client = track(new zmq.Pair())
        client.connect(ep)
        for (const s of SHAPES) {
          await client.send(s.frames)
          const m = (await peerTry(bound, 10_000))!
          assertFrames(m, s.frames, `to ${peerName}: ${s.name}`)
          await bound.send(m)
          assertFrames((await subjectTry(client, 10_000))!, s.frames, `back: ${s.name}`)
        }
      })
    })

    test(`${transport}: a ${SUBJECT_LABEL} PAIR (bound) keeps its first ${peerName} PAIR as its only peer; a second one is never delivered or sent to`, async () => {
      await withScope(async (track, peerSock) => {
        const zmq = await subject()
        const ours = track(new zmq.Pair())
        await ours.bind(bindEndpoint(transport))
        const handshakes = handshakeCounter(ours)
        const first = peerSock(await peer().socket("PAIR"))
        await first.connect(ours.lastEndpoint!)
        await handshakes(1)
        const second = peerSock(await peer().socket("PAIR"))
        await second.connect(ours.lastEndpoint!)
        await handshakes(2)
        await second.send([Buffer.from("from second")])
        await first.send([Buffer.from("from first")])
        assertFrames((await subjectTry(ours, 10_000))!, [Buffer.from("from first")], "the peer's message")
        expect(await subjectTry(ours, 200)).toBeUndefined()
        await ours.send([Buffer.from("to the peer")])
        assertFrames((await peerTry(first, 10_000))!, [Buffer.from("to the peer")], "to the peer")
        expect(await peerTry(second, 200)).toBeUndefined()
      })
    })
  }
})
