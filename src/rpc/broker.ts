/**
 * The broker of the founding design: clients' REQ sockets connect to a ROUTER frontend (tcp), RPC
 * servers' REP sockets connect to a DEALER backend (ipc), and messages flow between the two with
 * their REQ envelopes untouched (RFC 28: ROUTER prefixes the routing id, DEALER passes it through, the
 * REP hands it back with the reply).
 *
 * Topics: a broker may serve several topics, each with its own DEALER backend, so separate pools of
 * servers can sit behind one frontend. The request's first frame after the envelope names its topic
 * (see protocol.ts); the broker reads it and sends to that topic's backend. A message with no known
 * topic (a plain REQ client, or a topic nobody serves) goes to the first topic, the default, whose
 * server then refuses an unknown topic with ERR_RPC_TOPIC.
 *
 * The frontend never waits on a backend. zmq_proxy (our {@link Proxy}) blocks its one forwarding
 * loop when the backend cannot take a message, and with several topics that would let one topic
 * without servers stall every other. So each request is handed to its backend without awaiting it,
 * and each topic counts its requests that no server has taken yet (sends its DEALER has not
 * accepted: no server connected, or every server's queue at its high-water mark):
 * - at `pendingLimit` waiting, the next request for that topic is refused at once;
 * - a request still waiting after `pendingTimeout` ms is refused then, rather than delivered to a
 *   server long after its caller gave up (ZMQ_SNDTIMEO on the backend).
 * - a topic with no server connected at all refuses at once (unless `pendingTimeout` is -1), so that
 *   a broker that is up but cut off from its servers costs a client a fast resend, not a timeout.
 * A refusal is an RPC error reply, code ERR_RPC_UNAVAILABLE, with the request's call id and `data`
 * {@link BROKER_REFUSAL}, sent back through the frontend as a server's reply would be. Every refusal
 * is of a request the broker never handed to a server, so an RpcClient resends it at once to another
 * broker (see client.ts); if none takes it, the caller gets it as a RemoteError. Reading
 * the call id is the only msgpack the broker reads ({@link peekCallId}), and only when it refuses.
 * The same loop serves one topic or many, so a one-topic broker refuses the same way.
 *
 * Memory: what a broker holds for a topic is bounded by `pendingLimit` requests plus each server
 * connection's high-water mark.
 */
import type { Proxy } from "../proxy.js"
import { Dealer } from "../sockets/dealer.js"
import { Router } from "../sockets/router.js"
import { BROKER_REFUSAL, DEFAULT_TOPIC, encodeError, peekCallId } from "./protocol.js"
import { RpcError } from "./errors.js"
import { RPC_SOCKET_DEFAULTS } from "./client.js"
import type { WebServer } from "../transport/ws.js"
import type { SocketOptions } from "../options.js"

export interface BrokerOptions {
  /** Where clients connect (ROUTER), e.g. `tcp://*:5555` or `tcp://127.0.0.1:*`. */
  frontend: string
  /**
   * The http.Server or https.Server a `ws://` or `wss://` frontend is bound on (bind's `server`), so
   * that one port serves a web page and the broker its RPC clients call from that page.
   */
  frontendServer?: WebServer
  /** Backend (DEALER) of the default topic, e.g. `ipc:///tmp/zmtp-backend.sock`. */
  backend?: string
  /**
   * Topics and their backends, in order; the first is the default. `backend` alone is the same as
   * `{ default: backend }`, and both may be given (then `backend` comes first, as "default").
   */
  topics?: Record<string, string>
  /**
   * Requests per topic that may wait for a server to take them; the next one is refused at once with
   * ERR_RPC_UNAVAILABLE. An integer >= 1. Default 1000.
   */
  pendingLimit?: number
  /**
   * ms a request may wait for a server to take it before it is refused with ERR_RPC_UNAVAILABLE; -1
   * waits without limit, 0 refuses what no server can take at once. Default 5000 (RpcClient's
   * default timeout: by then such a caller has given up). Unless it is -1, a request for a topic with
   * no server connected at all is refused at once.
   */
  pendingTimeout?: number
  /**
   * Options for the frontend ROUTER and every backend DEALER (zeromq.js names), over the defaults
   * {@link RPC_SOCKET_DEFAULTS}. The memory bound a flooding client meets: HWMs count messages, not
   * bytes, so set `maxMessageSize` (a peer sending a larger frame is disconnected) and lower
   * `receiveHighWaterMark` / `sendHighWaterMark` to bound the bytes. The backends' `sendTimeout`
   * is always `pendingTimeout`.
   */
  socketOptions?: Partial<SocketOptions>
}

