/**
 * Security mechanisms (RFC 23 "Security Mechanisms"). A mechanism is pure: it turns the peer's
 * handshake commands into the commands we answer with, and finally into the peer's metadata.
 */
import type { Command, Metadata } from "../codec/command.js"

/** One step's outcome. */
export interface MechanismStep {
  /** Whole command frames to send. */
  send?: Buffer[]
  /** Set when the handshake is complete: the peer's metadata. */
  done?: Metadata
}

/** A security mechanism for one connection. Methods throw a ProtocolError on a violation. */
export interface Mechanism {
  /** Name as it appears in the greeting. */
  readonly name: string
  /** Our as-server flag for the greeting. */
  readonly asServer: boolean
  /** Called once both greetings are exchanged; returns the first commands to send. */
  start(): MechanismStep
  /** A command from the peer during the handshake. */
  onCommand(cmd: Command): MechanismStep
}
