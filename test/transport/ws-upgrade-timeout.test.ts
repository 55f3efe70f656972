/**
 * From the adversarial review of issue 19 (h-R19, review19/p15-client-stuck-upgrade.mjs): over tcp:// a
 * silent server is dropped after handshakeInterval and redialled; over ws:// the one attempt hung for
 * ever, because the HTTP upgrade was bounded by connectTimeout alone (0 by default).
 */
import net, { type AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import * as z from "../../src/index.js"
import { closeAfterEach, sleep } from "../helpers.js"

const track = closeAfterEach()
const cleanups: (() => void)[] = []
afterEach(() => {
  for (const f of cleanups.splice(0).reverse()) f()
})

describe("a ws:// client whose server never answers the upgrade", () => {
  // Failed before the fix with "expected 1 to be greater than or equal to 2": one connection, no retry.
  it("the attempt is abandoned and redialled within handshakeInterval, as over tcp", async () => {
    let conns = 0
    const held: net.Socket[] = []
    const server = net.createServer((s) => {
      conns++
      held.push(s)
      s.on("error", () => {})
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    cleanups.push(() => {
      for (const s of held) s.destroy()
      server.close()
    })
    const push = track(new z.Push({ linger: 0, handshakeInterval: 300, reconnectInterval: 50 }))
    push.connect(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/z`)
    await sleep(1500)
    expect(conns).toBeGreaterThanOrEqual(2)
  })
})
