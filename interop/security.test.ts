/**
 * PLAIN (RFC 24) and CURVE (RFC 25/26) between zmtp and libzmq, each with a ZAP handler (RFC 27)
 * on the server side: zmtp's own handler (a zmtp ROUTER at inproc://zeromq.zap.01) when zmtp is
 * the server, the libzmq peer's handler (a libzmq ROUTER at the same inproc address in the peer's
 * context) when libzmq is the server.
 *
 * Every case runs both ways (zmtp client against a libzmq server, and the reverse); successes for
 * REQ/REP (tcp) and DEALER/ROUTER (ipc), refusals for REQ/REP (tcp). A success exchanges a message both ways and compares the bytes; the server's ZAP
 * handler must have answered 200 and the libzmq side's monitor must report HANDSHAKE_SUCCEEDED. A
 * refusal (wrong password, client key not in the allow-list, client holding the wrong server key)
 * must fail the handshake on both sides, each as that side can observe it, and deliver nothing.
 */
import { expect, test } from "vitest"
import * as libzmq from "zeromq"
import { bindZapEndpoint, type PeerSocket, type PeerSocketOptions, type SocketType, type ZapPolicy, zapStatus } from "./peers.js"
import { bindEndpoint, describeEachPeer, subject, SUBJECT_LABEL, type SubjectSocket, within } from "./subject.js"

/** A text frame, an empty frame and every byte value: what a framing or boxing slip would mangle. */
const REQUEST = [Buffer.from("request"), Buffer.alloc(0), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]
const REPLY = [Buffer.from("reply"), Buffer.alloc(300, 0xa5)]

const HANDSHAKE_MS = 5000
/** How long "nothing is delivered" is watched for once the handshake has failed on both sides. */
const QUIET_MS = 200

const USER = { username: "admin", password: "open sesame" }

type Mechanism = "PLAIN" | "CURVE"
const PAIRS: [client: SocketType, server: SocketType][] = [
  ["REQ", "REP"],
  ["DEALER", "ROUTER"],
]

/** Z85 keys, as curveKeyPair() returns them in zmtp and zeromq.js. */
type KeyPair = { publicKey: string; secretKey: string }

interface Keys {
  server: KeyPair
  client: KeyPair
  stranger: KeyPair
}

/**
 * Keys for one test. zmtp's curveKeyPair() makes the keys zmtp holds and libzmq's the ones the
 * libzmq side holds, so the key formats are checked across implementations too.
 */
async function makeKeys(zmtpSide: "client" | "server"): Promise<Keys> {
  const zmtp = await subject()
  const mine = () => zmtp.curveKeyPair()
  const theirs = () => libzmq.curveKeyPair()
  return zmtpSide === "client"
    ? { server: theirs(), client: mine(), stranger: mine() }
    : { server: mine(), client: theirs(), stranger: theirs() }
}

/** Socket options (zeromq.js names, which zmtp and peers.ts share) for either role. */
function serverOptions(mechanism: Mechanism, keys: Keys): PeerSocketOptions {
  return mechanism === "PLAIN" ? { plainServer: true, zapDomain: "interop" } : { curveServer: true, curveSecretKey: keys.server.secretKey, zapDomain: "interop" }
}

interface Credentials {
  password?: string
  clientKeys?: KeyPair
  serverKey?: string
}

function clientOptions(mechanism: Mechanism, keys: Keys, creds: Credentials = {}): PeerSocketOptions {
  if (mechanism === "PLAIN") return { plainUsername: USER.username, plainPassword: creds.password ?? USER.password }
  const mine = creds.clientKeys ?? keys.client
  return { curveServerKey: creds.serverKey ?? keys.server.publicKey, curvePublicKey: mine.publicKey, curveSecretKey: mine.secretKey }
}

/** What both ZAP handlers allow: the configured user, and the client key of this test. */
function policy(keys: Keys): ZapPolicy {
  return { plain: USER, curve: [keys.client.publicKey] }
}

/** A zmtp socket with the given options, linger 0 and a slow reconnect (refused clients retry). */
async function zmtpSocket(type: SocketType, options: PeerSocketOptions): Promise<SubjectSocket> {
  const zmq = await subject()
  const opts = { linger: 0, reconnectInterval: 10_000, ...options } as Record<string, unknown>
  switch (type) {
    case "REQ":
      return new zmq.Request(opts)
    case "REP":
      return new zmq.Reply(opts)
    case "DEALER":
      return new zmq.Dealer(opts)
    case "ROUTER":
      return new zmq.Router(opts)
  }
}

