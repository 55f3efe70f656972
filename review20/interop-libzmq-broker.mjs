// Two libzmq brokers (zeromq.js ROUTER/DEALER, forwarding by hand as zmq_proxy does) with zmtp clients
// and servers on both; one broker closed mid-load (its sockets go, as in a crash of that process).
import * as zmq from "zeromq"
import { RpcClient, RpcServer } from "../dist/index.js"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
async function libzmqBroker() {
  const fe = new zmq.Router({ linger: 0 }), be = new zmq.Dealer({ linger: 0 })
  await fe.bind("tcp://127.0.0.1:*"); await be.bind("tcp://127.0.0.1:*")
  const pump = async (a, b) => { try { for await (const m of a) await b.send(m) } catch {} }
  void pump(fe, be); void pump(be, fe)
  return { frontend: fe.lastEndpoint, backend: be.lastEndpoint, close() { fe.close(); be.close() } }
}
const b1 = await libzmqBroker(), b2 = await libzmqBroker()
const runs = new Map()
const servers = [0, 1].map((k) => { const s = new RpcServer({ echo: (x, ctx) => { runs.set(k + ctx.id, (runs.get(k + ctx.id) ?? 0) + 1); return x } }, { concurrency: 4 }); s.connect([b1.backend, b2.backend]); return s })
const client = new RpcClient([b1.frontend, b2.frontend], { timeout: 300, retries: 6 })
let ok = 0, failed = 0, wrong = 0, running = true
const ws = Array.from({ length: 8 }, async (_, w) => { for (let i = 0; running; i++) { try { const r = await client.call("echo", `${w}.${i}`); if (r !== `${w}.${i}`) wrong++; ok++ } catch { failed++ } } })
await sleep(1000); b1.close(); await sleep(2000); running = false; await Promise.all(ws)
let twice = 0; for (const c of runs.values()) if (c > 1) twice++
console.log(JSON.stringify({ ok, failed, wrong, ranTwiceOnOneServer: twice, retries: client.stats.retries }))
client.close(); for (const s of servers) await s.close(); b2.close()
