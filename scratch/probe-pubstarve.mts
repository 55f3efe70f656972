import { Publisher, Subscriber, Router, Dealer } from "../src/index.js"
const size = Number(process.argv[2] ?? 1024)
const pub = new Publisher(); const sub = new Subscriber()
await pub.bind("tcp://127.0.0.1:*"); sub.connect(pub.lastEndpoint!); sub.subscribe()
await new Promise(r => setTimeout(r, 200))
let got = 0
;(async () => { for await (const _ of sub) got++ })()
const msg = Buffer.alloc(size, 1)
let sent = 0; const end = Date.now() + 1000
while (Date.now() < end) { await pub.send(msg); sent++ }
await new Promise(r => setTimeout(r, 300))
console.log(`PUB ${size} B: sent ${sent} got ${got} (${(100*got/sent).toFixed(1)}%)`)
pub.close(); sub.close()
