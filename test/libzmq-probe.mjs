// Run by test/helpers.ts (inProcessLibzmq) in a child process of the runtime under test: can
// zeromq.js's addon (libzmq in process) create, bind and connect sockets and pass one message here?
// Exit code 0 and "ok" on stdout if so. A child, because where it cannot (Bun: the addon calls a
// libuv function Bun lacks) the process aborts, and that must not be a test worker.
import * as zmq from "zeromq"

const a = new zmq.Dealer({ linger: 0 })
await a.bind("tcp://127.0.0.1:*")
const b = new zmq.Dealer({ linger: 0 })
b.connect(a.lastEndpoint)
await b.send("ok")
const [m] = await a.receive()
a.close()
b.close()
console.log(String(m))
