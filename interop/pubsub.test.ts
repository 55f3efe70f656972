/**
 * Publish-subscribe (RFC 29) between zmtp and libzmq, both builds (zeromq.js in process, pyzmq in a
 * child process), both directions, over tcp and ipc: PUB to SUB, subscriptions reaching an XPUB,
 * XSUB/XPUB proxies of either library in the middle, a SUB reconnecting to a restarted publisher,
 * and CURVE. Bytes are compared exactly.
 *
 * Subscriptions travel asynchronously: before data is published, the publisher sends a probe on a
 * fresh topic the subscriber also subscribed to until one arrives (it applies a peer's
 * subscriptions in order, so the earlier ones are then in effect).
 */
import { expect, test } from "vitest"
import { assertFrames } from "./frames.js"
import { peerTry, subjectTry, type LibzmqPeer, type PeerSocket } from "./peers.js"
import { SUBJECT_LABEL, TRANSPORTS, bindEndpoint, describeEachPeer, sleep, subject, within } from "./subject.js"

type Closable = { close(): void; closed: boolean; linger: number }

/** What a test made: closed at the end whatever happens. */
class Scope {
  private readonly subjects: Closable[] = []
  private readonly peers: PeerSocket[] = []
  private readonly finals: (() => Promise<void>)[] = []
  track<T extends Closable>(s: T): T {
    this.subjects.push(s)
    return s
  }
  peer(s: PeerSocket): PeerSocket {
    this.peers.push(s)
    return s
  }
  finally(f: () => Promise<void>): void {
    this.finals.push(f)
  }
  async close(): Promise<void> {
    for (const f of this.finals.reverse()) await f().catch(() => {})
    for (const s of this.subjects) {
      if (s.closed) continue
      s.linger = 0
      s.close()
    }
    for (const p of this.peers) await p.close()
  }
}

async function withScope(f: (s: Scope) => Promise<void>): Promise<void> {
  const scope = new Scope()
  try {
    await f(scope)
  } finally {
    await scope.close()
  }
}

let probes = 0
/** A fresh probe topic. */
const probeTopic = () => `!probe${++probes}:`


/** Sends probes on `topic` through `send` until `receive` yields one; other probes are skipped. */
async function untilProbe(send: (topic: string) => Promise<void>, receive: (ms: number) => Promise<Buffer[] | undefined>, topic: string): Promise<void> {
  const end = Date.now() + 10_000
  for (;;) {
    if (Date.now() > end) throw new Error(`probe ${topic} never arrived`)
    await send(topic)
    const m = await receive(30)
    if (m && m[0]!.toString() === topic) return
    if (m && !m[0]!.toString().startsWith("!probe")) throw new Error(`unexpected message while probing: ${m.map(String).join(",")}`)
  }
}

/** The next message that is not a probe. */
async function nextData(receive: (ms: number) => Promise<Buffer[] | undefined>, ms = 5000): Promise<Buffer[] | undefined> {
  const end = Date.now() + ms
  for (;;) {
    const m = await receive(Math.max(1, end - Date.now()))
    if (!m || !m[0]!.toString().startsWith("!probe")) return m
  }
}

/** Message shapes: binary first frames that match "A" or a 0x00/0xff prefix, multipart, empty and long frames. */
const SHAPES: Buffer[][] = [
  [Buffer.from("A")],
  [Buffer.from("A-multi"), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from([0, 1, 2])],
  [Buffer.from([0x00, 0xff, 0x10]), Buffer.alloc(1 << 20, 0x5a)],
  [Buffer.from("B-not-subscribed")],
  [Buffer.from([0x00, 0xfe])],
]
const WANTED = [0, 1, 2]
const PREFIXES = [Buffer.from("A"), Buffer.from([0x00, 0xff])]

