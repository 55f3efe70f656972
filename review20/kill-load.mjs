// SIGKILL brokers during a load; count failures and runs per (server, call id).
// usage: node review20/kill-load.mjs <brokers> <scenario>   scenario: one | two | repeat | late
import { MemoryOutcomeStore, RpcClient, RpcServer } from "../dist/index.js"
const shared = process.env.SHARED ? new MemoryOutcomeStore() : undefined
import { BrokerProc, sleep } from "./lib.mjs"
const n = Number(process.argv[2] ?? 2), scenario = process.argv[3] ?? "one"
const brokers = []
for (let i = 0; i < n; i++) brokers.push(await BrokerProc.make(scenario !== "late"))
const runs = new Map() // server:id -> count
const servers = ["A", "B"].map((name) => {
  const s = new RpcServer({ work: async (x, ctx) => { const k = `${name}:${ctx.id}`; runs.set(k, (runs.get(k) ?? 0) + 1); await sleep(5); return x } }, { concurrency: 8, store: shared })
  s.connect(brokers.map((b) => b.backend)); return s
})
const client = new RpcClient(brokers.map((b) => b.frontend), { timeout: 500, retries: 8 })
if (scenario === "late") { setTimeout(async () => { for (const b of brokers) await b.up() }, 700) }
let ok = 0, failed = 0, wrong = 0, running = true; const errs = new Map()
const t0 = Date.now()
const workers = Array.from({ length: 32 }, async (_, w) => {
  let i = 0
  while (running) {
    const v = `${w}.${i++}`
    try { const r = await client.call("work", v); if (r !== v) wrong++; ok++ } catch (e) { failed++; errs.set(e.code, (errs.get(e.code) ?? 0) + 1) }
  }
})
const chaos = (async () => {
  await sleep(1500)
  if (scenario === "one" || scenario === "late") { await brokers[0].kill(); await sleep(2000); await brokers[0].up() }
  if (scenario === "two") { await brokers[0].kill(); await brokers[1].kill(); await sleep(2000); await brokers[0].up(); await brokers[1].up() }
  if (scenario === "repeat") for (let k = 0; k < 6; k++) { const b = brokers[k % n]; await b.kill(); await sleep(300 + (k * 137) % 400); await b.up(); await sleep(400) }
  await sleep(1500)
  running = false
})()
await chaos; await Promise.all(workers)
let twice = 0; for (const c of runs.values()) if (c > 1) twice++
const ids = new Set([...runs.keys()].map((k) => k.slice(2))); let both = 0
for (const id of ids) if (runs.has("A:" + id) && runs.has("B:" + id)) both++
console.log(JSON.stringify({ brokers: n, scenario, shared: !!shared, ms: Date.now() - t0, ok, failed, errs: Object.fromEntries(errs), wrong, ranTwiceOnOneServer: twice, ranOnBothServers: both, client: client.stats }))
client.close(); for (const s of servers) await s.close(); for (const b of brokers) await b.kill()
