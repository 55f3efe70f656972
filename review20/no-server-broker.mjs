// A broker that is up but has no server: how long until a call hears of it, and is it retried elsewhere?
import { RpcClient, RpcServer } from "../dist/index.js"
import { BrokerProc, sleep } from "./lib.mjs"
const b1 = await BrokerProc.make(), b2 = await BrokerProc.make()
const s = new RpcServer({ work: (x) => x }); s.connect([b2.backend]) // the server reaches only b2 (e.g. its link to b1 is cut)
const timeout = Number(process.env.TIMEOUT ?? 8000)
const client = new RpcClient([b1.frontend, b2.frontend], { timeout, retries: 3 })
await sleep(500)
const res = []
for (let i = 0; i < 6; i++) { const t = Date.now(); try { await client.call("work", i); res.push(["ok", Date.now() - t]) } catch (e) { res.push([e.code, Date.now() - t]) } }
console.log(JSON.stringify({ timeout, res, stats: client.stats }))
client.close(); await s.close(); await b1.kill(); await b2.kill()
