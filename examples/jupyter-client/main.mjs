#!/usr/bin/env node
// Starts a local Python kernel, runs one cell that asks for input, prints what the kernel sends, and
// shuts the kernel down over control. Needs `npm run build` (it imports "zmtp", i.e. this package's
// dist/) and python3-ipykernel.
//
//   node examples/jupyter-client/main.mjs                 # with zmtp
//   node examples/jupyter-client/main.mjs --zeromq        # the same code with zeromq.js
//   echo Ada | node examples/jupyter-client/main.mjs      # answer input() from a pipe
//   PYTHON=/usr/bin/python3 node examples/jupyter-client/main.mjs --code 'print(2 ** 100)'
import { createInterface } from "node:readline/promises"
import { JupyterClient, startKernel } from "./jupyter.mjs"

const args = process.argv.slice(2)
const codeAt = args.indexOf("--code")
const code = codeAt >= 0 ? args[codeAt + 1] : 'name = input("What is your name? ")\nprint(f"Hello, {name}, from Python")'

// The one line that differs between the two: zmtp is a drop-in for zeromq.js.
const zmq = args.includes("--zeromq") ? await import("zeromq") : await import("zmtp")
// As zeromq.js clients do: closing must not wait for unsent messages to a kernel that is gone.
zmq.context.blocky = false

// input() answers: one line of our stdin each; at its end, EOF (the kernel's input() raises EOFError).
const lines = createInterface({ input: process.stdin, terminal: false })
const nextLine = lines[Symbol.asyncIterator]()
async function ask(prompt) {
  process.stdout.write(prompt)
  const { value, done } = await nextLine.next()
  if (!process.stdin.isTTY) process.stdout.write(done ? "^D\n" : `${value}\n`)
  return done ? "\x04" : value
}

const kernel = await startKernel({ python: process.env.PYTHON ?? "python3" })
let client
try {
  client = new JupyterClient(zmq, kernel.info)
  client.connect()
  // A kernel that dies while starting (no ipykernel for this python, say) must not leave us waiting.
  const died = kernel.exited.then(({ code, signal }) => {
    throw new Error(`the kernel exited while starting (code ${code}, signal ${signal}):\n${kernel.output()}`)
  })
  await Promise.race([client.ready(), died])
  const { reply: info } = await client.kernelInfo()
  console.log(`connected: ${info.content.implementation} ${info.content.implementation_version}, ${info.content.language_info.name} ${info.content.language_info.version}, protocol ${info.content.protocol_version}`)

  client.on("iopub", (msg) => {
    const c = msg.content
    if (msg.header.msg_type === "stream") process.stdout.write(c.text)
    else if (msg.header.msg_type === "execute_result") console.log(c.data["text/plain"])
    else if (msg.header.msg_type === "error") console.log(`${c.ename}: ${c.evalue}`)
  })
  const { reply } = await client.execute(code, { onInput: ask })
  console.log(`execute_reply: ${reply.content.status} (execution count ${reply.content.execution_count})`)
  console.log(`heartbeat: ${(await client.ping()) ? "alive" : "no answer"}`)

  const { reply: bye } = await client.shutdown()
  const { code: exitCode } = await kernel.exited
  console.log(`shutdown_reply: ${bye.content.status}; kernel exited with code ${exitCode}`)
} finally {
  lines.close()
  await client?.close()
  await kernel.stop()
}
