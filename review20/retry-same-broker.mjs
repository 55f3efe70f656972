// Retries take a fresh REQ (lazy pirate); does the retry avoid the broker that lost the attempt?
// b1 (listed first) is up but has no server; b2 serves. With a fair spread, a call with retries=3 fails
// only if all 4 attempts go to b1: 1 in 16.
import { RpcClient, RpcServer } from "../dist/index.js"
import { BrokerProc, sleep } from "./lib.mjs"
const b1 = await BrokerProc.make(), b2 = await BrokerProc.make()
const s = new RpcServer({ work: (x) => x }); s.connect([b2.backend])
const order = process.env.ORDER === "b2first" ? [b2.frontend, b1.frontend] : [b1.frontend, b2.frontend]
const client = new RpcClient(order, { timeout: 200, retries: 3 })
await sleep(300)
let ok = 0, failed = 0, attempts = 0
const N = Number(process.env.N ?? 40)
for (let i = 0; i < N; i++) { const r0 = client.stats.retries; try { await client.call("work", i); ok++ } catch { failed++ } attempts += 1 + client.stats.retries - r0 }
console.log(JSON.stringify({ order: process.env.ORDER ?? "b1first", N, ok, failed, expectedFailedIfFair: N / 16, meanAttempts: attempts / N, expectedIfFair: 1.875 }))
client.close(); await s.close(); await b1.kill(); await b2.kill()
