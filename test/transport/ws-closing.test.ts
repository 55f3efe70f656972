/**
 * Sending to a ws:// peer whose closing handshake has begun (the peer sent its Close frame and
 * keeps the TCP connection open, as a browser page closing its socket does for a while). `ws`
 * takes messages sent after Close into bufferedAmount for ever and calls back at once; the engine
 * waited for a drain that came at once, again and again: a microtask loop that froze the whole
 * process (bench/ws.mjs's browser part "hung"). The scenario runs in a child process, killed after
 * a deadline, because a frozen event loop would freeze the test runner too.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))
let dir: string

beforeAll(async () => {
  // Inside the repository, so that the bundle's bare imports ("ws") resolve to its node_modules.
  dir = mkdtempSync(join(root, "test", ".tmp-ws-closing-"))
  await build({ entryPoints: [join(root, "src/index.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile: join(dir, "zmtp.mjs"), logLevel: "silent" })
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const scenario = `
import net from "node:net"
import { randomBytes } from "node:crypto"
import * as z from "./zmtp.mjs"
const push = new z.Push({ linger: 0, sendTimeout: 10 })
await push.bind("ws://127.0.0.1:*/c")
const port = Number(/:(\\d+)\\//.exec(push.lastEndpoint)[1])
// A WebSocket client by hand: upgrade, bare ZWS2.0 routing id, then a Close frame; never reads again.
const masked = (opcode, body) => {
  const mask = randomBytes(4)
  const out = Buffer.alloc(6 + body.length)
  out[0] = 0x80 | opcode
  out[1] = 0x80 | body.length
  mask.copy(out, 2)
  for (let i = 0; i < body.length; i++) out[6 + i] = body[i] ^ mask[i & 3]
  return out
}
const sock = net.connect(port, "127.0.0.1")
await new Promise((r) => sock.once("connect", r))
sock.write("GET /c HTTP/1.1\\r\\nHost: 127.0.0.1:" + port + "\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n" +
  "Sec-WebSocket-Key: " + randomBytes(16).toString("base64") + "\\r\\nSec-WebSocket-Version: 13\\r\\nSec-WebSocket-Protocol: ZWS2.0\\r\\n\\r\\n")
await new Promise((r) => sock.once("data", r))
sock.write(masked(2, Buffer.from([0])))
await new Promise((r) => setTimeout(r, 100))
await push.send("first")
await new Promise((r) => setTimeout(r, 100))
sock.write(masked(8, Buffer.from([0x03, 0xe8])))
sock.pause()
await new Promise((r) => setTimeout(r, 100))
// Well past the engine's write budget (256 KiB): 1.4 MiB offered to the closing connection (what the pipe cannot hold times out).
const msg = Buffer.alloc(1024, 7)
let timerRan = false
setTimeout(() => (timerRan = true), 10)
for (let i = 0; i < 1400; i++) await push.send(msg).catch(() => {})
await new Promise((r) => setTimeout(r, 200))
console.log(JSON.stringify({ alive: true, timerRan }))
sock.destroy()
push.close()
process.exit(0)
`

describe("ws:// sends while the peer's closing handshake is under way", () => {
  it("do not freeze the event loop: timers still run and the process finishes", () => {
    const file = join(dir, "scenario.mjs")
    writeFileSync(file, scenario)
    const r = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 20_000, cwd: dir })
    expect({ signal: r.signal, stdout: r.stdout.trim(), stderr: r.stderr.trim() }).toEqual({ signal: null, stdout: JSON.stringify({ alive: true, timerRan: true }), stderr: "" })
  }, 30_000)
})
