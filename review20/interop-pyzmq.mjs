// pyzmq REP servers behind two zmtp broker processes, zmtp clients; one broker SIGKILLed mid-load.
import { spawn } from "node:child_process"
import { RpcClient } from "../dist/index.js"
import { BrokerProc, sleep } from "./lib.mjs"
const b1 = await BrokerProc.make(), b2 = await BrokerProc.make()
const py = [0, 1].map(() => spawn("/usr/bin/python3", [new URL("./pyzmq_rep.py", import.meta.url).pathname, b1.backend, b2.backend], { stdio: ["ignore", "pipe", "inherit"] }))
await Promise.all(py.map((p) => new Promise((r) => p.stdout.once("data", r))))
const client = new RpcClient([b1.frontend, b2.frontend], { timeout: 500, retries: 6 })
let ok = 0, wrong = 0, failed = 0, running = true; const errs = {}
const ws = Array.from({ length: 16 }, async (_, w) => { for (let i = 0; running; i++) { const v = [w, i]; try { const r = await client.call("echo", v); if (JSON.stringify(r) !== JSON.stringify(v)) wrong++; ok++ } catch (e) { failed++; errs[e.code] = (errs[e.code] ?? 0) + 1 } } })
await sleep(1500); await b1.kill(); await sleep(2000); await b1.up(); await sleep(1000); await b2.kill(); await sleep(1500)
const casts = await Promise.allSettled([1, 2, 3].map((i) => client.cast("echo", i)))
running = false; await Promise.all(ws)
console.log(JSON.stringify({ ok, wrong, failed, errs, casts: casts.map((c) => c.status), stats: client.stats }))
client.close(); for (const p of py) p.kill("SIGKILL"); await b1.kill(); await b2.kill()
