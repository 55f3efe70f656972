// A server that reads requests and never replies, next to a good one, behind one broker.
// The broker's DEALER round-robins over both, so the hung one keeps taking its share (up to its pipe's
// high-water marks): calls routed there are lost, and retries lose again with the same odds.
import { Broker, RpcClient, RpcServer, Reply } from "../dist/index.js"
const b = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" })
const good = new RpcServer({ echo: (x) => x }, { concurrency: 4 }); good.connect(b.backends.default)
const hung = new Reply(); hung.connect(b.backends.default); void hung.receive() // reads one, never replies
const client = new RpcClient(b.frontend, { timeout: 200, retries: 3 })
await new Promise((r) => setTimeout(r, 300))
let ok = 0, failed = 0
await Promise.all(Array.from({ length: 8 }, async (_, w) => { for (let i = 0; i < 25; i++) await client.call("echo", i).then(() => ok++, () => failed++) }))
console.log(JSON.stringify({ calls: 200, ok, failed, retries: client.stats.retries, goodServed: good.stats.requests, note: "each lost attempt is one that the hung REP took" }))
client.close(); await good.close(); hung.close(); await b.close()
