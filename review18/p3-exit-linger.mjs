// Exit with pending messages: PUSH sends N messages of 16 KiB to a pyzmq PULL at argv[2], closes
// (default linger unless argv[3]) and lets the process end by itself. libzmq, and zmtp on Node,
// deliver all of them before the process exits. Driven by p3-exit-linger.sh.
import { Push } from "../dist/index.js"
const N = Number(process.env.N ?? 2000)
const opts = process.argv[3] !== undefined ? { linger: Number(process.argv[3]) } : {}
const push = new Push(opts)
push.connect(process.argv[2])
const body = Buffer.alloc(16384, 7)
for (let i = 0; i < N; i++) await push.send(body)
push.close()
