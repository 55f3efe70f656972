/**
 * The socket-type compatibility matrix of RFC 23 "The Socket-Type Property", for the types zmtp
 * implements, checked against every type name the RFC defines and a few near misses.
 */
import { describe, expect, it } from "vitest"
import { isCompatible, socketTypeNumber, type SocketTypeName } from "../../src/codec/socket-types.js"

/** RFC 23: socket-type = "REQ" | "REP" | "DEALER" | "ROUTER" | "PUB" | "XPUB" | "SUB" | "XSUB" | "PUSH" | "PULL" | "PAIR". */
const RFC_TYPES = ["REQ", "REP", "DEALER", "ROUTER", "PUB", "XPUB", "SUB", "XSUB", "PUSH", "PULL", "PAIR"]

/**
 * The rows of the RFC 23 table for our four types ("This table shows the legal combinations (as
 * "*")"):
 *
 *        | REQ | REP | DEALER | ROUTER | PUB | XPUB | SUB | XSUB | PUSH | PULL | PAIR |
 * REQ    |     |  *  |        |   *    |     |      |     |      |      |      |      |
 * REP    |  *  |     |   *    |        |     |      |     |      |      |      |      |
 * DEALER |     |  *  |   *    |   *    |     |      |     |      |      |      |      |
 * ROUTER |  *  |     |   *    |   *    |     |      |     |      |      |      |      |
 * PUB    |     |     |        |        |     |      |  *  |  *   |      |      |      |
 * XPUB   |     |     |        |        |     |      |  *  |  *   |      |      |      |
 * SUB    |     |     |        |        |  *  |  *   |     |      |      |      |      |
 * XSUB   |     |     |        |        |  *  |  *   |     |      |      |      |      |
 * PUSH   |     |     |        |        |     |      |     |      |      |  *   |      |
 * PULL   |     |     |        |        |     |      |     |      |  *   |      |      |
 * PAIR   |     |     |        |        |     |      |     |      |      |      |  *   |
 */
const RFC_MATRIX: Record<SocketTypeName, string[]> = {
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  XPUB: ["SUB", "XSUB"],
  XSUB: ["PUB", "XPUB"],
  PUSH: ["PULL"],
  PULL: ["PUSH"],
  PAIR: ["PAIR"],
  // libzmq's ZMQ_STREAM speaks no ZMTP: no ZMTP peer is compatible.
  STREAM: [],
}

describe("socket-type compatibility (RFC 23)", () => {
  for (const ours of Object.keys(RFC_MATRIX) as SocketTypeName[]) {
    it(`${ours} accepts exactly ${RFC_MATRIX[ours].join(", ")}`, () => {
      // RFC 23: "The peer SHOULD enforce that the other peer is using a valid socket type."
      const accepted = RFC_TYPES.filter((theirs) => isCompatible(ours, theirs))
      expect(accepted).toEqual(RFC_MATRIX[ours])
    })
  }

  it("the matrix is symmetric for these types", () => {
    for (const a of Object.keys(RFC_MATRIX) as SocketTypeName[]) {
      for (const b of Object.keys(RFC_MATRIX) as SocketTypeName[]) {
        expect(isCompatible(a, b), `${a}/${b}`).toBe(isCompatible(b, a))
      }
    }
  })

  it("names are matched exactly, as libzmq does (mechanism.cpp compares length and octets)", () => {
    // The Socket-Type grammar lists upper-case strings; libzmq's check_socket_type compares the value's
    // length and octets exactly, so "dealer", "DEALER\0" or "DEALERX" are not DEALER.
    for (const near of ["dealer", "Dealer", "DEALER\0", "DEALERX", " DEALER", "DEALE", "", "ROUTER ", "rep"]) {
      for (const ours of Object.keys(RFC_MATRIX) as SocketTypeName[]) {
        expect(isCompatible(ours, near), `${ours} vs ${JSON.stringify(near)}`).toBe(false)
      }
    }
  })

  it("numeric types are libzmq's (zmq.h: ZMQ_PUB 1, ZMQ_SUB 2, ZMQ_REQ 3, ZMQ_REP 4, ZMQ_DEALER 5, ZMQ_ROUTER 6, ZMQ_XPUB 9, ZMQ_XSUB 10, ZMQ_PAIR 0, ZMQ_PULL 7, ZMQ_PUSH 8, ZMQ_STREAM 11)", () => {
    expect(socketTypeNumber).toEqual({ REQ: 3, REP: 4, DEALER: 5, ROUTER: 6, PUB: 1, SUB: 2, XPUB: 9, XSUB: 10, PUSH: 8, PULL: 7, PAIR: 0, STREAM: 11 })
  })
})