/** The handshake events a zmtp socket reports, recorded from creation so none is missed. */
const HANDSHAKE_EVENTS = ["handshake", "handshake:error:auth", "handshake:error:protocol", "handshake:error:other", "disconnect"] as const
type HandshakeEvent = (typeof HANDSHAKE_EVENTS)[number]

class Recorder {
  readonly seen: { type: HandshakeEvent; error?: { status?: number; code?: string } }[] = []
  private waiters: (() => void)[] = []

  constructor(sock: SubjectSocket) {
    for (const type of HANDSHAKE_EVENTS) {
      const listener = (e: { error?: { status?: number; code?: string } }) => {
        this.seen.push({ type, error: e.error })
        for (const w of this.waiters.splice(0)) w()
      }
      // Only the error's status/code are read; every event type here has the same shape for that.
      sock.events.on(type, listener as never)
    }
  }

  types(): HandshakeEvent[] {
    return this.seen.map((e) => e.type)
  }

  /** The first event of `type`, waiting up to {@link HANDSHAKE_MS}. */
  async wait(type: HandshakeEvent, what: string) {
    return within(
      HANDSHAKE_MS,
      `${SUBJECT_LABEL} ${what}: event ${type} (seen: ${this.types().join(", ") || "none"})`,
      new Promise<{ type: HandshakeEvent; error?: { status?: number; code?: string } }>((resolve) => {
        const check = () => {
          const found = this.seen.find((e) => e.type === type)
          if (found) resolve(found)
          else this.waiters.push(check)
        }
        check()
      }),
    )
  }
}

/**
 * zmtp's ZAP handler, written as one writes it for libzmq: a ROUTER bound at
 * inproc://zeromq.zap.01 that answers [id, "", "1.0", requestId, status, text, userId, metadata].
 */
async function zmtpZapHandler(rules: ZapPolicy) {
  const zmq = await subject()
  const router = new zmq.Router({ linger: 0 })
  await bindZapEndpoint(router)
  const answered: string[] = []
  const serving = (async () => {
    try {
      for await (const [id, delim, , requestId, domain, , , mechanism, ...credentials] of router) {
        // The server's ZAP_DOMAIN is passed through (RFC 27 "domain").
        const status = domain!.toString() === "interop" ? zapStatus(rules, mechanism!.toString(), credentials) : "400"
        answered.push(`ZAP_${mechanism!.toString()}_${status}`)
        await router.send([id!, delim!, "1.0", requestId!, status, status === "200" ? "OK" : "denied", status === "200" ? "user" : "", ""])
      }
    } catch {
      // Ends when the handler closes.
    }
  })()
  return {
    answered,
    close: async () => {
      if (!router.closed) router.close()
      await serving
    },
  }
}

/** The frames a server receives: a ROUTER's carry the client's routing id first. */
function stripEnvelope(type: SocketType, frames: Buffer[]): { id?: Buffer; body: Buffer[] } {
  return type === "ROUTER" ? { id: frames[0], body: frames.slice(1) } : { body: frames }
}

function transportFor(server: SocketType) {
  // REQ/REP over tcp, DEALER/ROUTER over ipc: both transports carry the handshakes.
  return server === "REP" ? "tcp" : "ipc"
}

/** Resolves true if the libzmq socket gets nothing within {@link QUIET_MS}. */
async function peerGetsNothing(sock: PeerSocket): Promise<boolean> {
  try {
    await sock.receive(QUIET_MS)
    return false
  } catch (err) {
    if ((err as { code?: string }).code === "EAGAIN") return true
    throw err
  }
}

/** Resolves true if the zmtp socket gets nothing within {@link QUIET_MS}. */
async function zmtpGetsNothing(sock: SubjectSocket): Promise<boolean> {
  sock.receiveTimeout = QUIET_MS
  try {
    await sock.receive()
    return false
  } catch (err) {
    if ((err as { code?: string }).code === "EAGAIN") return true
    throw err
  }
}

/** Cleanup: linger 0, so that a request a refusing peer never took does not linger on. */
function closeQuietly(...socks: (SubjectSocket | undefined)[]) {
  for (const s of socks) {
    if (!s || s.closed) continue
    ;(s as { linger: number }).linger = 0
    s.close()
  }
}

