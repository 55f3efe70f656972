// Partition one link (broker | server | client) during a load, heal, check reuse and the worst latency.
// usage: node review20/partition.mjs <broker|server|client> [cutMs]
import { RpcClient, RpcServer } from "../dist/index.js"
import { BrokerProc, sleep } from "./lib.mjs"
import { Relay } from "./relay.mjs"
const what = process.argv[2] ?? "broker", cutMs = Number(process.argv[3] ?? 6000)
const b1 = await BrokerProc.make(), b2 = await BrokerProc.make()
const feR = await Relay.start(b1.fp), beR = await Relay.start(b1.bp)     // client->b1 and server->b1 links
const beR2 = await Relay.start(b1.bp) // second server's link to b1 (only server A's link is cut for "server")
const mk = (name, viaB1) => { const s = new RpcServer({ work: async (x) => { await sleep(2); return x } }, { concurrency: 8 }); s.connect([viaB1, b2.backend]); return s }
const sA = mk("A", beR.endpoint), sB = mk("B", beR2.endpoint)
const timeout = Number(process.env.TIMEOUT ?? 500), retries = Number(process.env.RETRIES ?? 8)
const client = new RpcClient([feR.endpoint, b2.frontend], { timeout, retries })
let ok = 0, failed = 0, worst = 0, running = true; const errs = {}
const workers = Array.from({ length: 16 }, async (_, w) => {
  for (let i = 0; running; i++) {
    const t = Date.now()
    try { await client.call("work", i); ok++ } catch (e) { failed++; errs[e.code] = (errs[e.code] ?? 0) + 1 }
    worst = Math.max(worst, Date.now() - t)
  }
})
await sleep(1500)
const cut = () => { if (what === "broker") { feR.partition(); beR.partition(); beR2.partition() } if (what === "server") beR.partition(); if (what === "client") feR.partition(); if (what === "servers") { beR.partition(); beR2.partition() } }
const heal = () => { feR.heal(); beR.heal(); beR2.heal() }
cut(); const okAtCut = ok; await sleep(cutMs); const okDuringCut = ok - okAtCut
const bytesAtHeal = { fe: feR.bytes, be: beR.bytes, be2: beR2.bytes }
heal(); await sleep(6000)
// Is b1 used again? kill b2: then every call must go through b1.
const before = ok; await b2.kill(); await sleep(3000); const okViaB1Only = ok - before
running = false; await Promise.all(workers)
console.log(JSON.stringify({ what, cutMs, ok, failed, errs, okDuringCut, worstMs: worst, bound: timeout * (1 + retries), bytesAfterHeal: { fe: feR.bytes - bytesAtHeal.fe, be: beR.bytes - bytesAtHeal.be, be2: beR2.bytes - bytesAtHeal.be2 }, okViaB1Only, client: client.stats, A: sA.stats.requests, B: sB.stats.requests }))
client.close(); await sA.close(); await sB.close(); await b1.kill(); await b2.kill(); await feR.close(); await beR.close(); await beR2.close()
