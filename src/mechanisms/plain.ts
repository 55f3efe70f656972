/**
 * The PLAIN mechanism (RFC 24): the client sends its username and password in clear, the server asks
 * its ZAP handler (RFC 27) and answers WELCOME or ERROR; metadata then goes both ways as INITIATE and
 * READY. PLAIN offers no confidentiality: it keeps honest peers from misconfiguration.
 */
import { Buffer } from "node:buffer"
import { decodeMetadata, encodeCommand, encodeMetadata, encodeReady, type Command } from "../codec/command.js"
import { ZmtpError } from "../errors.js"
import type { Mechanism, MechanismStep } from "./mechanism.js"
import { peerError, violation } from "./mechanism.js"
import { readZapReply, refuse, zapRequest, type ZapContext } from "./zap.js"

type Props = ReadonlyArray<readonly [string, Buffer | string]>

/** RFC 24: username and password are each a short string (one length octet). */
function shortString(s: string, what: string): Buffer {
  const b = Buffer.from(s)
  if (b.length > 255) throw new RangeError(`PLAIN ${what} longer than 255 octets`)
  return b
}

/** PLAIN client (the side with plainUsername set). */
export class PlainClient implements Mechanism {
  readonly name = "PLAIN"
  readonly asServer = false
  private state: "hello" | "welcome" | "ready" | "done" = "hello"

  constructor(
    private readonly props: Props,
    private readonly username: string,
    private readonly password: string,
  ) {}

  start(): MechanismStep {
    // RFC 24: hello = command-size %d5 "HELLO" username password.
    const u = shortString(this.username, "username")
    const p = shortString(this.password, "password")
    const data = Buffer.concat([Buffer.from([u.length]), u, Buffer.from([p.length]), p])
    this.state = "welcome"
    return { send: [encodeCommand("HELLO", data)] }
  }

  /**
   * libzmq 4.3.5 writes its PLAIN ERROR name as the C string "\x05ERROR", whose greedy hex escape
   * makes the octets "^RROR" (0x5e 'R' 'R' 'O' 'R'): a body decodeCommand refuses. It is read here
   * as the ERROR it means, so a refused zmtp client reports handshake:error:auth as libzmq's does.
   */
  parseCommand(body: Buffer): Command | undefined {
    if (body.length >= 6 && body.toString("latin1", 0, 5) === "^RROR") return { name: "ERROR", data: body.subarray(5) }
    return undefined
  }

  onCommand(cmd: Command): MechanismStep {
    if (cmd.name === "ERROR") throw peerError(errorReason(cmd.data))
    if (this.state === "welcome" && cmd.name === "WELCOME") {
      // RFC 24: welcome = command-size %d7 "WELCOME", nothing after the name.
      if (cmd.data.length !== 0) throw violation("malformed PLAIN WELCOME", "ERR_ZMTP_COMMAND")
      this.state = "ready"
      return { send: [encodeCommand("INITIATE", encodeMetadata(this.props))] }
    }
    if (this.state === "ready" && cmd.name === "READY") {
      this.state = "done"
      return { done: decodeMetadata(cmd.data) }
    }
    throw violation(`unexpected ${cmd.name} command during the PLAIN handshake`)
  }
}

/** PLAIN server (plainServer = true). */
export class PlainServer implements Mechanism {
  readonly name = "PLAIN"
  readonly asServer = true
  private state: "hello" | "zap" | "initiate" | "done" = "hello"

  constructor(
    private readonly props: Props,
    private readonly zap: ZapContext,
  ) {}

  start(): MechanismStep {
    return {}
  }

  onCommand(cmd: Command): MechanismStep {
    if (this.state === "hello" && cmd.name === "HELLO") {
      const d = cmd.data
      // Every length is checked against what remains (RFC 24 grammar; libzmq plain_server).
      if (d.length < 1) throw violation("PLAIN HELLO without username", "ERR_ZMTP_COMMAND")
      const ulen = d[0]!
      if (1 + ulen + 1 > d.length) throw violation("malformed PLAIN HELLO username", "ERR_ZMTP_COMMAND")
      const username = d.subarray(1, 1 + ulen)
      const plen = d[1 + ulen]!
      if (2 + ulen + plen !== d.length) throw violation("malformed PLAIN HELLO password", "ERR_ZMTP_COMMAND")
      const password = d.subarray(2 + ulen)
      this.state = "zap"
      return { zap: zapRequest(this.zap, "PLAIN", [Buffer.from(username), Buffer.from(password)]) }
    }
    if (this.state === "initiate" && cmd.name === "INITIATE") {
      const meta = decodeMetadata(cmd.data)
      this.state = "done"
      return { send: [encodeReady(this.props)], done: meta }
    }
    throw violation(`unexpected ${cmd.name} command during the PLAIN handshake`)
  }

  onZapReply(reply: Buffer[] | undefined): MechanismStep {
    if (this.state !== "zap") throw violation("ZAP reply out of turn")
    if (!reply) {
      // No handler bound: libzmq 4.3.5's PLAIN server fails the handshake (EFAULT, reported as
      // handshake:error:other) and closes without an ERROR: PLAIN without ZAP checks nothing.
      // (CURVE differs: it accepts, the "Stonehouse" pattern.)
      return { fail: new ZmtpError("EFAULT", "PLAIN server without a ZAP handler at inproc://zeromq.zap.01") }
    }
    const v = readZapReply(reply)
    if (v.status !== 200) return refuse(v)
    this.state = "initiate"
    return { send: [encodeCommand("WELCOME")] }
  }
}

/** Reads an ERROR's reason (RFC 23: error-reason = short-size 0*255VCHAR). */
export function errorReason(data: Buffer): string {
  if (data.length < 1 || 1 + data[0]! > data.length) throw violation("malformed ERROR command", "ERR_ZMTP_COMMAND")
  return data.toString("latin1", 1, 1 + data[0]!)
}
