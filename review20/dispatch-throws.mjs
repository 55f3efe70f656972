// dispatch() is documented "Never throws", but serve() does `void this.serve(rep)`: whatever escapes it
// is an unhandled rejection (Node: the process exits) and the REP socket stops serving.
// usage: node review20/dispatch-throws.mjs <nullproto|done-rejects|bad-claim>
import { Broker, RpcClient, RpcServer } from "../dist/index.js"
const mode = process.argv[2] ?? "nullproto"
if (!process.env.NOHANDLER) process.on("unhandledRejection", (e) => { console.log(JSON.stringify({ mode, unhandledRejection: String(e?.message ?? e) })); process.exit(1) })
const b = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" })
const store = mode === "done-rejects"
  ? { claim: (id) => (id.endsWith(".0") ? { state: "new" } : { state: "running", done: Promise.reject(new Error("lease lost")) }), finish() {} }
  : mode === "bad-claim" ? { claim: () => undefined, finish() {} } : undefined
const s = new RpcServer({ bad: () => { throw Object.create(null) }, ok: () => 1 }, { store, concurrency: 1 })
s.connect(b.backends.default)
const c = new RpcClient(b.frontend, { timeout: 500 })
const r1 = await c.call(mode === "nullproto" ? "bad" : "ok").then(() => "ok", (e) => e.code)
const r2 = await c.call("ok").then(() => "ok", (e) => e.code)
console.log(JSON.stringify({ mode, first: r1, second: r2 }))
c.close(); await s.close(); await b.close()
