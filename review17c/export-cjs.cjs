const { Pair, context, ZmtpError } = require("zmtp")
const v5 = require("zmtp/v5-compat")
;(async () => {
  const a = new Pair(); await a.bind("inproc://r17c-cjs")
  const b = v5.socket("pair"); b.connect("inproc://r17c-cjs")
  b.send("hello from v5")
  const t = setTimeout(() => { console.log("cjs: TIMEOUT"); process.exit(1) }, 2000)
  const [m] = await a.receive(); clearTimeout(t)
  console.log("cjs: v6 got", m.toString())
  let err; try { v5.socket("nope") } catch (e) { err = e }
  console.log("cjs: error instanceof ZmtpError", err instanceof ZmtpError)
  v5.Context.setMaxSockets(777); console.log("cjs: same context", context.maxSockets === 777)
  a.close(); b.close()
})()
