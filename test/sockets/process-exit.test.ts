/**
 * A Node process that creates, uses and closes zmtp sockets must exit by itself: no timer, server,
 * connection or reconnect attempt may keep the event loop alive after close() (zeromq.js processes
 * exit once their sockets are closed too). The child is plain .mjs run against a private bundle of
 * src/ made with tsup's API in beforeAll, so the test neither depends on nor races with `dist/`.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { build } from "tsup"
import { afterAll, beforeAll, expect, it } from "vitest"
import { freeTcpPort } from "../helpers.js"

let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "zmtp-exit-"))
  await build({
    entry: { index: "src/index.ts" },
    outDir: dir,
    // CommonJS, as the package's own index.js is (it re-exports index.cjs): bundled CommonJS
    // dependencies (ws) require Node built-ins, which an ESM bundle cannot.
    format: ["cjs"],
    platform: "node",
    target: "node18",
    config: false,
    dts: false,
    sourcemap: false,
    splitting: false,
    clean: false,
    silent: true,
    // One self-contained file: the child runs from the temp dir, away from node_modules.
    noExternal: [/.*/],
  })
}, 60_000)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Runs a child script; resolves with its exit code and output, or kills it after `ms`. */
function runChild(script: string, ms: number): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`)
  writeFileSync(file, script)
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString()))
    child.stderr.on("data", (d: Buffer) => (err += d.toString()))
    const t = setTimeout(() => child.kill("SIGKILL"), ms)
    child.on("exit", (code, signal) => {
      clearTimeout(t)
      resolve({ code, signal, out, err })
    })
  })
}

it("a child process that binds, connects (also to an endpoint nobody serves), exchanges over tcp and ipc and closes everything exits by itself", async () => {
  const deadPort = await freeTcpPort()
  const script = `
import { Dealer, Router, Request, Reply } from "./index.cjs"
import { join } from "node:path"

// Should the process not exit, say what keeps it alive (unref'd: it does not itself hold the loop).
setTimeout(() => {
  console.log("STILL ALIVE: " + JSON.stringify(process.getActiveResourcesInfo()))
  process.exit(3)
}, 4000).unref()

const router = new Router()
await router.bind("tcp://127.0.0.1:*")
const rep = new Reply()
await rep.bind("ipc://" + join(${JSON.stringify(dir)}, "rep.sock"))
const dealer = new Dealer()
dealer.connect(router.lastEndpoint)
const req = new Request()
req.connect(rep.lastEndpoint)
// A connect that never succeeds: its reconnect timer must stop at close() once the linger ends
// (with the default linger -1 it would go on until "never delivered" is delivered, as libzmq).
const stray = new Dealer({ reconnectInterval: 10, linger: 50 })
stray.connect("tcp://127.0.0.1:${deadPort}")
await stray.send("never delivered")
// Event observers being iterated must end too.
for (const s of [router, rep, dealer, req, stray]) void (async () => { for await (const _ of s.events) {} })()

await dealer.send("hi")
const [id] = await router.receive()
await router.send([id, "back"])
await dealer.receive()
await req.send("q")
await rep.receive()
await rep.send("a")
await req.receive()
// Left pending at close: must settle, not hang.
const pending = dealer.receive().then(() => "resolved", (e) => "rejected:" + e.code)
// Something queued for a connected peer with the default linger.
await router.send([id, "parting message"])

for (const s of [stray, req, rep, dealer, router]) s.close()
console.log("pending " + (await pending))
console.log("done")
`
  const r = await runChild(script, 15_000)
  expect(r.err).toBe("")
  expect(r.out).not.toContain("STILL ALIVE")
  expect(r.out).toContain("done")
  expect(r.out).toMatch(/pending rejected:[A-Z]+/)
  expect(r.signal).toBeNull()
  expect(r.code).toBe(0)
}, 30_000)

it("a child process whose peer never reads still exits once linger runs out", async () => {
  const script = `
import { Dealer } from "./index.cjs"
setTimeout(() => {
  console.log("STILL ALIVE: " + JSON.stringify(process.getActiveResourcesInfo()))
  process.exit(3)
}, 5000).unref()
const server = new Dealer({ receiveHighWaterMark: 1 })
await server.bind("tcp://127.0.0.1:*")
const client = new Dealer({ linger: 200 })
client.connect(server.lastEndpoint)
await client.send("first")
await server.receive()
// Far more than the kernel buffers hold: with the server not reading, these cannot all be written.
for (let i = 0; i < 64; i++) await client.send(Buffer.alloc(512 * 1024))
client.close()
// The server stays open (and unread) until the client's linger has run out.
setTimeout(() => server.close(), 400)
console.log("done")
`
  const r = await runChild(script, 15_000)
  expect(r.err).toBe("")
  expect(r.out).not.toContain("STILL ALIVE")
  expect(r.out).toContain("done")
  expect(r.code).toBe(0)
}, 30_000)

it("with the default linger, a message sent before close reaches a peer that binds after close, and the process then exits", async () => {
  const port = await freeTcpPort()
  const script = `
import { Dealer, Router } from "./index.cjs"
setTimeout(() => {
  console.log("STILL ALIVE: " + JSON.stringify(process.getActiveResourcesInfo()))
  process.exit(3)
}, 8000).unref()
const client = new Dealer({ routingId: "c", reconnectInterval: 20 })
client.connect("tcp://127.0.0.1:${port}")
await client.send("parting")
client.close()
await new Promise((r) => setTimeout(r, 200))
const server = new Router()
await server.bind("tcp://127.0.0.1:${port}")
const [id, body] = await server.receive()
console.log("got " + id + " " + body)
server.close()
`
  const r = await runChild(script, 15_000)
  expect(r.err).toBe("")
  expect(r.out).toContain("got c parting")
  expect(r.out).not.toContain("STILL ALIVE")
  expect(r.code).toBe(0)
}, 30_000)

it("an event listener that closes the socket mid-handshake leaves no engine (or heartbeat timer) running", async () => {
  const script = `
import { Dealer, Router } from "./index.cjs"
setTimeout(() => {
  console.log("STILL ALIVE: " + JSON.stringify(process.getActiveResourcesInfo()))
  process.exit(3)
}, 4000).unref()
const server = new Router({ heartbeatInterval: 50 })
await server.bind("tcp://127.0.0.1:*")
let closedIn = 0
server.events.on("handshake", () => { closedIn++; server.close() })
const client = new Dealer({ linger: 0, reconnectInterval: -1 })
client.connect(server.lastEndpoint)
await new Promise((r) => client.events.on("disconnect", r))
client.close()
console.log("closed in handshake " + closedIn)
`
  const r = await runChild(script, 15_000)
  expect(r.err).toBe("")
  expect(r.out).toContain("closed in handshake 1")
  expect(r.out).not.toContain("STILL ALIVE")
  expect(r.code).toBe(0)
}, 30_000)
