import { Publisher, Subscriber, XPublisher, XSubscriber, Proxy } from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const p = new Publisher(); await p.bind("tcp://127.0.0.1:*")
const s = new Subscriber(); s.subscribe("A"); s.connect(p.lastEndpoint!)
await sleep(100)
for (const t of ["A1", "B1", "A2"]) await p.send(t)
s.receiveTimeout = 300
console.log(String(await s.receive()), String(await s.receive()), await s.receive().catch((e) => e.code))
const x = new XPublisher({ verbosity: "allSubs" }); await x.bind("tcp://127.0.0.1:*")
const xs = new XSubscriber(); xs.connect(x.lastEndpoint!)
await xs.send(Buffer.from("\x01T"))
x.receiveTimeout = 500
console.log("xpub got", JSON.stringify(String(await x.receive())))
await x.send("T1"); xs.receiveTimeout = 500; console.log("xsub got", String(await xs.receive()))
for (const z of [p, s, x, xs]) z.close()
