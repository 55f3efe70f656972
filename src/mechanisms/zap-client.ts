/**
 * The ZAP client (RFC 27 "Architecture"): the server side of PLAIN and CURVE asks the handler bound
 * at `inproc://zeromq.zap.01` in this process. Not pure (it owns a connection), so it sits beside
 * the mechanisms rather than in them: a mechanism only produces request frames and reads replies.
 *
 * One connection per process, opened on the first request, made as a DEALER so that a REP or ROUTER
 * handler written for libzmq works unchanged; requests carry distinct request ids and replies are
 * matched by them. With no handler bound the caller is told at once (libzmq then accepts the peer).
 * A request whose handshake ended first (peer gone, handshake timer) is forgotten: it holds nothing of
 * its engine, and a reply that still comes is dropped.
 */
import { Buffer } from "node:buffer"
import type { Metadata } from "../codec/command.js"
import { Engine, type EngineHost } from "../engine/engine.js"
import type { ZmtpError } from "../errors.js"
import { Pipe, type PipeOwner } from "../pipe/pipe.js"
import { connectInproc, inprocBinding, type InprocListener } from "../transport/inproc.js"
import { NullMechanism } from "./null.js"

/** The endpoint a ZAP handler binds (RFC 27). */
export const ZAP_ENDPOINT = "inproc://zeromq.zap.01"

type Reply = (frames: Buffer[] | undefined) => void

/**
 * Requests that may wait unsent for a handler that does not read. Each handshake attempt of a
 * remote peer makes one, so without a bound a handler that stopped reading would let every
 * connection attempt cost us memory; past it, a request fails at once with a 500 (internal error).
 */
export const ZAP_MAX_UNSENT = 1000
const INTERNAL_ERROR = (text: string) => [Buffer.from("500"), Buffer.from(text), Buffer.alloc(0), Buffer.alloc(0)]

class ZapClient implements EngineHost, PipeOwner {
  private engine: Engine | undefined
  private handler: InprocListener | undefined
  private pipe: Pipe | undefined
  private readonly pending = new Map<string, Reply>()
  private nextId = 1

  /**
   * Sends a request. Returns a function that forgets it, or undefined when no handler is bound. The
   * reply comes later, never from within this call (inproc delivers on a later tick).
   */
  request(frames: Buffer[], reply: Reply): (() => void) | undefined {
    const handler = inprocBinding(ZAP_ENDPOINT)
    if (!handler) return undefined
    if (this.engine && this.handler !== handler) {
      // The handler we talked to went away and another one bound since: start afresh.
      this.engine.close(undefined)
    }
    if (!this.engine) {
      const sock = connectInproc(ZAP_ENDPOINT)
      if (!sock) return undefined
      this.handler = handler
      this.pipe = new Pipe(this, ZAP_ENDPOINT, true, 0, 0)
      this.engine = new Engine(
        sock as never,
        new NullMechanism([
          ["Socket-Type", "DEALER"],
          ["Identity", Buffer.alloc(0)],
        ]),
        { socketType: "DEALER", maxMessageSize: -1, handshakeInterval: 0, heartbeatInterval: 0, heartbeatTimeout: -1, heartbeatTimeToLive: 0 },
        this,
        ZAP_ENDPOINT,
      )
    }
    if (this.pipe!.out.length >= ZAP_MAX_UNSENT) {
      let forgotten = false
      queueMicrotask(() => forgotten || reply(INTERNAL_ERROR("ZAP handler is not reading requests")))
      return () => {
        forgotten = true
      }
    }
    const id = String(this.nextId++)
    this.pending.set(id, reply)
    // RFC 27 request: delimiter, version "1.0", request id, then the mechanism's frames.
    this.pipe!.write([Buffer.alloc(0), Buffer.from("1.0"), Buffer.from(id), ...frames])
    const pending = this.pending
    return () => {
      pending.delete(id)
    }
  }

  /** Requests sent and neither answered nor forgotten. */
  get waiting(): number {
    return this.pending.size
  }

  /** EngineHost: the handler accepted our connection. */
  engineReady(_engine: Engine, _peer: Metadata): Pipe | ZmtpError {
    return this.pipe!
  }

  /** EngineHost: the handler went away; waiting handshakes get a 500 (internal error) and fail. */
  engineClosed(engine: Engine): void {
    if (engine !== this.engine) return
    this.engine = undefined
    this.pipe = undefined
    const waiting = [...this.pending.values()]
    this.pending.clear()
    const internal = INTERNAL_ERROR("ZAP handler went away")
    for (const r of waiting) r(internal)
  }

  /** PipeOwner: replies arrived. */
  pipeReadable(p: Pipe): void {
    let m: Buffer[] | undefined
    while ((m = p.read())) {
      // Reply: delimiter, "1.0", request id, status code, status text, user id, metadata.
      if (m.length < 3 || m[0]!.length !== 0 || m[1]!.toString("latin1") !== "1.0") continue
      const id = m[2]!.toString("latin1")
      const r = this.pending.get(id)
      if (!r) continue
      this.pending.delete(id)
      r(m.slice(3))
    }
  }

  pipeWritable(): void {}
}

const client = new ZapClient()

/** Asks the process's ZAP handler; see {@link ZapClient.request}. */
export function zapRequest(frames: Buffer[], reply: Reply): (() => void) | undefined {
  return client.request(frames, reply)
}

/** How many ZAP requests of this process wait for their reply (for tests and diagnostics). */
export function zapRequestsWaiting(): number {
  return client.waiting
}
