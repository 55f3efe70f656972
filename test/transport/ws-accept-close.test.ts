/**
 * From the adversarial review of issue 19 (h-R19, review19/p1-accept-close.mjs): an "accept" listener
 * that closes the socket over ws:// threw "sock.destroy is not a function" out of the http server.
 */
import http from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import * as z from "../../src/index.js"
import { closeAfterEach, sleep, until } from "../helpers.js"

const track = closeAfterEach()
const cleanups: (() => void)[] = []
afterEach(() => {
  for (const f of cleanups.splice(0).reverse()) f()
})

describe("re-entrancy through events over ws:// (review19/p1-accept-close.mjs, p10-event-reentrancy.mjs)", () => {
  // Failed before the fix: socket-peers.ts accepted() answers a socket closed by an "accept" listener with
  // sock.destroy(), but for ws the "sock" is a NodeWsTransport, which has no destroy():
  // "TypeError: sock.destroy is not a function" is thrown out of http's 'upgrade' event, an
  // uncaught exception in a real program (p1 prints it; tcp:// is fine).
  it("an 'accept' listener that closes the socket throws nothing out of the upgrade", async () => {
    const server = http.createServer()
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    cleanups.push(() => server.close())
    // The upgrade handlers run inside server.emit: a throw from them is caught here, not by the process.
    const thrown: unknown[] = []
    const emit = server.emit.bind(server)
    server.emit = ((ev: string, ...a: unknown[]) => {
      try {
        return emit(ev, ...a)
      } catch (e) {
        thrown.push(e)
        return true
      }
    }) as typeof server.emit
    const port = (server.address() as AddressInfo).port
    const pull = track(new z.Pull({ linger: 0 }))
    await pull.bind(`ws://127.0.0.1:${port}/z`, { server })
    let accepted = 0
    pull.events.on("accept", () => {
      accepted++
      pull.close()
    })
    const push = track(new z.Push({ linger: 0 }))
    push.connect(`ws://127.0.0.1:${port}/z`)
    await until(() => accepted > 0, 3000, "accept")
    await sleep(50)
    expect(thrown.map(String)).toEqual([])
  })
})
