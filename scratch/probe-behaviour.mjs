import * as zmq from "zeromq"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
async function drain(x, ms = 200) { x.receiveTimeout = ms; const out = []; for (;;) { let m; try { m = (await x.receive()).map(String).join(",") } catch { return out } out.push(m) } }
{ // conflate SUB
  const p = new zmq.Publisher(); await p.bind("tcp://127.0.0.1:*")
  const s = new zmq.Subscriber({ conflate: true }); s.subscribe(); s.connect(p.lastEndpoint); await sleep(200)
  for (let i = 1; i <= 100; i++) await p.send(String(i))
  await sleep(200); console.log("SUB conflate:", await drain(s))
  await p.send(["m1", "m2"]); await sleep(100); console.log("SUB conflate multipart:", await drain(s))
  s.close(); p.close()
}
{ // conflate PUB
  const p = new zmq.Publisher({ conflate: true }); await p.bind("tcp://127.0.0.1:*")
  const s = new zmq.Subscriber(); s.subscribe(); s.connect(p.lastEndpoint); await sleep(200)
  for (let i = 1; i <= 100; i++) await p.send(String(i))
  await sleep(200); const got = await drain(s); console.log("PUB conflate:", got.length, got.slice(0, 3), got.slice(-2))
  s.close(); p.close()
}
{ // invert
  const p = new zmq.Publisher({ invertMatching: true }); await p.bind("tcp://127.0.0.1:*")
  const s = new zmq.Subscriber({ invertMatching: true }); s.subscribe("A"); s.connect(p.lastEndpoint)
  const s2 = new zmq.Subscriber(); s2.subscribe("A"); s2.connect(p.lastEndpoint)
  const s3 = new zmq.Subscriber({ invertMatching: true }); s3.connect(p.lastEndpoint)
  await sleep(200)
  for (const t of ["A1", "B1", "C1"]) await p.send(t)
  await sleep(100); console.log("invert both:", await drain(s), "SUB not inverted:", await drain(s2), "inverted no subs:", await drain(s3))
  s.close(); s2.close(); s3.close(); p.close()
}
{ // noDrop
  const p = new zmq.Publisher({ noDrop: true, sendHighWaterMark: 2, sendTimeout: 100 }); await p.bind("tcp://127.0.0.1:*")
  const s = new zmq.Subscriber({ receiveHighWaterMark: 2 }); s.subscribe("A"); s.connect(p.lastEndpoint); await sleep(200)
  let ok = 0, err
  for (let i = 0; i < 5000; i++) { try { await p.send(["A" + i, Buffer.alloc(10000)]); ok++ } catch (e) { err = e.code; break } }
  console.log("noDrop: accepted", ok, "then", err)
  let okB = 0; for (let i = 0; i < 10; i++) { try { await p.send("B" + i); okB++ } catch (e) { console.log("nonmatching", e.code); break } }
  console.log(" non-matching sends accepted while matching pipe full:", okB)
  const first = await s.receive(); console.log(" SUB reads", String(first[0]))
  const pend = p.send(["Anext", "x"]).then(() => "resolved", (e) => e.code); await sleep(0)
  await drain(s, 300); console.log(" after SUB drains, send:", await pend)
  s.close(); p.close()
}
{ // lossy PUB with HWM, multipart atomic
  const p = new zmq.Publisher({ sendHighWaterMark: 2 }); await p.bind("tcp://127.0.0.1:*")
  const s = new zmq.Subscriber({ receiveHighWaterMark: 2 }); s.subscribe(); s.connect(p.lastEndpoint); await sleep(200)
  let ok = 0; for (let i = 0; i < 3000; i++) { await p.send([String(i), Buffer.alloc(10000, 1), "end"]); ok++ }
  const got = await drain(s, 300); const whole = got.every((m) => m.split(",").length === 3)
  console.log("lossy: sent", ok, "got", got.length, "whole", whole, "first", got[0]?.slice(0,4), "last", got.at(-1)?.slice(0, 5))
  s.close(); p.close()
}
{ // PUB with no subscribers, sends; SUB late joiner
  const p = new zmq.Publisher(); await p.bind("tcp://127.0.0.1:*")
  await p.send("early")
  const s = new zmq.Subscriber(); s.subscribe(); s.connect(p.lastEndpoint); await sleep(200)
  await p.send("late"); console.log("late joiner:", await drain(s))
  // unsubscribe all and subscribe("") vs subscribe()
  s.unsubscribe(); await sleep(100); await p.send("after unsub"); console.log(" after unsubscribe():", await drain(s))
  s.subscribe(""); await sleep(100); await p.send("x"); console.log(" subscribe(''):", await drain(s))
  s.unsubscribe(""); s.subscribe(Buffer.from([0xff])); await sleep(100); await p.send(Buffer.from([0xff, 1])); await p.send("z"); console.log(" binary prefix:", (await drain(s)).length)
  s.close(); p.close()
}
