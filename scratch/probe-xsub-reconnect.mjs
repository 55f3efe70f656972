import * as zmq from "zeromq"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const ep = "tcp://127.0.0.1:47511"
const xsub = new zmq.XSubscriber({ reconnectInterval: 20 })
xsub.connect(ep); (async () => { try { for await (const m of xsub) {} } catch {} })()
await xsub.send(Buffer.from("\x01A")); await xsub.send(Buffer.from("\x01B")); await xsub.send(Buffer.from("\x00A"))
for (let round = 0; round < 2; round++) {
  const xpub = new zmq.XPublisher({ verbosity: "allSubs" }); await xpub.bind(ep)
  xpub.receiveTimeout = 1000
  const got = []; for (;;) { try { got.push(JSON.stringify(String(await xpub.receive()))) } catch { break } }
  console.log("round", round, got)
  xpub.close(); await sleep(50)
}
xsub.close()
