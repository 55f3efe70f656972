/**
 * STREAM (libzmq's ZMQ_STREAM, zeromq.js's `Stream`): plain TCP to peers that are not ZeroMQ. No
 * greeting and no framing: each connection runs a raw engine (engine/raw-engine.ts). Every message
 * is `[routing id, bytes]`: received, the bytes one read brought (at most 8192 octets, as libzmq's
 * raw decoder hands them out); sent, the bytes to write to the peer of that id. With `notify`, a
 * connection made or lost is announced as `[id, ""]`; sending `[id, ""]` closes that connection
 * once what was queued before it is written.
 */
import { Buffer } from "node:buffer"
import type { Metadata } from "../codec/command.js"
import { zerr, type ZmtpError } from "../errors.js"
import { typeMismatch, type StreamOptions } from "../options.js"
import type { Pipe } from "../pipe/pipe.js"
import { SocketApi } from "./socket-api.js"
import { defineOptions } from "./socket-options.js"

/** zeromq.js's `StreamConnectOptions`. */
export interface StreamConnectOptions {
  /** ZMQ_CONNECT_ROUTING_ID for this connection: 1 to 255 octets, not starting with 0x00. */
  routingId?: string
}

export class Stream extends SocketApi {
  protected readonly typeName = "STREAM" as const
  protected override readonly rawConnections = true
  /** ZMQ_STREAM_NOTIFY. See {@link StreamOptions.notify}. */
  declare notify: boolean
  private readonly routes = new Map<string, Pipe>()
  /** libzmq starts generated ids at a random 32-bit value (stream.cpp, as router.cpp). */
  private nextId = (Math.random() * 0x100000000) >>> 0

  constructor(options: Partial<StreamOptions> = {}) {
    super()
    this.applyOptions(options)
  }

  /**
   * Connects to a `tcp://` address (or `ipc://`, which libzmq 4.3.5 also takes). `options.routingId`
   * names this connection: messages to that id are routable at once and queue until it is up, as in
   * zeromq.js (which sets ZMQ_CONNECT_ROUTING_ID when the id is truthy). Without it, the id is
   * generated: 0x00 and a 32-bit counter, as libzmq makes them.
   */
  override connect(address: string, options: StreamConnectOptions = {}): void {
    const id = options.routingId as unknown
    if (id) {
      const bad = typeMismatch("string", id)
      if (bad) throw bad
      // libzmq asserts that a connect routing id is not in use (stream.cpp identify_peer): refused here.
      if (this.routes.has(Buffer.from(id as string).toString("latin1"))) throw zerr("EINVAL", `routing id ${JSON.stringify(id)} is in use`)
    }
    super.connect(address, { routingId: id ? (id as string) : undefined })
  }

  protected override get connectTakesOptions(): boolean {
    return true
  }

  protected override pipeAdded(p: Pipe): void {
    // A connect with a routing id is routable before the connection is up, as in libzmq.
    if (p.presetRoutingId !== null) this.assign(p, Buffer.from(p.presetRoutingId, "latin1"))
  }

  protected override pipeHandshaken(p: Pipe, _peer: Metadata): ZmtpError | undefined {
    // A connect's pipe keeps its id across reconnects (libzmq keeps the session's pipe).
    if (p.routingKey !== undefined) return undefined
    if (this.assign(p, p.presetRoutingId !== null ? Buffer.from(p.presetRoutingId, "latin1") : this.generateId())) return undefined
    // An id another connection holds (libzmq asserts): this connection is refused, so that its
    // bytes are never handed out under the other's id; a connect tries again later.
    return zerr("EINVAL", "routing id in use by another connection")
  }

  /** Gives a pipe its routing id; false (and the pipe unroutable, unnamed) if the id is in use. */
  private assign(p: Pipe, id: Buffer): boolean {
    const key = id.toString("latin1")
    const holder = this.routes.get(key)
    if (holder !== undefined && holder !== p) return false
    // The raw engine puts the id in front of every message it delivers, notifications included.
    p.routingId = id
    p.inboundPrefix = id
    p.routingKey = key
    this.routes.set(key, p)
    return true
  }

  private generateId(): Buffer {
    const b = Buffer.allocUnsafe(5)
    b[0] = 0
    b.writeUInt32BE(this.nextId, 1)
    this.nextId = (this.nextId + 1) >>> 0
    return b
  }

  protected override pipeRemoved(p: Pipe): void {
    this.unroute(p)
  }

  private unroute(p: Pipe): void {
    if (p.routingKey !== undefined && this.routes.get(p.routingKey) === p) this.routes.delete(p.routingKey)
    p.routingKey = undefined
  }

  protected override canSendNow(): boolean {
    // libzmq's STREAM always reports POLLOUT; a full peer makes the send itself wait.
    return true
  }

  /**
   * Frames are taken in pairs, routing id then bytes, as libzmq's STREAM reads them (its MORE flag
   * marks an id). A lone frame is ignored, as libzmq ignores an id without data; so is a trailing
   * unpaired one. Unlike libzmq, a message of several pairs is all-or-nothing (every id is looked up
   * and every peer has room before anything is queued), and an ignored frame does not shift how
   * later messages are read (in libzmq it does: README, migration table).
   */
  protected xsend(frames: Buffer[]): boolean {
    const n = frames.length - (frames.length % 2)
    if (n === 0) return true
    const pipes: Pipe[] = []
    for (let i = 0; i < n; i += 2) {
      const p = this.routes.get(frames[i]!.toString("latin1"))
      // An unknown (or closed) id: libzmq's STREAM answers EHOSTUNREACH, whatever ZMQ_ROUTER_MANDATORY.
      if (!p) throw zerr("EHOSTUNREACH")
      pipes.push(p)
    }
    for (let i = 0; i < n; i += 2) {
      // At the high-water mark the send waits (up to sendTimeout, then EAGAIN): libzmq's STREAM never drops.
      if (frames[i + 1]!.length > 0 && !pipes[i >> 1]!.makeRoom()) return false
    }
    for (let i = 0; i < n; i += 2) {
      const p = pipes[i >> 1]!
      const data = frames[i + 1]!
      if (data.length > 0) {
        if (!p.closed) p.write([data])
        continue
      }
      // An empty frame closes the connection, after what was queued before it (libzmq terminates
      // the pipe, whose reader takes everything up to the delimiter). The id is unroutable at once.
      this.unroute(p)
      this.endPeer(p)
    }
    return true
  }

  protected xrecv(): Buffer[] | undefined {
    // The raw engine already put the routing id in front (Pipe.inboundPrefix).
    return this.readFair()
  }
}

defineOptions(Stream.prototype, ["notify"])
