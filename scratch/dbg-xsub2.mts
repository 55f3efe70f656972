import { XPublisher, XSubscriber } from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const xpub = new XPublisher({ receiveHighWaterMark: 2 }); await xpub.bind("tcp://127.0.0.1:*")
const xsub = new XSubscriber({ sendHighWaterMark: 2, sendTimeout: 0 }); xsub.connect(xpub.lastEndpoint!)
await sleep(100)
for (let i = 0; i < 300; i++) await xsub.send([`${i}`, Buffer.alloc(64 * 1024)])
console.log("sent; bytesOut", xsub.statistics.bytesOut)
xpub.receiveTimeout = 300
let n = 0, first = "", last = ""
for (;;) { try { const m = await xpub.receive(); if (!n) first = String(m[0]); last = String(m[0]); n++ } catch { break } }
console.log("received", n, first, last, "bytesOut now", xsub.statistics.bytesOut, "xpub bytesIn", xpub.statistics.bytesIn)
xpub.close(); xsub.close()