describeEachPeer("publish-subscribe", (peer: () => LibzmqPeer, peerName) => {
  for (const transport of TRANSPORTS) {
    test(`${transport}: ${SUBJECT_LABEL} PUB (bound) -> ${peerName} SUB: only what matches arrives, byte for byte`, async () => {
      await withScope(async (scope) => {
        const zmq = await subject()
        const pub = scope.track(new zmq.Publisher({ linger: 0 }))
        await pub.bind(bindEndpoint(transport))
        const sub = scope.peer(await peer().socket("SUB"))
        for (const p of PREFIXES) await sub.subscribe(p)
        const topic = probeTopic()
        await sub.subscribe(Buffer.from(topic))
        await sub.connect(pub.lastEndpoint!)
        await untilProbe((t) => pub.send(t), (ms) => peerTry(sub, ms), topic)
        for (const m of SHAPES) await pub.send(m)
        for (const i of WANTED) assertFrames((await nextData((ms) => peerTry(sub, ms)))!, SHAPES[i]!, `shape ${i}`)
        expect(await nextData((ms) => peerTry(sub, ms), 200)).toBeUndefined()
      })
    })

    test(`${transport}: ${peerName} PUB (bound) -> ${SUBJECT_LABEL} SUB, counted subscriptions: one unsubscribe of two leaves it on`, async () => {
      await withScope(async (scope) => {
        const zmq = await subject()
        const pub = scope.peer(await peer().socket("PUB"))
        const ep = await pub.bind(bindEndpoint(transport))
        const sub = scope.track(new zmq.Subscriber())
        sub.subscribe(...PREFIXES, "A")
        sub.unsubscribe("A")
        const topic = probeTopic()
        sub.subscribe(topic)
        sub.connect(ep)
        await untilProbe((t) => pub.send([Buffer.from(t)]), (ms) => subjectTry(sub, ms), topic)
        for (const m of SHAPES) await pub.send(m)
        for (const i of WANTED) assertFrames((await nextData((ms) => subjectTry(sub, ms)))!, SHAPES[i]!, `shape ${i}`)
        expect(await nextData((ms) => subjectTry(sub, ms), 200)).toBeUndefined()
      })
    })

    test(`${transport}: ${peerName} SUB and XSUB -> ${SUBJECT_LABEL} XPUB: subscriptions told once per topic, unsubscriptions when the last goes, user messages from the XSUB`, async () => {
      await withScope(async (scope) => {
        const zmq = await subject()
        const xpub = scope.track(new zmq.XPublisher())
        await xpub.bind(bindEndpoint(transport))
        const sub = scope.peer(await peer().socket("SUB"))
        const xsub = scope.peer(await peer().socket("XSUB"))
        await sub.connect(xpub.lastEndpoint!)
        await xsub.connect(xpub.lastEndpoint!)
        await sub.subscribe(Buffer.from("T"))
        assertFrames(await within(5000, "subscription", xpub.receive()), [Buffer.from("\x01T")], "first subscription")
        await xsub.send([Buffer.from("\x01T")])
        await sub.subscribe(Buffer.from("T"))
        await xsub.send([Buffer.from("up"), Buffer.alloc(2000, 1)])
        // The duplicates are not told; the user message is.
        assertFrames(await within(5000, "user message", xpub.receive()), [Buffer.from("up"), Buffer.alloc(2000, 1)], "user message")
        await xpub.send([Buffer.from("T1"), Buffer.from("x")])
        assertFrames((await peerTry(sub, 5000))!, [Buffer.from("T1"), Buffer.from("x")], "SUB gets T1")
        assertFrames((await peerTry(xsub, 5000))!, [Buffer.from("T1"), Buffer.from("x")], "XSUB gets T1")
        await sub.unsubscribe(Buffer.from("T"))
        await sub.unsubscribe(Buffer.from("T"))
        await xsub.send([Buffer.from("\x00T")])
        assertFrames(await within(5000, "unsubscription", xpub.receive()), [Buffer.from("\x00T")], "last unsubscription")
        expect(await subjectTry(xpub, 200)).toBeUndefined()
      })
    })

    test(`${transport}: ${SUBJECT_LABEL} SUB and XSUB -> ${peerName} XPUB (verbose): every subscription arrives, the SUB's last unsubscription only, and the XSUB's messages as they are`, async () => {
      await withScope(async (scope) => {
        const zmq = await subject()
        const xpub = scope.peer(await peer().socket("XPUB", { verbosity: "allSubsUnsubs" }))
        const ep = await xpub.bind(bindEndpoint(transport))
        const sub = scope.track(new zmq.Subscriber())
        const xsub = scope.track(new zmq.XSubscriber())
        sub.subscribe("S", "S")
        sub.connect(ep)
        // A new pipe gets each distinct prefix once (libzmq's trie walk): one "S".
        assertFrames(await xpub.receive(5000), [Buffer.from("\x01S")], "SUB's subscription")
        sub.subscribe("S")
        assertFrames(await xpub.receive(5000), [Buffer.from("\x01S")], "SUB's next subscription")
        sub.unsubscribe("S")
        sub.unsubscribe("S")
        sub.unsubscribe("S")
        assertFrames(await xpub.receive(5000), [Buffer.from("\x00S")], "SUB's last unsubscription")
        xsub.connect(ep)
        await sleep(100)
        await xsub.send(Buffer.from("\x01X"))
        assertFrames(await xpub.receive(5000), [Buffer.from("\x01X")], "XSUB's subscription")
        await xsub.send([Buffer.from("user"), Buffer.alloc(70_000, 3)])
        assertFrames(await xpub.receive(5000), [Buffer.from("user"), Buffer.alloc(70_000, 3)], "XSUB's message")
        await xpub.send([Buffer.from("X1")])
        assertFrames((await within(5000, "X1", xsub.receive()))!, [Buffer.from("X1")], "X1")
        expect(await peerTry(xpub, 200)).toBeUndefined()
      })
    })

    test(`${transport}: ${peerName} PUB -> ${SUBJECT_LABEL} XSUB/XPUB Proxy -> ${peerName} SUB: subscriptions up, messages down`, async () => {
      await withScope(async (scope) => {
        const zmq = await subject()
        const xsub = scope.track(new zmq.XSubscriber())
        const xpub = scope.track(new zmq.XPublisher())
        await xsub.bind(bindEndpoint(transport))
        await xpub.bind(bindEndpoint(transport))
        const proxy = new zmq.Proxy(xsub, xpub)
        const running = proxy.run()
        scope.finally(async () => {
          proxy.terminate()
          await running
        })
        const pub = scope.peer(await peer().socket("PUB"))
        await pub.connect(xsub.lastEndpoint!)
        const sub = scope.peer(await peer().socket("SUB"))
        for (const p of PREFIXES) await sub.subscribe(p)
        const topic = probeTopic()
        await sub.subscribe(Buffer.from(topic))
        await sub.connect(xpub.lastEndpoint!)
        await untilProbe((t) => pub.send([Buffer.from(t)]), (ms) => peerTry(sub, ms), topic)
        for (const m of SHAPES) await pub.send(m)
        for (const i of WANTED) assertFrames((await nextData((ms) => peerTry(sub, ms)))!, SHAPES[i]!, `shape ${i}`)
        expect(await nextData((ms) => peerTry(sub, ms), 200)).toBeUndefined()
      })
    })

    test(`${transport}: ${SUBJECT_LABEL} PUB -> ${peerName} XSUB/XPUB proxy -> ${SUBJECT_LABEL} SUB and XSUB`, async () => {
      await withScope(async (scope) => {
        const zmq = await subject()
        const px = await peer().proxy(bindEndpoint(transport), bindEndpoint(transport), true)
        scope.finally(() => px.stop())
        const pub = scope.track(new zmq.Publisher())
        pub.connect(px.frontend)
        const sub = scope.track(new zmq.Subscriber())
        sub.subscribe(...PREFIXES)
        const topic = probeTopic()
        sub.subscribe(topic)
        sub.connect(px.backend)
        const xsub = scope.track(new zmq.XSubscriber())
        xsub.connect(px.backend)
        const xtopic = probeTopic()
        await xsub.send(Buffer.from(`\x01${xtopic}`))
        await xsub.send(Buffer.from("\x01B"))
        await untilProbe((t) => pub.send(t), (ms) => subjectTry(sub, ms), topic)
        await untilProbe((t) => pub.send(t), (ms) => subjectTry(xsub, ms), xtopic)
        for (const m of SHAPES) await pub.send(m)
        for (const i of WANTED) assertFrames((await nextData((ms) => subjectTry(sub, ms)))!, SHAPES[i]!, `shape ${i}`)
        assertFrames((await nextData((ms) => subjectTry(xsub, ms)))!, SHAPES[3]!, "XSUB's B")
        expect(await nextData((ms) => subjectTry(sub, ms), 200)).toBeUndefined()
      })
    })

    test(`${transport}: ${SUBJECT_LABEL} SUB resubscribes to a ${peerName} PUB that restarted on the same endpoint`, async () => {
      await withScope(async (scope) => {
        const zmq = await subject()
        let pub = await peer().socket("PUB")
        const ep = await pub.bind(bindEndpoint(transport))
        const sub = scope.track(new zmq.Subscriber({ reconnectInterval: 20 }))
        sub.subscribe("R")
        sub.connect(ep)
        for (let round = 0; round < 2; round++) {
          const topic = probeTopic()
          sub.subscribe(topic)
          await untilProbe((t) => pub.send([Buffer.from(t)]), (ms) => subjectTry(sub, ms), topic)
          sub.unsubscribe(topic)
          await pub.send([Buffer.from(`R${round}`)])
          assertFrames((await nextData((ms) => subjectTry(sub, ms)))!, [Buffer.from(`R${round}`)], `round ${round}`)
          await pub.close()
          if (round === 0) {
            for (let i = 0; ; i++) {
              pub = await peer().socket("PUB")
              try {
                await pub.bind(ep)
                break
              } catch (e) {
                await pub.close()
                if ((e as { code?: string }).code !== "EADDRINUSE" || i > 100) throw e
                await sleep(20)
              }
            }
          }
        }
      })
    })
  }

  test(`tcp: CURVE: ${SUBJECT_LABEL} SUB -> ${peerName} XPUB server: the subscription arrives boxed, messages come back`, async () => {
    await withScope(async (scope) => {
      const zmq = await subject()
      const server = zmq.curveKeyPair()
      const client = zmq.curveKeyPair()
      const xpub = scope.peer(await peer().socket("XPUB", { curveServer: true, curveSecretKey: server.secretKey, curvePublicKey: server.publicKey }))
      const ep = await xpub.bind("tcp://127.0.0.1:*")
      const sub = scope.track(new zmq.Subscriber({ curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey }))
      sub.subscribe("C")
      sub.connect(ep)
      assertFrames(await xpub.receive(5000), [Buffer.from("\x01C")], "boxed subscription")
      await xpub.send([Buffer.from("C1"), Buffer.alloc(500, 9)])
      assertFrames(await within(5000, "C1", sub.receive()), [Buffer.from("C1"), Buffer.alloc(500, 9)], "C1")
    })
  })
})