describeEachPeer("security", (peer, peerName) => {
  for (const mechanism of ["PLAIN", "CURVE"] as const) {
    for (const [clientType, serverType] of PAIRS) {
      test(`${mechanism} ${SUBJECT_LABEL} ${clientType} -> ${peerName} ${serverType} with a ${peerName} ZAP handler`, async () => {
        const keys = await makeKeys("client")
        const zap = await peer().zap(policy(keys))
        let client: SubjectSocket | undefined
        let server: PeerSocket | undefined
        try {
          server = await peer().socket(serverType, { monitor: true, ...serverOptions(mechanism, keys) })
          const endpoint = await server.bind(bindEndpoint(transportFor(serverType)))
          client = await zmtpSocket(clientType, { ...clientOptions(mechanism, keys), ...(clientType === "DEALER" ? { routingId: "zmtp-client" } : {}) })
          const events = new Recorder(client)
          client.connect(endpoint)
          await within(HANDSHAKE_MS, `${SUBJECT_LABEL} send`, client.send(REQUEST))
          const { id, body } = stripEnvelope(serverType, await server.receive(HANDSHAKE_MS))
          expect(body).toEqual(REQUEST)
          if (id) expect(id.toString()).toBe("zmtp-client")
          await server.send(id ? [id, ...REPLY] : REPLY)
          expect(await within(HANDSHAKE_MS, `${SUBJECT_LABEL} receive`, client.receive())).toEqual(REPLY)
          await zap.waitForEvent(`ZAP_${mechanism}_200`, HANDSHAKE_MS)
          await server.waitForEvent("HANDSHAKE_SUCCEEDED", HANDSHAKE_MS)
          await events.wait("handshake", "client")
          expect(zap.answered().filter((n) => !n.endsWith("_200"))).toEqual([])
        } finally {
          closeQuietly(client)
          await server?.close()
          await zap.close()
        }
      })

      test(`${mechanism} ${peerName} ${clientType} -> ${SUBJECT_LABEL} ${serverType} with a ${SUBJECT_LABEL} ZAP handler`, async () => {
        const keys = await makeKeys("server")
        const zap = await zmtpZapHandler(policy(keys))
        let server: SubjectSocket | undefined
        let client: PeerSocket | undefined
        try {
          server = await zmtpSocket(serverType, serverOptions(mechanism, keys))
          const events = new Recorder(server)
          await server.bind(bindEndpoint(transportFor(serverType)))
          client = await peer().socket(clientType, {
            monitor: true,
            ...clientOptions(mechanism, keys),
            ...(clientType === "DEALER" ? { routingId: "libzmq-client" } : {}),
          })
          await client.connect(server.lastEndpoint!)
          await client.send(REQUEST)
          const { id, body } = stripEnvelope(serverType, await within(HANDSHAKE_MS, `${SUBJECT_LABEL} receive`, server.receive()))
          expect(body).toEqual(REQUEST)
          if (id) expect(id.toString()).toBe("libzmq-client")
          await within(HANDSHAKE_MS, `${SUBJECT_LABEL} send`, server.send(id ? [id, ...REPLY] : REPLY))
          expect(await client.receive(HANDSHAKE_MS)).toEqual(REPLY)
          await client.waitForEvent("HANDSHAKE_SUCCEEDED", HANDSHAKE_MS)
          await events.wait("handshake", "server")
          expect(zap.answered).toEqual([`ZAP_${mechanism}_200`])
        } finally {
          closeQuietly(server)
          await client?.close()
          await zap.close()
        }
      })
    }
  }

  for (const refusal of REFUSALS) {
    test(`${refusal.title}: ${SUBJECT_LABEL} REQ -> ${peerName} REP fails on both sides, nothing delivered`, async () => {
      const keys = await makeKeys("client")
      const zap = await peer().zap(policy(keys))
      let client: SubjectSocket | undefined
      let server: PeerSocket | undefined
      try {
        server = await peer().socket("REP", { monitor: true, ...serverOptions(refusal.mechanism, keys) })
        const endpoint = await server.bind(bindEndpoint("tcp"))
        client = await zmtpSocket("REQ", clientOptions(refusal.mechanism, keys, refusal.creds(keys)))
        const events = new Recorder(client)
        client.connect(endpoint)
        void client.send(REQUEST).catch(() => {})
        const [, seen] = await Promise.all([
          server.waitForEvent(refusal.libzmqServer, HANDSHAKE_MS),
          events.wait(refusal.zmtpClient, "client"),
        ])
        if (refusal.zmtpClient === "handshake:error:auth") expect(seen.error?.status).toBe(400)
        if (refusal.zapRefuses) await zap.waitForEvent(`ZAP_${refusal.mechanism}_400`, HANDSHAKE_MS)
        expect(await peerGetsNothing(server)).toBe(true)
        // Never a success on either side, and (wrong server key) never a ZAP request at all.
        expect(server.seenEvents()).not.toContain("HANDSHAKE_SUCCEEDED")
        expect(events.types()).not.toContain("handshake")
        expect(zap.answered().every((n) => n.endsWith("_400"))).toBe(true)
        if (!refusal.zapRefuses) expect(zap.answered()).toEqual([])
      } finally {
        closeQuietly(client)
        await server?.close()
        await zap.close()
      }
    })

    test(`${refusal.title}: ${peerName} REQ -> ${SUBJECT_LABEL} REP fails on both sides, nothing delivered`, async () => {
      const keys = await makeKeys("server")
      const zap = await zmtpZapHandler(policy(keys))
      let server: SubjectSocket | undefined
      let client: PeerSocket | undefined
      try {
        server = await zmtpSocket("REP", serverOptions(refusal.mechanism, keys))
        const events = new Recorder(server)
        await server.bind(bindEndpoint("tcp"))
        client = await peer().socket("REQ", { monitor: true, reconnectInterval: 10_000, ...clientOptions(refusal.mechanism, keys, refusal.creds(keys)) })
        await client.connect(server.lastEndpoint!)
        // Not awaited: a libzmq REQ whose handshake was already refused may have no pipe to queue
        // on, and then its send waits (pyzmq: until the socket closes). The refusal is the point.
        void client.send(REQUEST).catch(() => undefined)
        const [seen, clientEvent] = await Promise.all([
          events.wait(refusal.zmtpServer, "server"),
          Promise.any(refusal.libzmqClient.map((name) => client!.waitForEvent(name, HANDSHAKE_MS))).catch(() => {
            throw new Error(`${peerName} REQ: none of ${refusal.libzmqClient.join(" / ")} (seen: ${client!.seenEvents().join(", ")})`)
          }),
        ])
        if (refusal.zmtpServer === "handshake:error:auth") expect(seen.error?.status).toBe(400)
        else expect(seen.error?.code).toBe("ERR_ZMTP_CRYPTOGRAPHIC")
        expect(refusal.libzmqClient).toContain(clientEvent.name)
        expect(await zmtpGetsNothing(server)).toBe(true)
        expect(client.seenEvents()).not.toContain("HANDSHAKE_SUCCEEDED")
        expect(events.types()).not.toContain("handshake")
        expect(zap.answered).toEqual(refusal.zapRefuses ? [`ZAP_${refusal.mechanism}_400`] : [])
      } finally {
        closeQuietly(server)
        await client?.close()
        await zap.close()
      }
    })
  }
})

