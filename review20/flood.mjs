// A misbehaving client on a broker process: floods requests and never reads the replies.
// Watch the broker's RSS and whether a well-behaved client still gets served.
import { readFileSync } from "node:fs"
import { Dealer, RpcClient, RpcServer } from "../dist/index.js"
import { BrokerProc, sleep } from "./lib.mjs"
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024
const b = await BrokerProc.make()
const s = new RpcServer({ echo: (x) => x }, { concurrency: 8 }); s.connect(b.backend)
const good = new RpcClient(b.frontend, { timeout: 1000, retries: 2 })
await good.call("echo", 1)
const pid = b.proc.pid, rss0 = rss(pid)
const bad = new Dealer({ sendHighWaterMark: 100000 }); bad.connect(b.frontend)
const size = Number(process.env.SIZE ?? 1000)
const body = Buffer.concat([Buffer.from([0x95, 1, 0, 0xa1, 0x78, 0xa4]), Buffer.from("echo"), Buffer.from([0xc5, size >> 8, size & 255]), Buffer.alloc(size, 120)]) // [1,0,"x","echo",bin(size)]
let sent = 0, running = true, peak = rss0, goodOk = 0, goodFail = 0; const goodCodes = {}, lat = []
const flood = (async () => { while (running) { await bad.send([Buffer.alloc(0), Buffer.from("default"), body]); sent++ } })()
const probe = (async () => { while (running) { const t = Date.now(); await good.call("echo", "x").then(() => goodOk++, (e) => { goodFail++; goodCodes[e.code] = (goodCodes[e.code] ?? 0) + 1 }); lat.push(Date.now() - t); await sleep(50) } })()
for (let i = 0; i < 16; i++) { await sleep(500); peak = Math.max(peak, rss(pid)) }
running = false; bad.close(); await flood.catch(() => {}); await probe
console.log(JSON.stringify({ size, sent, brokerRssStartMiB: rss0.toFixed(0), brokerRssPeakMiB: peak.toFixed(0), goodOk, goodFail, goodCodes, goodLatencyMs: lat, server: s.stats.requests }))
good.close(); await s.close(); await b.kill()
