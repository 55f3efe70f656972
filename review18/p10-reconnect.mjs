// Close/reconnect races on the runtime running this: a PUSH connected before its peer exists; the
// peer binds, takes one, closes, binds again at the same endpoint (tcp and ipc) 5 times, and each
// time the PUSH reconnects by itself. Then: close() of a socket whose connect is pending and of
// one with a send pending; the process must exit by itself afterwards.
// Run: node|bun|deno run -A review18/p10-reconnect.mjs
import net from "node:net"
import { Push, Pull } from "../dist/index.js"
import { rt } from "./rt.mjs"
const freePort = () => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)) }) })
for (const tr of ["tcp", "ipc"]) {
  const ep = tr === "tcp" ? `tcp://127.0.0.1:${await freePort()}` : `ipc:///tmp/r18-rc-${process.pid}.sock`
  const push = new Push({ linger: 0, reconnectInterval: 50 })
  push.connect(ep)
  const got = []
  for (let round = 0; round < 5; round++) {
    const pull = new Pull({ linger: 0, receiveTimeout: 5000 })
    await pull.bind(ep)
    const sending = push.send(`r${round}`)
    try { got.push((await pull.receive())[0].toString()) } catch (e) { got.push(e.code ?? String(e)) }
    await sending
    pull.close()
    await new Promise((r) => setTimeout(r, 20 * round))
  }
  push.close()
  console.log(JSON.stringify({ rt, tr, got }))
}
const pending = new Push({ linger: 0 })
pending.connect(`tcp://127.0.0.1:${await freePort()}`)
const p = pending.send("never").then(() => "resolved", (e) => `rejected ${e.code}`)
pending.close()
console.log(JSON.stringify({ rt, pendingSendAfterClose: await Promise.race([p, new Promise((r) => setTimeout(() => r("still pending after 2 s"), 2000))]) }))