/** A refusal, with what each side reports (the same on libzmq 4.3.4 and 4.3.5). */
interface Refusal {
  title: string
  mechanism: Mechanism
  creds: (keys: Keys) => Credentials
  /** Whether the server's ZAP handler is consulted (and answers 400). */
  zapRefuses: boolean
  /** zmtp as the client. */
  zmtpClient: HandshakeEvent
  libzmqServer: string
  /** zmtp as the server. */
  zmtpServer: HandshakeEvent
  /** Any of these from the libzmq client. */
  libzmqClient: string[]
}

const REFUSALS: Refusal[] = [
  {
    title: "PLAIN with a wrong password",
    mechanism: "PLAIN",
    creds: () => ({ password: "wrong" }),
    zapRefuses: true,
    zmtpClient: "handshake:error:auth",
    libzmqServer: "HANDSHAKE_FAILED_AUTH",
    zmtpServer: "handshake:error:auth",
    // zmtp sends the RFC 23 ERROR command; libzmq 4.3.x's PLAIN client does not recognise it
    // (it expects its own misspelt ERROR, see test/security/plain.test.ts) and reports a protocol
    // error. A libzmq that fixes this would report AUTH, which is also a refusal.
    libzmqClient: ["HANDSHAKE_FAILED_PROTOCOL", "HANDSHAKE_FAILED_AUTH"],
  },
  {
    title: "CURVE with a client key not on the allow-list",
    mechanism: "CURVE",
    creds: (k) => ({ clientKeys: k.stranger }),
    zapRefuses: true,
    zmtpClient: "handshake:error:auth",
    libzmqServer: "HANDSHAKE_FAILED_AUTH",
    zmtpServer: "handshake:error:auth",
    libzmqClient: ["HANDSHAKE_FAILED_AUTH"],
  },
  {
    // RFC 26: the server cannot open the HELLO box, so it drops the connection before any ZAP
    // request, and sends no ERROR (it cannot know the client is who it claims).
    title: "CURVE with the wrong server key",
    mechanism: "CURVE",
    creds: (k) => ({ serverKey: k.stranger.publicKey }),
    zapRefuses: false,
    // libzmq closes without a word, and zmtp reports only the disconnect (no handshake:error:*
    // event, where libzmq as the client reports HANDSHAKE_FAILED_NO_DETAIL for the same close).
    zmtpClient: "disconnect",
    libzmqServer: "HANDSHAKE_FAILED_PROTOCOL",
    zmtpServer: "handshake:error:protocol",
    libzmqClient: ["HANDSHAKE_FAILED_NO_DETAIL"],
  },
]
