// Push connected to two endpoints, one down: side by side with libzmq.
import { describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import * as zmtp from "../src/index.js"
import { freeTcpPort, sleep } from "../test/helpers.js"

async function scenario(lib: any) {
  const down = `tcp://127.0.0.1:${await freeTcpPort()}`
  const up = new lib.Pull({ linger: 0 }); await up.bind("tcp://127.0.0.1:*")
  const push = new lib.Push({ sendHighWaterMark: 2, linger: 0, sendTimeout: 0, reconnectInterval: 50 })
  push.connect(down); push.connect(up.lastEndpoint)
  await sleep(300)
  const res: string[] = []
  for (let i = 0; i < 10; i++) await push.send(String(i)).then(() => res.push("ok"), (e: any) => res.push(e.code))
  up.receiveTimeout = 300
  const got: string[] = []
  try { for (;;) got.push((await up.receive())[0].toString()) } catch {}
  // now bring the down endpoint up
  const late = new lib.Pull({ linger: 0 }); await late.bind(down)
  late.receiveTimeout = 1500
  const got2: string[] = []
  try { for (;;) { got2.push((await late.receive())[0].toString()); late.receiveTimeout = 300 } } catch {}
  push.close(); up.close(); late.close()
  return { res, got, got2 }
}

describe("push with one endpoint down", () => {
  it("same as libzmq", async () => {
    const l = await scenario(zmq)
    const z = await scenario(zmtp)
    console.log("libzmq", JSON.stringify(l), "\nzmtp  ", JSON.stringify(z))
    // The round-robin is the same (0, 2 queue for the endpoint that is down, 1, 3 go to the one up).
    // libzmq then refuses (EAGAIN) where zmtp accepts: with sendHighWaterMark 2, libzmq's app thread
    // learns that its I/O thread drained the pipe only when it next processes commands (throttled),
    // so a tight sendTimeout-0 loop finds the pipe full; zmtp flushes at once (Pipe.makeRoom). Timing,
    // not a defect: nothing is dropped on either side.
    expect(z.got.slice(0, 2)).toEqual(l.got.slice(0, 2))
    expect(z.got2).toEqual(l.got2)
    expect(z.got.length + z.got2.length).toBe(z.res.filter((r) => r === "ok").length)
  })
})
