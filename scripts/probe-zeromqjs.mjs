// Asks whether zeromq.js (the native libzmq addon) works on the runtime running this script.
// Run as `node|bun|deno run -A scripts/probe-zeromqjs.mjs`; scripts/test-runtimes.mjs runs it on
// every runtime of its matrix. Each step that completes prints one JSON line on stdout, so the
// parent still learns how far it got when the runtime aborts the process: under Bun 1.4 the first
// socket panics the whole process (oven-sh/bun#18546), which no try/catch here can observe.
import { createRequire } from "node:module"

const step = (name, extra = {}) => console.log(JSON.stringify({ step: name, ...extra }))

let zmq
try {
  zmq = await import("zeromq")
  const version = createRequire(import.meta.url)("zeromq/package.json").version
  step("load", { zeromq: version, libzmq: zmq.version })
} catch (err) {
  step("error", { at: "load", message: String(err?.message ?? err).split("\n")[0] })
  process.exit(1)
}

let rep
let req
try {
  rep = new zmq.Reply({ linger: 0 })
  step("socket")
  // Loopback and an ephemeral port: nothing is left behind and nothing collides.
  await rep.bind("tcp://127.0.0.1:*")
  req = new zmq.Request({ linger: 0, receiveTimeout: 5000, sendTimeout: 5000 })
  req.connect(rep.lastEndpoint)
  await req.send("ping")
  const [got] = await rep.receive()
  await rep.send(`${got.toString()}-pong`)
  const [answer] = await req.receive()
  if (answer.toString() !== "ping-pong") throw new Error(`unexpected reply ${answer.toString()}`)
  step("reqrep-tcp")
} catch (err) {
  step("error", { at: "reqrep-tcp", message: String(err?.message ?? err).split("\n")[0] })
  process.exitCode = 1
} finally {
  req?.close()
  rep?.close()
}
