/**
 * The engine's batch writer for an encrypting mechanism (CURVE): each message is boxed frame by
 * frame into MESSAGE commands (RFC 26) before it joins the batch. A subclass, so the engine's flush
 * loop is the same for every mechanism, and NULL and PLAIN keep the plain BatchWriter untouched.
 */
import { Buffer } from "node:buffer"
import { BatchWriter } from "../engine/batch-writer.js"
import type { PackedRun } from "../pipe/out-queue.js"
import type { TrafficCodec } from "./mechanism.js"

/** Boxed messages smaller than this are gathered into one buffer per flush rather than one writev entry each. */
const GATHER_LIMIT = 16 * 1024

export class EncryptingWriter extends BatchWriter {
  private small: Buffer[] = []
  private smallBytes = 0

  constructor(private readonly codec: TrafficCodec) {
    super()
  }

  override addMessage(frames: readonly Buffer[]): void {
    const wire = this.codec.encodeMessage(frames)
    if (wire.length < GATHER_LIMIT) {
      this.small.push(wire)
      this.smallBytes += wire.length
      this.bytes += wire.length
      if (this.smallBytes >= GATHER_LIMIT) this.gather()
    } else {
      this.gather()
      super.addRaw(wire)
    }
  }

  /** Packed messages are boxed one by one, as any other. */
  override addPacked(run: PackedRun): void {
    for (const m of run.messages()) this.addMessage(m)
  }

  override addRaw(buf: Buffer): void {
    this.gather()
    super.addRaw(buf)
  }

  override take(): Buffer[] {
    this.gather()
    return super.take()
  }

  /** Moves the small boxed messages into the batch as one buffer, keeping their order. */
  private gather(): void {
    if (this.small.length === 0) return
    const buf = this.small.length === 1 ? this.small[0]! : Buffer.concat(this.small, this.smallBytes)
    this.small = []
    // addRaw counts the octets again; they were counted when each message was added.
    this.bytes -= this.smallBytes
    this.smallBytes = 0
    super.addRaw(buf)
  }
}
