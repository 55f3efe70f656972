// Probe: callers reusing buffers (subscribe(buf) then mutate; send then overwrite; welcomeMessage).
import { it, expect } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

for (const [name, lib] of [["zmtp", z], ["zeromq.js", zmq]] as const) {
  it(`${name}: subscribe(buf) then mutate buf`, async () => {
    const pub = new (lib as any).Publisher(); const sub = new (lib as any).Subscriber()
    await pub.bind("tcp://127.0.0.1:*"); sub.connect(pub.lastEndpoint)
    const b = Buffer.from("aaa"); sub.subscribe(b); b.write("bbb")
    await sleep(200)
    await pub.send("bbb1"); await pub.send("aaa1")
    sub.receiveTimeout = 300
    const got: string[] = []
    try { for (;;) got.push((await sub.receive())[0].toString()) } catch {}
    console.log(name, "subscribe-mutate got", got)
    pub.close(); sub.close()
  })
  it(`${name}: send large Buffer, await, then overwrite`, async () => {
    const pub = new (lib as any).Publisher(); const sub = new (lib as any).Subscriber()
    await pub.bind("tcp://127.0.0.1:*"); sub.connect(pub.lastEndpoint); sub.subscribe("A")
    await sleep(200)
    const big = Buffer.alloc(100000, "A".charCodeAt(0))
    await pub.send(big); big.fill("B".charCodeAt(0))
    const small = Buffer.from("A-small"); await pub.send(small); small.write("B")
    sub.receiveTimeout = 500
    const got: string[] = []
    try { for (;;) { const [m] = await sub.receive(); got.push(m.length + ":" + m.subarray(0, 3).toString() + m.subarray(m.length-3).toString()) } } catch {}
    console.log(name, "send-overwrite got", got)
    pub.close(); sub.close()
  })
  it(`${name}: welcomeMessage buffer mutated after set`, async () => {
    const pub = new (lib as any).XPublisher(); const sub = new (lib as any).Subscriber()
    const w = Buffer.from("hello"); pub.welcomeMessage = w; w.write("HELLO")
    console.log(name, "welcome readback", pub.welcomeMessage)
    await pub.bind("tcp://127.0.0.1:*"); sub.connect(pub.lastEndpoint); sub.subscribe()
    sub.receiveTimeout = 1000
    const [m] = await sub.receive(); console.log(name, "welcome got", m.toString())
    pub.close(); sub.close()
  })
}
