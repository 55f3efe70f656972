import { XPublisher, XSubscriber } from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const xpub = new XPublisher({ receiveHighWaterMark: 2 }); await xpub.bind("tcp://127.0.0.1:*")
const xsub = new XSubscriber({ sendHighWaterMark: 2, sendTimeout: 0 }); xsub.connect(xpub.lastEndpoint!)
await sleep(100)
for (let i = 0; i < 300; i++) { await xsub.send([`${i}`, Buffer.alloc(64 * 1024)]); if (i % 50 === 0) console.log(i, JSON.stringify(xsub.statistics.queues)) }
console.log("after", JSON.stringify(xsub.statistics.queues), xsub.statistics.messagesOut, "bytesOut", xsub.statistics.bytesOut)
await sleep(200)
console.log("xpub", JSON.stringify(xpub.statistics.queues), "bytesIn", xpub.statistics.bytesIn); await sleep(500); console.log("later bytesOut", xsub.statistics.bytesOut)
xpub.close(); xsub.close()
