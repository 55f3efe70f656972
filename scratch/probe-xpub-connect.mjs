// XPUB connecting to a SUB that goes away and comes back (spec-tests/xpub.test.ts).
import * as zmq from "zeromq"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const ep = "tcp://127.0.0.1:47611"
const sub1 = new zmq.Subscriber(); sub1.subscribe("A"); await sub1.bind(ep)
const xpub = new zmq.XPublisher({ reconnectInterval: 20 }); xpub.connect(ep)
xpub.receiveTimeout = 3000
console.log("told", JSON.stringify(String(await xpub.receive())))
sub1.close(); await sleep(100)
await xpub.send("A-while-away")
const sub2 = new zmq.Subscriber(); sub2.subscribe("A"); await sub2.bind(ep)
sub2.receiveTimeout = 1000
console.log("sub2 (XPUB idle):", await sub2.receive().then(String, (e) => e.code))
xpub.receiveTimeout = 300; console.log("xpub receive:", await xpub.receive().then(String, (e) => e.code))
console.log("sub2 after XPUB call:", await sub2.receive().then(String, (e) => e.code))
xpub.close(); sub2.close()