/** Counters of a {@link Broker}, readable at any time. */
export interface BrokerStats {
  /** Requests read from the frontend. */
  requests: number
  /** Replies read from the backends. */
  replies: number
  /** Requests the broker refused itself with ERR_RPC_UNAVAILABLE (no server connected, over `pendingLimit`, or past `pendingTimeout`). */
  refused: number
}

/** One topic's backend and its count of requests no server has taken yet. */
interface Topic {
  readonly name: string
  readonly dealer: Dealer
  pending: number
}

/** A running broker. */
export class Broker {
  /** The frontend's resolved endpoint (the real port for `tcp://...:*`). */
  readonly frontend: string
  /** Each topic's resolved backend endpoint, the default first. */
  readonly backends: Readonly<Record<string, string>>
  private closed = false
  private readonly counters = { refused: 0 }
  private readonly running: Promise<void>

  private constructor(
    private readonly router: Router,
    private readonly dealers: Map<string, Dealer>,
    pendingLimit: number,
    pendingTimeout: number,
  ) {
    this.frontend = router.lastEndpoint!
    const b: Record<string, string> = {}
    for (const [t, d] of dealers) b[t] = d.lastEndpoint!
    this.backends = b
    this.running = this.route(pendingLimit, pendingTimeout >= 0)
  }

  /**
   * Binds the frontend and every backend and starts forwarding. Rejects with the socket error
   * (EADDRINUSE ...) and leaves nothing bound; EINVAL for bad options.
   */
  static async start(options: BrokerOptions): Promise<Broker> {
    const topics: [string, string][] = []
    if (options.backend !== undefined) topics.push([DEFAULT_TOPIC, options.backend])
    for (const [t, ep] of Object.entries(options.topics ?? {})) {
      if (topics.some(([x]) => x === t)) throw new RpcError("EINVAL", `topic ${JSON.stringify(t)} given twice`)
      if (t.length === 0) throw new RpcError("EINVAL", "a topic name must not be empty")
      topics.push([t, ep])
    }
    if (topics.length === 0) throw new RpcError("EINVAL", "a broker needs a backend")
    const pendingLimit = options.pendingLimit ?? 1000
    if (!Number.isInteger(pendingLimit) || pendingLimit < 1) throw new RpcError("EINVAL", "pendingLimit must be an integer >= 1")
    const pendingTimeout = options.pendingTimeout ?? 5000
    if (!Number.isInteger(pendingTimeout) || pendingTimeout < -1) throw new RpcError("EINVAL", "pendingTimeout must be an integer >= -1 (ms; -1: no limit)")
    // linger 0: a broker that stops drops what it holds; clients recover by timeout and retry.
    // Heartbeats: a client or server cut off by a partition is dropped within 3 s, its queued
    // requests and replies with it (see RPC_SOCKET_DEFAULTS; `immediate` is for connecting sockets).
    const { immediate: _, ...defaults } = { ...RPC_SOCKET_DEFAULTS, ...options.socketOptions }
    const router = new Router(defaults)
    const dealers = new Map<string, Dealer>()
    try {
      // bind() takes a second argument for ws/wss only (zeromq.js's one-argument check otherwise).
      if (options.frontendServer === undefined) await router.bind(options.frontend)
      else await router.bind(options.frontend, { server: options.frontendServer })
      for (const [t, ep] of topics) {
        const d = new Dealer({ ...defaults, sendTimeout: pendingTimeout })
        dealers.set(t, d)
        await d.bind(ep)
      }
    } catch (e) {
      router.close()
      for (const d of dealers.values()) d.close()
      throw e
    }
    return new Broker(router, dealers, pendingLimit, pendingTimeout)
  }

