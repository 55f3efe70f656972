// Like p15, the connect half only. Run: deno run --allow-env review18/p15b-deno-noperm-connect-only.mjs
import { Push } from "../dist/index.js"
process.on("uncaughtException", (e) => { console.log("UNCAUGHT:", e.name, e.message.split("\n")[0]); process.exit(3) })
const push = new Push({ linger: 0, sendTimeout: 1000 })
push.connect("tcp://127.0.0.1:5999")
;(async () => { for await (const e of push.events) { console.log("event:", e.type, e.error?.name ?? "", e.error?.message?.split("\n")[0] ?? "") } })().catch((e) => console.log("events threw:", e.message))
try { await push.send("x"); console.log("send: queued") } catch (e) { console.log("send:", e.name, e.code ?? "", e.message) }
await new Promise((r) => setTimeout(r, 1500))
push.close()
console.log("exit normally")
