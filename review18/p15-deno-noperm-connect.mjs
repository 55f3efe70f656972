// Under Deno without --allow-net: a bind must fail with an error saying why (Deno's NotCapable,
// or a typed ZmtpError), and a connect must not crash the process from the reconnect loop.
// Run: deno run --allow-env review18/p15-deno-noperm-connect.mjs
import { Push, Pull } from "../dist/index.js"
process.on("uncaughtException", (e) => { console.log("UNCAUGHT:", e.name, e.message.split("\n")[0]); process.exit(3) })
const pull = new Pull({ linger: 0 })
try { await pull.bind("tcp://127.0.0.1:*"); console.log("bind: ok?!") } catch (e) { console.log("bind:", e.name, e.code ?? "", e.message.split("\n")[0]) }
pull.close()
const push = new Push({ linger: 0, sendTimeout: 1000 })
push.connect("tcp://127.0.0.1:5999")
const ev = (async () => { for await (const e of push.events) { console.log("event:", e.type, e.error?.name ?? "", e.error?.message?.split("\n")[0] ?? ""); if (e.type === "end") break } })().catch((e) => console.log("events threw:", e.message))
try { await push.send("x"); console.log("send: queued") } catch (e) { console.log("send:", e.name, e.code ?? "", e.message) }
await new Promise((r) => setTimeout(r, 1500))
push.close()
console.log("exit normally")
