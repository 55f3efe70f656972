import * as zmq from "zeromq"
import * as zmtp from "../dist/index.js"
for (const [name, lib] of [["libzmq", zmq], ["zmtp", zmtp]]) {
  const pull = new lib.Pull({ linger: 0 }); await pull.bind("tcp://127.0.0.1:*")
  const push = new lib.Push({ linger: 0 }); push.connect(pull.lastEndpoint)
  const r = []
  for (const m of [[], [""], "", [Buffer.alloc(0), Buffer.alloc(0)], null]) {
    try { await push.send(m); r.push("ok") } catch (e) { r.push(e.code ?? e.constructor.name + ":" + e.message) }
  }
  pull.receiveTimeout = 300
  const got = []
  try { for (;;) got.push((await pull.receive()).map((f) => f.length)) } catch {}
  console.log(name, JSON.stringify(r), JSON.stringify(got))
  push.close(); pull.close()
}
