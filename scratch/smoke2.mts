import * as zmq from "zeromq"
import { Publisher, Subscriber, XPublisher, XSubscriber, Proxy } from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
// zeromq.js PUB -> zmtp XSUB/XPUB proxy -> zeromq.js SUB
const xsub = new XSubscriber(), xpub = new XPublisher()
await xpub.bind("tcp://127.0.0.1:*")
const pub = new zmq.Publisher(); await pub.bind("tcp://127.0.0.1:*")
xsub.connect(pub.lastEndpoint!)
const proxy = new Proxy(xsub, xpub); const run = proxy.run()
const sub = new zmq.Subscriber(); sub.subscribe("A"); sub.connect(xpub.lastEndpoint!)
sub.receiveTimeout = 300
let got: string | undefined
for (let i = 0; i < 50 && !got; i++) { await pub.send(["B-no", "x"]); await pub.send(["A" + i, "x"]); got = await sub.receive().then((m) => m.map(String).join(","), () => undefined) }
console.log("through zmtp proxy:", got, proxy.statistics)
proxy.terminate(); await run
for (const z of [xsub, xpub]) z.close(); pub.close(); sub.close()
// zmtp PUB -> zeromq.js proxy -> zmtp SUB
const zx = new zmq.XSubscriber(), zp = new zmq.XPublisher()
await zp.bind("tcp://127.0.0.1:*")
const p = new Publisher(); await p.bind("tcp://127.0.0.1:*"); zx.connect(p.lastEndpoint!)
const px = new zmq.Proxy(zx, zp); const r2 = px.run()
const s = new Subscriber(); s.subscribe("A"); s.connect(zp.lastEndpoint!); s.receiveTimeout = 300
got = undefined
for (let i = 0; i < 50 && !got; i++) { await p.send("B"); await p.send("A" + i); got = await s.receive().then(String, () => undefined) }
console.log("through libzmq proxy:", got)
px.terminate(); await r2; p.close(); s.close()
