// Closing the client or server from inside a handler or a callback, and during a retry.
import { Broker, RpcClient, RpcServer } from "../dist/index.js"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const out = {}
const b = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" })
const empty = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*", pendingTimeout: -1 })
// 1. close during a retry (broker without servers, so every attempt times out)
{
  const c = new RpcClient(empty.frontend, { timeout: 100, retries: 10 })
  const t = Date.now(); const p = c.call("x").catch((e) => e.code)
  await sleep(250); c.close()
  out.closeDuringRetry = { code: await p, ms: Date.now() - t, socketsAfter: c.sockets }
}
// 2. client.close() inside a server handler, while the call and others are in flight
{
  const c = new RpcClient(b.frontend, { timeout: 1000 })
  const s = new RpcServer({ x: async () => { c.close(); await sleep(10); return 1 } }); s.connect(b.backends.default)
  const r = await Promise.allSettled([c.call("x"), c.call("x"), c.call("x")])
  out.clientCloseInHandler = { codes: r.map((x) => x.status === "fulfilled" ? "ok" : x.reason.code), socketsAfter: c.sockets }
  await s.close()
}
// 3. server.close() inside its own handler
{
  const c = new RpcClient(b.frontend, { timeout: 300, retries: 1 })
  let s; s = new RpcServer({ x: async () => { await s.close(); return 1 } }); s.connect(b.backends.default)
  const s2 = new RpcServer({ x: () => 2 }); await sleep(100)
  const r = await Promise.allSettled([c.call("x")])
  out.serverCloseInHandler = r.map((x) => x.status === "fulfilled" ? x.value : x.reason.code)
  c.close(); await s2.close()
}
// 4. client.close() inside the .then of one call, with retries pending on others
{
  const s = new RpcServer({ x: (n) => n, slow: async () => { await sleep(400); return 0 } }); s.connect(b.backends.default)
  const c = new RpcClient(b.frontend, { timeout: 100, retries: 5 })
  await sleep(100)
  const slow = c.call("slow").catch((e) => e.code)
  await sleep(150) // slow is on its second attempt
  const fast = c.call("x", 1).then((v) => { c.close(); return v })
  out.closeInThen = { fast: await fast, slow: await slow, socketsAfter: c.sockets }
  await s.close()
}
console.log(JSON.stringify(out))
await b.close(); await empty.close()
