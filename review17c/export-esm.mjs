// The package export, ESM: a v6 socket from "zmtp" and a v5 one from "zmtp/v5-compat" over inproc.
import { Pair, context, ZmtpError } from "zmtp"
import * as v5 from "zmtp/v5-compat"
import { createRequire } from "node:module"
const require = createRequire(import.meta.url)
const a = new Pair(); await a.bind("inproc://r17c-esm")
const b = v5.socket("pair"); b.connect("inproc://r17c-esm")
b.send("hello from v5")
const t = setTimeout(() => { console.log("esm: TIMEOUT, no message over inproc"); process.exit(1) }, 2000)
const [m] = await a.receive(); clearTimeout(t)
console.log("esm: v6 got", m.toString())
let err; try { v5.socket("nope") } catch (e) { err = e }
console.log("esm: error instanceof ZmtpError from main", err instanceof ZmtpError)
v5.Context.setMaxSockets(777); console.log("esm: same context", context.maxSockets === 777)
// mixed: ESM main + CJS v5-compat (dual package)
const v5c = require("zmtp/v5-compat")
const c = v5c.socket("pair"); c.connect("inproc://r17c-esm-2")
const d = new Pair(); await d.bind("inproc://r17c-esm-2")
c.send("mixed")
const r = await Promise.race([d.receive().then(([x]) => x.toString()), new Promise((res) => setTimeout(() => res("TIMEOUT"), 1500))])
console.log("mixed ESM main + CJS v5-compat:", r, "| same Context:", (v5c.Context.setMaxSockets(555), context.maxSockets === 555))
a.close(); b.close(); c.setsockopt(17, 0); c.close(); d.close()
