/**
 * The Node side of the browser scenarios (test/browser/scenarios.ts): a REP, a PUB, an RPC broker
 * with a server, and a CURVE ROUTER, every one bound on one http(s) server's port, each at its path.
 */
import type { Server as HttpServer } from "node:http"
import type { Server as HttpsServer } from "node:https"
import * as z from "../../src/index.js"
import { ipcEndpoint } from "../helpers.js"
import type { ScenarioInput } from "./scenarios.js"

export interface NodeSide {
  input: Omit<ScenarioInput, "opts">
  /** The casts the RPC server received. */
  casts: unknown[]
  /** The public keys the CURVE clients sent in their messages (the ROUTER is a CURVE server: no other peer gets through). */
  curvePeers: string[]
  close(): Promise<void>
}

export async function startNodeSide(server: HttpServer | HttpsServer, scheme: "ws" | "wss"): Promise<NodeSide> {
  const port = (server.address() as { port: number }).port
  const at = (path: string) => `${scheme}://127.0.0.1:${port}${path}`
  const closers: (() => void | Promise<void>)[] = []

  const rep = new z.Reply()
  closers.push(() => rep.close())
  await rep.bind(at("/rep"), { server })
  void (async () => {
    for await (const m of rep) await rep.send(["world", ...m.map((f) => f.toString())]).catch(() => {})
  })()

  const pub = new z.Publisher()
  closers.push(() => pub.close())
  await pub.bind(at("/pub"), { server })
  let n = 0
  // PUB drops what no subscriber is there for (RFC 29): publish until the test is done.
  const timer = setInterval(() => {
    n++
    void pub.send(["other", String(n)]).catch(() => {})
    void pub.send(["news", String(n)]).catch(() => {})
  }, 20)
  closers.push(() => clearInterval(timer))

  const backend = ipcEndpoint()
  const broker = await z.Broker.start({ frontend: at("/rpc"), frontendServer: server, backend })
  closers.push(() => broker.close())
  const casts: unknown[] = []
  const rpc = new z.RpcServer({
    add: (p: unknown) => (p as number[]).reduce((a, b) => a + b, 0),
    note: (p: unknown) => void casts.push(p),
    fail: () => {
      throw new Error("refused on purpose")
    },
  })
  rpc.connect(broker.backends.default!)
  closers.push(() => rpc.close())

  const keys = z.curveKeyPair()
  const router = new z.Router({ curveServer: true, curveSecretKey: keys.secretKey })
  closers.push(() => router.close())
  await router.bind(at("/curve"), { server })
  const curvePeers: string[] = []
  void (async () => {
    for await (const [id, msg, key] of router) {
      curvePeers.push(key!.toString())
      await router.send([id!, "pong", msg!.toString()]).catch(() => {})
    }
  })()

  return {
    input: { rep: at("/rep"), pub: at("/pub"), rpc: at("/rpc"), curve: at("/curve"), curveServerKey: keys.publicKey },
    casts,
    curvePeers,
    close: async () => {
      for (const c of closers.reverse()) await c()
    },
  }
}
