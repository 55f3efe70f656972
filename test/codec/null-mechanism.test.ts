/**
 * The NULL security mechanism (RFC 23 "The NULL Security Mechanism"), driven with command frames that
 * go through the real frame encoder and decoder.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decodeCommand, decodeMetadata, encodeCommand, encodeError, encodeReady, type Command } from "../../src/codec/command.js"
import { ProtocolError } from "../../src/errors.js"
import { NullMechanism } from "../../src/mechanisms/null.js"
import { NO_LIMITS, RUNS, cutsArb, decodeChunks, splitAt } from "./codec-helpers.js"

/** Decodes whole command frames the way the engine receives them. */
function commandsIn(frames: readonly Buffer[], cuts: readonly number[] = []): Command[] {
  const run = decodeChunks(splitAt(Buffer.concat(frames), cuts), NO_LIMITS)
  if (run.thrown !== undefined || run.errors.length) throw new Error("frames did not decode")
  return run.events.map((e) => {
    if (e.kind !== "command") throw new Error("a message where a command was expected")
    return decodeCommand(e.body)
  })
}

function codeOf(fn: () => unknown): string {
  try {
    fn()
    return "none"
  } catch (e) {
    return e instanceof ProtocolError ? e.code : `not a ProtocolError: ${String(e)}`
  }
}

const DEALER_PROPS = [["Socket-Type", "DEALER"], ["Identity", ""]] as const
const ROUTER_PROPS = [["Socket-Type", "ROUTER"]] as const

describe("NullMechanism", () => {
  it("announces NULL with as-server zero (RFC 23: 'the as-server field MUST be zero')", () => {
    const m = new NullMechanism([])
    expect(m.name).toBe("NULL")
    expect(m.asServer).toBe(false)
  })

  it("our READY first: start() sends READY with our metadata; the peer's READY completes the handshake", () => {
    // RFC 23: "To complete a NULL security handshake, both peers SHALL send each other a READY command."
    // "each peer MUST send its READY command before attempting to receive a READY from the other peer."
    const m = new NullMechanism(DEALER_PROPS)
    const first = m.start()
    expect(first.done).toBeUndefined()
    const [ready] = commandsIn(first.send!)
    expect(ready!.name).toBe("READY")
    const ours = decodeMetadata(ready!.data)
    expect(ours.get("socket-type")?.toString()).toBe("DEALER")
    expect(ours.get("identity")?.length).toBe(0)

    const [peerReady] = commandsIn([encodeReady(ROUTER_PROPS)])
    const step = m.onCommand(peerReady!)
    expect(step.send ?? []).toEqual([])
    expect(step.done?.get("socket-type")?.toString()).toBe("ROUTER")
  })

  it("the peer's READY first: onCommand answers with our READY and completes at once", () => {
    // RFC 23: "In the NULL mechanism, peers are symmetric." Either READY may arrive first.
    const m = new NullMechanism(ROUTER_PROPS)
    const [peerReady] = commandsIn([encodeReady(DEALER_PROPS)])
    const step = m.onCommand(peerReady!)
    expect(step.done?.get("socket-type")?.toString()).toBe("DEALER")
    const sent = commandsIn(step.send ?? [])
    expect(sent.map((c) => c.name)).toEqual(["READY"])
    expect(decodeMetadata(sent[0]!.data).get("socket-type")?.toString()).toBe("ROUTER")
  })

  it("ERROR from the peer is fatal: ERR_ZMTP_PEER_ERROR", () => {
    // RFC 23: "The peer SHALL treat an incoming ERROR command as fatal"; null = ready *message | error.
    for (const started of [true, false]) {
      const m = new NullMechanism(DEALER_PROPS)
      if (started) m.start()
      const [err] = commandsIn([encodeError("access denied")])
      expect(codeOf(() => m.onCommand(err!))).toBe("ERR_ZMTP_PEER_ERROR")
    }
    // A short or empty ERROR body is still an ERROR.
    const m = new NullMechanism([])
    m.start()
    expect(codeOf(() => m.onCommand({ name: "ERROR", data: Buffer.alloc(0) }))).toBe("ERR_ZMTP_PEER_ERROR")
  })

  it("a READY whose property runs past the command is a protocol error, not a crash", () => {
    // zmq.rs #286. Name "A", value size 9, one value octet present.
    const m = new NullMechanism([])
    m.start()
    const [bad] = commandsIn([encodeCommand("READY", Buffer.from("0141000000090a", "hex"))])
    const code = codeOf(() => m.onCommand(bad!))
    expect(code).toBe("ERR_ZMTP_INVALID_METADATA")
  })

  it("any other command during the handshake is refused", () => {
    // RFC 23 grammar: null = ready *message | error. A PING or a mechanism's HELLO does not belong here.
    for (const name of ["PING", "HELLO", "INITIATE", "ready"]) {
      const m = new NullMechanism([])
      m.start()
      const code = codeOf(() => m.onCommand({ name, data: Buffer.alloc(2) }))
      expect(code.startsWith("ERR_ZMTP_")).toBe(true)
      expect(code).not.toBe("ERR_ZMTP_PEER_ERROR")
    }
  })

  it("property: two NULL peers exchange READY through encoder and decoder and each learns the other's metadata", () => {
    const nameArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.+-]{0,15}$/)
    const propsArb = fc.uniqueArray(fc.tuple(nameArb, fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u))), {
      maxLength: 4,
      selector: ([n]) => n.toLowerCase(),
    })
    fc.assert(
      fc.property(propsArb, propsArb, fc.boolean(), cutsArb, (pa, pb, bStartsFirst, cuts) => {
        const a = new NullMechanism(pa)
        const b = new NullMechanism(pb)
        const aSends = a.start().send!
        let bDone
        let bSends: Buffer[]
        if (bStartsFirst) {
          bSends = b.start().send!
          const [r] = commandsIn(aSends, cuts)
          const step = b.onCommand(r!)
          if (step.send?.length) throw new Error("B sent READY twice")
          bDone = step.done
        } else {
          const [r] = commandsIn(aSends, cuts)
          const step = b.onCommand(r!)
          bSends = step.send!
          bDone = step.done
        }
        const [r2] = commandsIn(bSends, cuts)
        const aDone = a.onCommand(r2!).done
        for (const [meta, props] of [
          [aDone, pb],
          [bDone, pa],
        ] as const) {
          if (!meta || meta.size !== props.length) throw new Error("metadata lost")
          for (const [n, v] of props) if (!meta.get(n.toLowerCase())?.equals(v)) throw new Error(`property ${n} lost`)
        }
      }),
      { numRuns: RUNS },
    )
  })
})
