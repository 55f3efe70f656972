// send(buf) then overwrite buf at once (before the callback): what does the peer get?
const { v5, zmqjs, sleep, port, which } = require("./lib.cjs")
;(async () => {
  for (const size of [16, 200, 100000]) {
    const p = await port()
    const pull = new zmqjs.Pull(); await pull.bind(`tcp://127.0.0.1:${p}`)
    const push = v5.socket("push"); push.connect(`tcp://127.0.0.1:${p}`)
    await sleep(100)
    const buf = Buffer.alloc(size, 1)
    let cbBeforeOverwrite = 0
    // first: connected, peer has room: the first send is handed over in the call
    push.send(buf, 0, () => {})
    buf.fill(2)
    // second: queued behind the first
    push.send(buf, 0, () => {})
    buf.fill(3)
    // third: reuse inside the callback (after it completed)
    const b3 = Buffer.alloc(size, 4)
    push.send(b3, 0, () => b3.fill(5))
    const got = []
    for (let i = 0; i < 3; i++) { const [m] = await pull.receive(); got.push(m[0] + (m.every((x) => x === m[0]) ? "" : "*mixed")) }
    console.log(which, "size", size, "received first bytes", got.join(","))
    push.close(); pull.close()
  }
})()
