/**
 * The HTTP upgrade on a ws:// bind's own server is bounded by handshakeInterval (adversarial review
 * of issue 19, finding 10, review19/p4-slowloris.mjs): a peer trickling its request headers and
 * never ending them held the connection for Node's headersTimeout (60 s, checked every 30 s).
 */
import net from "node:net"
import { describe, expect, it } from "vitest"
import * as z from "../../src/index.js"
import { closeAfterEach } from "../helpers.js"

const track = closeAfterEach()

describe("ws:// bind: a slow HTTP upgrade", () => {
  // The test's own timeout is the deadline: a few handshakeIntervals, far below Node's 60 s.
  it("a request whose headers trickle and never end is dropped (handshakeInterval 300 ms)", { timeout: 8000 }, async () => {
    const pull = track(new z.Pull({ handshakeInterval: 300 }))
    await pull.bind("ws://127.0.0.1:*/zmq")
    const port = Number(new URL(pull.lastEndpoint!).port)
    const c = net.connect(port, "127.0.0.1", () => c.write("GET /zmq HTTP/1.1\r\nX-A: "))
    const iv = setInterval(() => c.write("a"), 100)
    try {
      const closed = await new Promise<boolean>((resolve) => {
        c.on("error", () => {})
        c.on("close", () => resolve(true))
      })
      expect(closed).toBe(true)
    } finally {
      clearInterval(iv)
      c.destroy()
    }
  })
})
