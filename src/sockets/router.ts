/**
 * ROUTER (RFC 28 "The ROUTER Socket Type"): each received message is prefixed with the routing id of
 * the peer it came from; each sent message's first frame names the peer to route it to.
 */
import { Buffer } from "node:buffer"
import type { Metadata } from "../codec/command.js"
import { zerr, type ZmtpError } from "../errors.js"
import { typeMismatch, type RouterOptions } from "../options.js"
import type { Pipe } from "../pipe/pipe.js"
import { SocketApi } from "./socket-api.js"
import { defineOptions } from "./socket-options.js"

export class Router extends SocketApi {
  protected readonly typeName = "ROUTER" as const
  /** ZMQ_PROBE_ROUTER. See {@link RouterOptions.probeRouter}. */
  declare probeRouter: boolean
  /** ZMQ_CONNECT_ROUTING_ID. See {@link RouterOptions.connectRoutingId}. */
  declare connectRoutingId: string | null
  /** ZMQ_ROUTER_MANDATORY. See {@link RouterOptions.mandatory}. */
  declare mandatory: boolean
  /** ZMQ_ROUTER_HANDOVER. See {@link RouterOptions.handover}. */
  declare handover: boolean
  private readonly routes = new Map<string, Pipe>()
  /** libzmq starts generated ids at a random 32-bit value. */
  private nextId = (Math.random() * 0x100000000) >>> 0

  constructor(options: Partial<RouterOptions> = {}) {
    super()
    this.applyOptions(options)
  }

  /**
   * Connects to an endpoint. `options.routingId` (zeromq.js v6; ZMQ_CONNECT_ROUTING_ID) names the
   * peer of this connection: messages to that id (its UTF-8 octets) are routable at once and queue
   * until it is up. Without it, the `connectRoutingId` option applies, once.
   */
  override connect(address: string, options: { routingId?: string | Buffer } = {}): void {
    // As zeromq.js's Router.connect: only a truthy routingId counts (an empty string is none), and
    // it must be a string or a Buffer; further arguments are ignored. A string id is UTF-8. It is
    // for this call only: even a connect that throws (bad endpoint, bad id) leaves neither it nor
    // the connectRoutingId option behind.
    const id = options.routingId
    if (id) {
      const bad = typeMismatch("string", id)
      if (bad) throw bad
    }
    super.connect(address, { routingId: id ? (id as string) : undefined })
  }

  protected override get connectTakesOptions(): boolean {
    return true
  }

  protected override pipeAdded(p: Pipe): void {
    // A connect with a routing id is routable before its handshake, as in libzmq. The preset id is
    // held as its octets' latin1 string (SocketBase.takeConnectRoutingId), the routing key's form.
    if (p.presetRoutingId !== null) this.assign(p, Buffer.from(p.presetRoutingId, "latin1"))
  }

  protected override pipeHandshaken(p: Pipe, peer: Metadata): ZmtpError | undefined {
    let id: Buffer
    if (p.presetRoutingId !== null) id = Buffer.from(p.presetRoutingId, "latin1")
    else {
      const announced = peer.get("identity")
      // RFC 28 / libzmq: an empty identity gets a generated one: 0x00 then a 32-bit counter.
      if (announced && announced.length > 0 && announced[0] !== 0) id = Buffer.from(announced)
      else id = this.generateId()
    }
    this.assign(p, id)
    return undefined
  }

  /** Gives a pipe a routing id, following libzmq's rules for an id already in use. */
  private assign(p: Pipe, id: Buffer): void {
    const key = id.toString("latin1")
    if (p.routingKey === key) return
    if (p.routingKey !== undefined) this.routes.delete(p.routingKey)
    const existing = this.routes.get(key)
    if (existing && existing !== p) {
      if (!this.handover) {
        // Duplicate id without handover: the newcomer stays connected but unroutable, and what it
        // sends is dropped (a pipe without a routing key is ignored), as libzmq does.
        p.routingKey = undefined
        return
      }
      // Handover: the old peer gives its id up and its connection is closed, as libzmq does.
      this.routes.delete(key)
      existing.routingKey = undefined
      queueMicrotask(() => this.dropPeer(existing))
    }
    p.routingId = id
    p.inboundPrefix = id
    p.routingKey = key
    this.routes.set(key, p)
  }

  protected override pipeRemoved(p: Pipe): void {
    if (p.routingKey !== undefined && this.routes.get(p.routingKey) === p) this.routes.delete(p.routingKey)
  }

  protected override canSendNow(): boolean {
    return true
  }

  private generateId(): Buffer {
    const b = Buffer.allocUnsafe(5)
    b[0] = 0
    b.writeUInt32BE(this.nextId, 1)
    this.nextId = (this.nextId + 1) >>> 0
    return b
  }

  protected xsend(frames: Buffer[]): boolean {
    const p = this.routes.get(frames[0]!.toString("latin1"))
    if (!p) {
      // RFC 28: unroutable messages are dropped silently, or rejected when mandatory.
      if (this.mandatory) throw zerr("EHOSTUNREACH")
      return true
    }
    if (!p.makeRoom()) {
      // At the high-water mark: dropped, or (mandatory) the send waits up to sendTimeout, then EAGAIN.
      if (this.mandatory) return false
      this.droppedAtHwm = true
      return true
    }
    if (frames.length > 1) p.write(frames.slice(1))
    return true
  }

  protected override hasDeliverable(): boolean {
    // Messages from a peer without a routing key (a duplicate id) are dropped on read.
    return this.someInbound(() => true, (p) => p.routingKey !== undefined)
  }

  protected xrecv(): Buffer[] | undefined {
    for (;;) {
      const m = this.readFair()
      if (!m) return undefined
      // The engine already put the routing id in front (Pipe.inboundPrefix): the pipe's one buffer,
      // shared by every message from that peer. A copy per message would halve the 16 B receive
      // rate (a Buffer costs 110-185 ns, the rest of a message about 370 ns), so received frames are
      // read-only (README "Buffers"); zeromq.js gives each frame its own buffer.
      if (this.readPipe!.routingKey === undefined) continue
      return m
    }
  }
}

defineOptions(Router.prototype, ["probeRouter", "mandatory", "handover", "connectRoutingId"])
