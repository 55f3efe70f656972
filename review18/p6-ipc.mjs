// ipc endpoints as a user writes them, on the runtime running this: abstract (@name), a stale
// socket file left by a dead process (libzmq unlinks it on bind), a relative path, a path with a
// space, a path of 107 bytes (sun_path's limit with the NUL) and one of 120 (too long: a typed
// error, not a hang). Each: bind, connect, one message. Prints one JSON line per case.
// Run: node|bun|deno run -A review18/p6-ipc.mjs
import { writeFileSync, mkdirSync, rmSync, existsSync } from "node:fs"
import { Pair } from "../dist/index.js"
import { rt } from "./rt.mjs"
const base = `/tmp/r18ipc-${process.pid}`
mkdirSync(base, { recursive: true })
process.chdir(base)
const pad = (n) => `${base}/${"x".repeat(n - base.length - 1)}`
const cases = [
  ["abstract", `ipc://@r18-${process.pid}`],
  ["stale-file", `ipc://${base}/stale.sock`, () => writeFileSync(`${base}/stale.sock`, "")],
  ["relative", "ipc://rel.sock"],
  ["space", `ipc://${base}/with space.sock`],
  ["len107", `ipc://${pad(107)}`],
  ["len108", `ipc://${pad(108)}`],
  ["len120", `ipc://${pad(120)}`],
]
for (const [name, ep, prep] of cases) {
  prep?.()
  const a = new Pair({ linger: 0 }), b = new Pair({ linger: 0, receiveTimeout: 2000 })
  const r = { rt, name }
  try {
    await Promise.race([a.bind(ep), new Promise((_, j) => setTimeout(() => j(new Error("bind hung 3 s")), 3000))])
    r.lastEndpoint = a.lastEndpoint === ep ? "same" : a.lastEndpoint
    b.connect(a.lastEndpoint)
    await a.send("hi")
    r.got = (await b.receive())[0].toString()
  } catch (e) { r.error = `${e.code ?? ""} ${e.message}`.slice(0, 120) }
  a.close(); b.close()
  console.log(JSON.stringify(r))
}
await new Promise((r) => setTimeout(r, 100))
console.log(JSON.stringify({ rt, leftover: existsSync(`${base}/rel.sock`) || existsSync(`${base}/with space.sock`) }))
rmSync(base, { recursive: true, force: true })
