// Reproduces why test/helpers.ts (inProcessLibzmq) says no to in-process zeromq.js under Deno:
// a receive() that waits while receiveTimeout is set. Run it several times, it is intermittent:
//   for i in $(seq 16); do node_modules/.bin/deno run -A scratch/probe-deno-zmq-timer.mjs; echo $?; done
// Deno 2.9.6: exit 139 (SIGSEGV) in 6 of 16 runs, right after the message is sent; Node: 0 always.
import * as zmq from "zeromq"

const a = new zmq.Dealer({ linger: 0 })
await a.bind("tcp://127.0.0.1:*")
const b = new zmq.Dealer({ linger: 0 })
b.connect(a.lastEndpoint)
a.receiveTimeout = 2000
setTimeout(() => void b.send("x"), 100)
const [m] = await a.receive()
console.log(String(m))
a.close()
b.close()
