// The client host of test/hosts: one RpcClient given every broker's frontend (the agreed API,
// `new RpcClient([...], { timeout, retries })`, the RPC layer's own socket defaults), keeping
// CONCURRENCY calls of work(n) in flight, n = 0, 1, 2, ... each call its own number.
// Commands: "stats" (counts so far), "stop" (no new calls; waits for those in flight, then reports
// every number that resolved and every failure).
// Usage: node client.mjs DIST CONFIG-JSON   ({ endpoints, concurrency, timeout, retries })
import { commands, tell } from "./lines.mjs"

const [dist, json] = process.argv.slice(2)
const config = JSON.parse(json)
const { RpcClient } = await import(`${dist}/index.js`)
const client = new RpcClient(config.endpoints, { timeout: config.timeout, retries: config.retries, poolSize: config.concurrency })
let next = 0
let stopping = false
const ok = []
const failed = []
const worker = async () => {
  while (!stopping) {
    const n = next++
    try {
      const r = await client.call("work", n)
      if (r?.n === n) ok.push(n)
      else failed.push({ n, code: "WRONG_RESULT", message: JSON.stringify(r) })
    } catch (e) {
      failed.push({ n, code: e?.code ?? e?.name ?? "?", message: String(e?.message ?? e) })
    }
  }
}
const workers = Promise.all(Array.from({ length: config.concurrency }, worker))
tell({ type: "ready" })
commands(async (cmd) => {
  if (cmd === "stats") tell({ type: "stats", ok: ok.length, failed: failed.length, started: next, client: client.stats })
  else if (cmd === "stop") {
    stopping = true
    await workers
    tell({ type: "done", ok, failed, client: client.stats })
  } else if (cmd === "exit") {
    stopping = true
    client.close()
    process.exit(0)
  }
})
