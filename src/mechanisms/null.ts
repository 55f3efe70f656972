/**
 * The NULL mechanism (RFC 23 "The NULL Security Mechanism"): each peer sends READY with its metadata;
 * the handshake is complete when the peer's READY arrives. Either side may send its READY first.
 */
import { decodeErrorReason, decodeMetadata, encodeReady, type Command } from "../codec/command.js"
import { ProtocolError } from "../errors.js"
import type { Mechanism, MechanismStep } from "./mechanism.js"

export class NullMechanism implements Mechanism {
  readonly name = "NULL"
  /** RFC 23: with NULL the as-server field MUST be zero. */
  readonly asServer = false
  private sentReady = false

  constructor(private readonly props: ReadonlyArray<readonly [string, Buffer | string]>) {}

  start(): MechanismStep {
    this.sentReady = true
    return { send: [encodeReady(this.props)] }
  }

  onCommand(cmd: Command): MechanismStep {
    if (cmd.name === "READY") {
      const meta = decodeMetadata(cmd.data)
      return this.sentReady ? { done: meta } : { send: [encodeReady(this.props)], done: meta }
    }
    if (cmd.name === "ERROR") {
      throw new ProtocolError("ERR_ZMTP_PEER_ERROR", `peer refused the handshake: ${decodeErrorReason(cmd.data)}`)
    }
    throw new ProtocolError("ERR_ZMTP_UNEXPECTED_COMMAND", `unexpected ${cmd.name} command during the NULL handshake`)
  }
}
