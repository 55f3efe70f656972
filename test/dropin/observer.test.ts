/**
 * The events observer's own `close()`, side by side with zeromq.js: once a user closes
 * `socket.events`, the observer reads as closed at once and a `receive()` rejects as it does after
 * the socket closed (EBADF), while the socket itself stays open.
 */
import { describe, expect, it } from "vitest"
import { closeAfterEach, libs, type Zmq } from "./side-by-side.js"


const track = closeAfterEach()

async function afterEventsClose(zmq: Zmq) {
  const sock = new zmq.Dealer()
  track(sock)
  const events = sock.events
  events.close()
  const closedAtOnce = events.closed
  let received: unknown
  try {
    received = await events.receive()
  } catch (e) {
    const err = e as { code?: string; errno?: number; message?: string }
    received = { code: err.code, errno: err.errno, message: err.message }
  }
  return { closedAtOnce, received, socketClosed: sock.closed }
}

describe("events.close()", () => {
  it("closes the observer at once; receive() then rejects with EBADF, as zeromq.js", async () => {
    const seen: Record<string, unknown> = {}
    for (const { name, zmq } of libs) seen[name] = await afterEventsClose(zmq)
    expect(seen["zeromq.js"]).toEqual({
      closedAtOnce: true,
      received: { code: "EBADF", errno: 9, message: "Socket is closed" },
      socketClosed: false,
    })
    expect(seen.zmtp).toEqual(seen["zeromq.js"])
  })
})
