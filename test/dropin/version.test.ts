/**
 * `version` and `capability` as zeromq.js has them (issue 15 item 1): code that gates features on
 * `semver.satisfies(zmq.version, ">= 4.2")` or reads `zmq.capability.curve` must work unchanged, and
 * what `capability` says must be true of zmtp.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import * as zeromq from "zeromq"
import * as zmtp from "../../src/index.js"
import { Dealer, Router } from "../../src/index.js"
import { closeAfterEach, ipcEndpoint } from "../helpers.js"

const track = closeAfterEach()

/** major.minor.patch as numbers. */
function parts(v: string): number[] {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v)
  expect(m, `${v} is major.minor.patch`).not.toBeNull()
  return m!.slice(1).map(Number)
}

describe("version", () => {
  it("is the libzmq version zmtp follows, formatted as zeromq.js formats its own", () => {
    expect(zmtp.version).toBe("4.3.5")
    expect(zmtp.version).toBe(zeromq.version)
  })

  it("passes the gate zeromq.js's own test suite puts on it (>= 4.2)", () => {
    const [major, minor] = parts(zmtp.version)
    expect(major! > 4 || (major === 4 && minor! >= 2)).toBe(true)
  })

  it("zmtp's own release is zmtpVersion, the version in package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
    expect(zmtp.zmtpVersion).toBe(pkg.version)
    parts(zmtp.zmtpVersion)
  })
})

describe("capability", () => {
  it("has zeromq.js's keys, each a boolean", () => {
    expect(Object.keys(zmtp.capability).sort()).toEqual(Object.keys(zeromq.capability).sort())
    for (const [k, v] of Object.entries(zmtp.capability)) expect({ k, type: typeof v }).toEqual({ k, type: "boolean" })
  })

  it("tells the truth: curve and ipc (off Windows) yes; pgm, tipc, norm, gssapi and draft sockets no", () => {
    expect(zmtp.capability).toEqual({
      ipc: process.platform !== "win32",
      pgm: false,
      tipc: false,
      norm: false,
      curve: true,
      gssapi: false,
      draft: false,
    })
  })

  it("cannot be changed by a caller", () => {
    expect(typeof zmtp.capability).toBe("object")
    expect(Object.isFrozen(zmtp.capability)).toBe(true)
  })

  it.skipIf(zmtp.capability?.ipc === false)("ipc: true is true: a message goes over an ipc endpoint", async () => {
    const router = track(new Router())
    const dealer = track(new Dealer())
    const ep = ipcEndpoint()
    await router.bind(ep)
    dealer.connect(ep)
    await dealer.send("over ipc")
    const [, body] = await router.receive()
    expect(body!.toString()).toBe("over ipc")
  })

  it("curve: true is true: a CURVE pair handshakes and exchanges a message", async () => {
    const server = zmtp.curveKeyPair()
    const client = zmtp.curveKeyPair()
    const router = track(new Router({ curveServer: true, curveSecretKey: server.secretKey }))
    await router.bind("tcp://127.0.0.1:*")
    const dealer = track(new Dealer({ curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey }))
    dealer.connect(router.lastEndpoint!)
    await dealer.send("sealed")
    const [, body] = await router.receive()
    expect(body!.toString()).toBe("sealed")
  })

  it("pgm, tipc and norm: false is true: their endpoints are refused as an unsupported protocol", async () => {
    const d = track(new Dealer())
    for (const [flag, scheme] of [
      ["pgm", "pgm"],
      ["pgm", "epgm"],
      ["tipc", "tipc"],
      ["norm", "norm"],
    ] as const) {
      expect(zmtp.capability[flag]).toBe(false)
      expect(() => d.connect(`${scheme}://127.0.0.1:5555`)).toThrow(expect.objectContaining({ code: "EPROTONOSUPPORT" }))
    }
  })

  it("draft: false is true: none of libzmq's draft socket types is exported", () => {
    for (const draft of ["Server", "Client", "Radio", "Dish", "Gather", "Scatter", "Datagram", "Peer", "Channel"]) {
      expect({ draft, exported: draft in zmtp }).toEqual({ draft, exported: false })
    }
  })
})
