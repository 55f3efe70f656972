// A PUSH sending to a peer that never reads: sends must block at the high-water mark (plus socket
// buffers) and memory must stay bounded, on every runtime. Prints how many 64 KiB messages were
// accepted in 4 s and the RSS growth.
// Run: node|bun|deno run -A review18/p1-noreader.mjs
import { Push, Pull } from "../dist/index.js"
import { rt, rss } from "./rt.mjs"
const pull = new Pull({ receiveHighWaterMark: 10, linger: 0 })
await pull.bind("tcp://127.0.0.1:*")
const push = new Push({ sendHighWaterMark: 10, linger: 0 })
push.connect(pull.lastEndpoint)
const before = rss()
const body = Buffer.alloc(65536, 1)
let sent = 0
let stop = false
setTimeout(() => { stop = true }, 4000)
const loop = (async () => { while (!stop) { await push.send(body); sent++ } })()
await new Promise((r) => setTimeout(r, 4100))
console.log(JSON.stringify({ rt, sent, MiB: (sent * 64) / 1024, rssGrowthMiB: rss() - before }))
push.close(); pull.close()
process.exit(0)