  /** Messages received on the frontend and on the backends so far, and the requests refused. */
  get statistics(): BrokerStats {
    let replies = 0
    for (const d of this.dealers.values()) replies += d.statistics.messagesIn
    return { requests: this.router.statistics.messagesIn, replies, refused: this.counters.refused }
  }

  /** Stops forwarding and closes every socket (nothing lingers; ipc files are removed). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.router.close()
    for (const d of this.dealers.values()) d.close()
    await this.running
  }

  /** Frontend -> the topic's backend, every backend -> frontend, until the sockets close. */
  private async route(pendingLimit: number, refuseIdle: boolean): Promise<void> {
    const topics = new Map<string, Topic>()
    for (const [name, dealer] of this.dealers) topics.set(name, { name, dealer, pending: 0 })
    const fallback = [...topics.values()][0]!
    const toBackend = async () => {
      for (;;) {
        let msg: Buffer[]
        try {
          msg = await this.router.receive()
        } catch {
          return
        }
        const topic = topics.get(topicOf(msg) ?? "") ?? fallback
        if (topic.pending >= pendingLimit) {
          this.refuse(msg, `topic ${JSON.stringify(topic.name)} has ${topic.pending} requests waiting for a server`)
          continue
        }
        // A topic with no server connected at all (its DEALER has no peer: none started, or every
        // server's link to this broker is cut) is refused at once rather than after pendingTimeout,
        // so that a client with other brokers resends at once (the refusal proves the request never
        // reached a server). `writable` first: the peer count is read only when no pipe can take it.
        // pendingTimeout -1 keeps the old meaning: wait for a server however long.
        if (refuseIdle && !topic.dealer.writable && topic.dealer.statistics.peers === 0) {
          this.refuse(msg, `topic ${JSON.stringify(topic.name)} has no server connected to this broker`)
          continue
        }
        topic.pending++
        // Not awaited: the frontend goes on reading whatever this backend does.
        topic.dealer.send(msg).then(
          () => void topic.pending--,
          (e: { code?: string }) => {
            topic.pending--
            // EAGAIN is the backend's sendTimeout (pendingTimeout); EBADF is the broker closing.
            if (e.code === "EAGAIN") this.refuse(msg, `no server of topic ${JSON.stringify(topic.name)} took the request in time`)
          },
        )
      }
    }
    const toFrontend = async (d: Dealer) => {
      for (;;) {
        let msg: Buffer[]
        try {
          msg = await d.receive()
          // A ROUTER without `mandatory` never waits: a reply to a client that is gone is dropped (RFC 28).
          await this.router.send(msg)
        } catch {
          if (d.closed || this.router.closed) return
        }
      }
    }
    await Promise.all([toBackend(), ...[...this.dealers.values()].map(toFrontend)])
  }

  /**
   * Answers a request in the server's place with ERR_RPC_UNAVAILABLE: the envelope up to its empty
   * delimiter (RFC 28: what a REP would hand back), then an error reply carrying the call id. A
   * message with no delimiter is not a request a REQ made, and is dropped.
   */
  private refuse(msg: Buffer[], why: string): void {
    const d = delimiterOf(msg)
    if (d < 0) return
    this.counters.refused++
    const body = msg[msg.length - 1]!
    const id = d + 1 < msg.length ? peekCallId(body) : ""
    const reply = encodeError(id, { name: "RpcError", code: "ERR_RPC_UNAVAILABLE", message: why, data: BROKER_REFUSAL })
    this.router.send([...msg.slice(0, d + 1), reply]).catch(() => {})
  }
}

/** Index of the envelope's empty delimiter frame (after the routing id), or -1. */
function delimiterOf(msg: Buffer[]): number {
  for (let i = 1; i < msg.length; i++) if (msg[i]!.length === 0) return i
  return -1
}

/** The topic frame: the first frame after the envelope ([routing id, ..., "", topic, body]), if there is a body after it. */
function topicOf(msg: Buffer[]): string | undefined {
  const i = delimiterOf(msg)
  return i >= 0 && i + 2 < msg.length ? msg[i + 1]!.toString() : undefined
}
