/**
 * The broker of the founding design: clients' REQ sockets connect to a ROUTER frontend (tcp), RPC
 * servers' REP sockets connect to a DEALER backend (ipc), and messages flow between the two with
 * their REQ envelopes untouched (RFC 28: ROUTER prefixes the routing id, DEALER passes it through, the
 * REP hands it back with the reply).
 *
 * Topics: a broker may serve several topics, each with its own DEALER backend, so separate pools of
 * servers can sit behind one frontend. The request's first frame after the envelope names its topic
 * (see protocol.ts).
 * - One topic (the usual case): the forwarding is the library's {@link Proxy}, i.e. exactly
 *   zmq_proxy. The topic frame passes through, and the server checks it.
 * - Several topics: a Proxy forwards one frontend to one backend and cannot choose, so the broker
 *   runs its own frontend loop that reads the topic frame and sends to that topic's backend. A
 *   message with no known topic (a plain REQ client, or a topic nobody serves) goes to the first
 *   topic, the default, whose server then refuses an unknown topic with ERR_RPC_TOPIC: the broker never
 *   needs to read msgpack. Sends to one backend never hold up the others: each topic may have up to
 *   `sendHighWaterMark` messages waiting for a server before the frontend loop waits on it.
 */
import { Proxy } from "../proxy.js"
import { Dealer } from "../sockets/dealer.js"
import { Router } from "../sockets/router.js"
import { DEFAULT_TOPIC } from "./protocol.js"
import { RpcError } from "./errors.js"

export interface BrokerOptions {
  /** Where clients connect (ROUTER), e.g. `tcp://*:5555` or `tcp://127.0.0.1:*`. */
  frontend: string
  /** Backend (DEALER) of the default topic, e.g. `ipc:///tmp/zmtp-backend.sock`. */
  backend?: string
  /**
   * Topics and their backends, in order; the first is the default. `backend` alone is the same as
   * `{ default: backend }`, and both may be given (then `backend` comes first, as "default").
   */
  topics?: Record<string, string>
}

/** A running broker. */
export class Broker {
  /** The frontend's resolved endpoint (the real port for `tcp://...:*`). */
  readonly frontend: string
  /** Each topic's resolved backend endpoint, the default first. */
  readonly backends: Readonly<Record<string, string>>
  private closed = false

  private constructor(
    private readonly router: Router,
    private readonly dealers: Map<string, Dealer>,
    private readonly running: Promise<void>,
    private readonly proxy: Proxy | undefined,
  ) {
    this.frontend = router.lastEndpoint!
    const b: Record<string, string> = {}
    for (const [t, d] of dealers) b[t] = d.lastEndpoint!
    this.backends = b
  }

  /** Binds the frontend and every backend and starts forwarding. Rejects with the socket error (EADDRINUSE ...) and leaves nothing bound. */
  static async start(options: BrokerOptions): Promise<Broker> {
    const topics: [string, string][] = []
    if (options.backend !== undefined) topics.push([DEFAULT_TOPIC, options.backend])
    for (const [t, ep] of Object.entries(options.topics ?? {})) {
      if (topics.some(([x]) => x === t)) throw new RpcError("EINVAL", `topic ${JSON.stringify(t)} given twice`)
      if (t.length === 0) throw new RpcError("EINVAL", "a topic name must not be empty")
      topics.push([t, ep])
    }
    if (topics.length === 0) throw new RpcError("EINVAL", "a broker needs a backend")
    // linger 0: a broker that stops drops what it holds; clients recover by timeout and retry.
    const router = new Router({ linger: 0 })
    const dealers = new Map<string, Dealer>()
    try {
      await router.bind(options.frontend)
      for (const [t, ep] of topics) {
        const d = new Dealer({ linger: 0 })
        dealers.set(t, d)
        await d.bind(ep)
      }
    } catch (e) {
      router.close()
      for (const d of dealers.values()) d.close()
      throw e
    }
    if (dealers.size === 1) {
      const proxy = new Proxy(router, [...dealers.values()][0]!)
      return new Broker(router, dealers, proxy.run().catch(() => {}), proxy)
    }
    return new Broker(router, dealers, routeTopics(router, dealers), undefined)
  }

  /** Messages received on the frontend and on the backends so far. */
  get statistics(): { requests: number; replies: number } {
    let replies = 0
    for (const d of this.dealers.values()) replies += d.statistics.messagesIn
    return { requests: this.router.statistics.messagesIn, replies }
  }

  /** Stops forwarding and closes every socket (nothing lingers; ipc files are removed). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.proxy?.terminate()
    this.router.close()
    for (const d of this.dealers.values()) d.close()
    await this.running
  }
}

/** The multi-topic forwarding: frontend -> the topic's backend, every backend -> frontend. */
async function routeTopics(router: Router, dealers: Map<string, Dealer>): Promise<void> {
  const byName = new Map<string, Dealer>()
  for (const [t, d] of dealers) byName.set(t, d)
  const fallback = [...dealers.values()][0]!
  const waiting = new Map<Dealer, number>()
  const toBackend = async () => {
    for (;;) {
      let msg: Buffer[]
      try {
        msg = await router.receive()
      } catch {
        return
      }
      const dealer = byName.get(topicOf(msg) ?? "") ?? fallback
      const n = waiting.get(dealer) ?? 0
      waiting.set(dealer, n + 1)
      const sent = dealer.send(msg).then(
        () => void waiting.set(dealer, waiting.get(dealer)! - 1),
        () => void waiting.set(dealer, waiting.get(dealer)! - 1),
      )
      // Back-pressure per topic: only a topic that is already far behind makes the frontend wait.
      if (n + 1 >= Math.max(1, dealer.sendHighWaterMark)) await sent
    }
  }
  const toFrontend = async (d: Dealer) => {
    for (;;) {
      let msg: Buffer[]
      try {
        msg = await d.receive()
        await router.send(msg)
      } catch {
        if (d.closed || router.closed) return
      }
    }
  }
  await Promise.all([toBackend(), ...[...dealers.values()].map(toFrontend)])
}

/** The topic frame: the first frame after the envelope ([routing id, ..., "", topic, body]), if there is a body after it. */
function topicOf(msg: Buffer[]): string | undefined {
  for (let i = 1; i < msg.length; i++) {
    if (msg[i]!.length === 0) return i + 2 < msg.length ? msg[i + 1]!.toString() : undefined
  }
  return undefined
}
