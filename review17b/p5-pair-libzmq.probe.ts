// Pair second peer, side by side: libzmq (zeromq.js) vs zmtp.
import { describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import * as zmtp from "../src/index.js"
import { sleep } from "../test/helpers.js"

async function scenario(lib: any) {
  const log: string[] = []
  const srv = new lib.Pair({ linger: 0 }); await srv.bind("tcp://127.0.0.1:*")
  const ep = srv.lastEndpoint
  const a = new lib.Pair({ linger: 0 }); a.connect(ep)
  await a.send("a1")
  log.push("srv<-" + (await srv.receive())[0])
  const b = new lib.Pair({ linger: 0, sendTimeout: 300 }); b.connect(ep)
  await sleep(200)
  await b.send("b1").then(() => log.push("b1 sent"), (e: any) => log.push("b1 " + e.code))
  srv.receiveTimeout = 300
  await srv.receive().then((m: any) => log.push("srv<-" + m[0]), (e: any) => log.push("srv recv " + e.code))
  a.close(); await sleep(300)
  srv.sendTimeout = 300
  await srv.send("s1").then(() => log.push("s1 sent"), (e: any) => log.push("s1 " + e.code))
  b.receiveTimeout = 300
  await b.receive().then((m: any) => log.push("b<-" + m[0]), (e: any) => log.push("b recv " + e.code))
  await b.send("b2").then(() => log.push("b2 sent"), (e: any) => log.push("b2 " + e.code))
  await srv.receive().then((m: any) => log.push("srv<-" + m[0]), (e: any) => log.push("srv recv " + e.code))
  // reconnect of a to the same server
  const c = new lib.Pair({ linger: 0 }); c.connect(ep)
  c.receiveTimeout = 1000
  await c.receive().then((m: any) => log.push("c<-" + m[0]), (e: any) => log.push("c recv " + e.code))
  for (const s of [srv, b, c]) s.close()
  return log
}

describe("pair second peer", () => {
  it("same as libzmq", async () => {
    const l = await scenario(zmq)
    const z = await scenario(zmtp)
    console.log("libzmq", l, "\nzmtp  ", z)
    expect(z).toEqual(l)
  })
})
