/**
 * The browser scenarios Node <-> Node (issue 19 item 3: "the same tests also run Node <-> Node over
 * ws and wss"): the client side of test/browser/scenarios.ts on src/index.ts, against the same Node
 * side, every socket bound on one http.Server (ws://) or https.Server (wss://) port.
 */
import http from "node:http"
import https from "node:https"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as z from "../../src/index.js"
import { cleanupIpc } from "../helpers.js"
import { selfSigned } from "../transport/ws-helpers.js"
import { curve, reqRep, rpc, subscribe, type ScenarioInput } from "./scenarios.js"
import { startNodeSide, type NodeSide } from "./servers.js"

for (const scheme of ["ws", "wss"] as const) {
  describe(`browser scenarios Node <-> Node over ${scheme}://`, () => {
    let server: http.Server | https.Server
    let side: NodeSide
    let input: ScenarioInput

    beforeAll(async () => {
      const tls = scheme === "wss" ? selfSigned() : undefined
      server = tls ? https.createServer({ cert: tls.cert, key: tls.key }) : http.createServer()
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
      side = await startNodeSide(server, scheme)
      input = { ...side.input, opts: tls ? { wssTrustPem: tls.cert } : {} }
    })

    afterAll(async () => {
      await side?.close()
      server?.closeAllConnections()
      await new Promise((r) => server?.close(r))
      cleanupIpc()
    })

    it("REQ -> REP", async () => {
      expect(await reqRep(z, input)).toEqual(["world", "hello", "from the client"])
    })

    it("SUB receives only its subscription from PUB", async () => {
      const got = await subscribe(z, input)
      expect(got).toHaveLength(3)
      for (const m of got) expect(m).toMatch(/^news\|\d+$/)
    })

    it("an RPC call and a cast through the broker, whose frontend binds on the server", async () => {
      const r = await rpc(z, input)
      expect(r.sum).toBe(42)
      expect(r.error).toMatch(/refused on purpose/)
      await expect.poll(() => side.casts).toContainEqual({ from: "client" })
    })

    it("DEALER <-> ROUTER over CURVE", async () => {
      const r = await curve(z, input)
      expect(r.slice(0, 2)).toEqual(["pong", "ping"])
    })
  })
}
