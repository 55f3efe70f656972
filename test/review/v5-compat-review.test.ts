/**
 * Review of `zmtp/v5-compat` (issue 17 item 3): what an adversarial read found, each run where it
 * cannot take the test runner down with it (a child process) when the failure is a hang. Scripts
 * that show each case on zmtp and on zeromq.js side by side are in review17c/.
 */
import { execFile } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { afterAll, describe, expect, it } from "vitest"
import { freeTcpPort } from "../helpers.js"
import { closeAfterEach, v5libs } from "../v5-compat/libs.js"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
// Under the worktree (scratch/.out-* is ignored), so that bundles and builds resolve node_modules.
const out = mkdtempSync(join(root, "scratch/.out-v5-review-"))
afterAll(() => rmSync(out, { recursive: true, force: true }))

function run(args: string[], timeout: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { timeout, cwd: out }, (err, stdout, stderr) => {
      done({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? null) : 0 })
    })
  })
}

/** `code` (CommonJS, requiring "zmtp/v5-compat") bundled against zmtp's source. */
async function bundled(name: string, code: string): Promise<string> {
  const entry = join(out, `${name}.src.cjs`)
  writeFileSync(entry, code)
  const outfile = join(out, `${name}.cjs`)
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "cjs",
    packages: "external",
    outfile,
    logLevel: "silent",
    plugins: [{ name: "v5", setup: (b) => void b.onResolve({ filter: /^zmtp\/v5-compat$/ }, () => ({ path: join(root, "src/v5-compat.ts") })) }],
  })
  return outfile
}

describe("v5-compat review", () => {
  const track = closeAfterEach()

  // ZMQ_RCVTIMEO 0: each receive of the layer's loop rejects with EAGAIN at once, and the loop went
  // round again in the same microtask queue: timers and I/O never ran again, the process hung
  // (zeromq.js 6.8's layer hangs the same way: review17c/rcvtimeo0b.cjs). A v5 program that sets
  // RCVTIMEO 0 must keep its event loop.
  it("ZMQ_RCVTIMEO 0 on a receiving socket does not starve the event loop", async () => {
    const file = await bundled(
      "rcvtimeo0",
      `const zmq = require("zmtp/v5-compat")
const port = process.argv[2]
const pull = zmq.socket("pull")
let errors = 0
pull.on("error", () => errors++)
pull.setsockopt(zmq.ZMQ_RCVTIMEO, 0)
pull.bind("tcp://127.0.0.1:" + port, (e) => {
  if (e) throw e
  const push = zmq.socket("push")
  push.connect("tcp://127.0.0.1:" + port)
  pull.on("message", () => setTimeout(() => {
    console.log("timer ran, EAGAIN reported: " + (errors > 0))
    push.close(); pull.close()
  }, 50))
  push.send("one")
})
`,
    )
    const r = await run([file, String(await freeTcpPort())], 8000)
    expect(r).toEqual({ stdout: "timer ran, EAGAIN reported: true\n", stderr: "", code: 0 })
  }, 20_000)

  // bindSync(a); bind(b, cb); close() in one go: zeromq.js binds synchronously, so bind(b) is in
  // flight at close() and its callback sees success. zmtp chains bind(b) behind the bindSync's
  // bind, so it had not started at close() and got EBADF "Socket is closed".
  it("bindSync, then bind(cb), then close(): the callback sees the bind succeed, as on zeromq.js", async () => {
    for (const { name, zmq } of v5libs) {
      const [p1, p2] = [await freeTcpPort(), await freeTcpPort()]
      const s = track(zmq.socket("pull"))
      s.bindSync(`tcp://127.0.0.1:${p1}`)
      const result = new Promise<string>((done) => s.bind(`tcp://127.0.0.1:${p2}`, (e?: Error) => done(e ? e.message : "ok")))
      s.close()
      expect([name, await result]).toEqual([name, "ok"])
    }
  })

  // The built package, as an application loads it: an ESM program importing "zmtp" and a CommonJS
  // library (the usual user of the v5 API) requiring "zmtp/v5-compat". zeromq.js is CommonJS only,
  // so both get its one instance and share libzmq's context. zmtp's exports used to give ESM and CJS
  // each their own bundle: two module instances, two contexts, two inproc name tables, and the v5
  // socket's connect never reached the v6 bind. Now dist/index.js re-exports dist/index.cjs
  // (tsup.config.ts), so there is one instance.
  it("ESM \"zmtp\" and CJS \"zmtp/v5-compat\" in one program share inproc names and the context", async () => {
    const pkg = join(out, "node_modules/zmtp")
    mkdirSync(pkg, { recursive: true })
    copyFileSync(join(root, "package.json"), join(pkg, "package.json"))
    const b = await new Promise<{ code: number | null; stderr: string }>((done) =>
      execFile(process.execPath, [join(root, "node_modules/tsup/dist/cli-default.js"), "--silent", "--out-dir", join(pkg, "dist")], { cwd: root, timeout: 120_000 }, (err, _o, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      ),
    )
    expect(b).toEqual({ code: 0, stderr: "" })
    const app = join(out, "mixed.mjs")
    writeFileSync(
      app,
      `import { Pair, context } from "zmtp"
import { createRequire } from "node:module"
const v5 = createRequire(import.meta.url)("zmtp/v5-compat")
v5.Context.setMaxSockets(555)
const a = new Pair(); await a.bind("inproc://review-mixed")
const b = v5.socket("pair"); b.setsockopt(v5.ZMQ_LINGER, 0); b.connect("inproc://review-mixed")
b.send("over inproc")
const got = await Promise.race([a.receive().then(([m]) => m.toString()), new Promise((r) => setTimeout(() => r("nothing"), 1500))])
console.log(got + ", same context: " + (context.maxSockets === 555))
a.close(); b.close()
`,
    )
    const r = await run([app], 10_000)
    expect(r).toEqual({ stdout: "over inproc, same context: true\n", stderr: "", code: 0 })
  }, 180_000)
})
