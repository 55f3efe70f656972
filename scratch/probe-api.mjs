import * as zmq from "zeromq"
for (const name of ["Publisher", "Subscriber", "XPublisher", "XSubscriber"]) {
  const s = new zmq[name]()
  const out = { type: s.type }
  for (const m of ["send", "receive", "subscribe", "unsubscribe", Symbol.asyncIterator]) out[String(m)] = typeof s[m]
  for (const o of ["noDrop", "conflate", "invertMatching", "manual", "welcomeMessage", "verbosity", "sendHighWaterMark", "receiveHighWaterMark", "sendTimeout", "receiveTimeout", "routingId", "probeRouter", "linger", "immediate"]) {
    let v; try { v = s[o] } catch (e) { v = "THROWS " + e.code }
    out[o] = [o in s, v === undefined ? "undefined" : v]
  }
  out.readable = s.readable; out.writable = s.writable
  console.log(name, JSON.stringify(out))
  try { const r = await Promise.race([s.receive(), new Promise(r => setTimeout(() => r("HANG"), 300))]); console.log(" receive ->", r) } catch (e) { console.log(" receive ->", e.code, e.message) }
  if (s.send) { try { const r = await Promise.race([s.send("x"), new Promise(r => setTimeout(() => r("HANG"), 300))]); console.log(" send ->", r) } catch (e) { console.log(" send ->", e.code, e.message) } }
  s.close()
}
// constructor options accepted?
for (const [name, opts] of [["Subscriber", { sendHighWaterMark: 5 }], ["Publisher", { receiveHighWaterMark: 5 }], ["Subscriber", { noDrop: true }], ["XPublisher", { verbosity: "allSubs" }], ["XPublisher", { welcomeMessage: "hi" }], ["XPublisher", { welcomeMessage: Buffer.from("hi") }], ["Publisher", { conflate: true }], ["XPublisher", { conflate: true }], ["XSubscriber", { invertMatching: true }], ["XPublisher", { verbosity: "bogus" }], ["Subscriber", { routingId: "x" }]]) {
  try { const s = new zmq[name](opts); console.log("ctor", name, JSON.stringify(opts), "ok", s.sendHighWaterMark, s.receiveHighWaterMark); s.close() } catch (e) { console.log("ctor", name, JSON.stringify(opts), "throws", e.code, e.message) }
}
const s = new zmq.Subscriber()
for (const v of [1, null, undefined, Buffer.from("a"), new Uint8Array([1]), ""]) { try { s.subscribe(v); console.log("subscribe", v, "ok") } catch (e) { console.log("subscribe", v, "throws", e.message) } }
try { s.subscribe("x".repeat(100000)); console.log("subscribe big ok") } catch (e) { console.log("big throws", e.message) }
s.close()
try { s.subscribe("a") } catch (e) { console.log("closed subscribe", e.code) }
const p = new zmq.Publisher()
console.log("pub send no peers", await p.send("x").then(() => "ok", (e) => e.code))
p.close()
const x = new zmq.XSubscriber()
console.log("xsub send no peers", await x.send(Buffer.from([1, 65])).then(() => "ok", (e) => e.code))
console.log("xsub send empty", await x.send(Buffer.alloc(0)).then(() => "ok", (e) => e.code))
x.close()
const xp = new zmq.XPublisher()
xp.verbosity = "allSubsUnsubs"; console.log("verbosity get", xp.verbosity)
console.log(Object.getOwnPropertyNames(zmq.XPublisher.prototype), Object.getOwnPropertyNames(zmq.Publisher.prototype), Object.getOwnPropertyNames(zmq.Subscriber.prototype))
xp.close()
