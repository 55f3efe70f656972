// zmtp REQ against pyzmq REP: CURVE over tcp and over ipc, 500 round trips each with two
// frames of growing size, on the runtime running this. Run: node|bun|deno run -A review18/p5-pyzmq-sec.mjs
import { spawn } from "node:child_process"
import { Request, curveKeyPair } from "../dist/index.js"
import { rt } from "./rt.mjs"
const ipc = `/tmp/r18-sec-${process.pid}.sock`
const py = spawn("/usr/bin/python3", [new URL("./rep.py", import.meta.url).pathname, ipc], { stdio: ["ignore", "pipe", "inherit"] })
let out = ""
py.stdout.on("data", (d) => { out += d })
while (!out.includes("\n")) await new Promise((r) => setTimeout(r, 20))
const [curveEp, serverKey, plainEp] = out.trim().split(" ")
const kp = curveKeyPair()
const res = {}
for (const [name, ep, opts] of [["curve", curveEp, { curveServerKey: serverKey, curvePublicKey: kp.publicKey, curveSecretKey: kp.secretKey }], ["curve-ipc", plainEp, { curveServerKey: serverKey, curvePublicKey: kp.publicKey, curveSecretKey: kp.secretKey }]]) {
  const req = new Request({ ...opts, linger: 0, receiveTimeout: 5000 })
  req.connect(ep)
  let ok = 0
  try {
    for (let i = 0; i < 500; i++) {
      const a = Buffer.alloc(i * 37, i & 255)
      await req.send([a, `n${i}`])
      const [x, y] = await req.receive()
      if (x.toString() === `n${i}` && Buffer.compare(y, a) === 0) ok++
    }
  } catch (e) { res[name + "Error"] = String(e) }
  res[name] = ok
  req.close()
}
py.kill()
console.log(JSON.stringify({ rt, ...res }))
