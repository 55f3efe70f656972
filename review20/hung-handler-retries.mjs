// One call whose handler never settles (handlerTimeout is -1 by default), retried: each retry that reaches
// the server waits on the `running` claim and holds one more REP socket. How many hung calls does it take
// to stop a server (concurrency 4 per broker, 2 brokers = 8 REP sockets)?
import { Broker, RpcClient, RpcServer } from "../dist/index.js"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const b1 = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" })
const b2 = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" })
const s = new RpcServer({ hang: () => new Promise(() => {}), ok: () => 1 }, { concurrency: 4 })
s.connect([b1.backends.default, b2.backends.default])
const c = new RpcClient([b1.frontend, b2.frontend], { timeout: 200, retries: 7 })
await sleep(300)
const hung = await c.call("hang").catch((e) => e.code)
const after = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => c.call("ok", i)))
console.log(JSON.stringify({ oneHungCallWithRetries7: hung, serverRequests: s.stats.requests, duplicatesWaiting: s.stats.duplicates, laterCallsOk: after.filter((x) => x.status === "fulfilled").length, of: 10 }))
c.close(); await s.close(); await b1.close(); await b2.close()
