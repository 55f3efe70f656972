/**
 * A host callback that closes the engine (an event listener closing the socket from inside
 * engineReady) must not let the engine carry on into traffic: engineClosed runs once per engine and
 * the engine stays closed (issue 14, item 12).
 */
import { createServer, type Socket } from "node:net"
import { expect, it } from "vitest"
import { Engine, type EngineHost } from "../../src/engine/engine.js"
import { NullMechanism } from "../../src/mechanisms/null.js"
import { Pipe } from "../../src/pipe/pipe.js"
import { Dealer } from "../../src/index.js"
import { sleep, until } from "../helpers.js"

it("an engine closed from inside engineReady stays closed and reports its close once", async () => {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()))
  const port = (srv.address() as { port: number }).port
  const accepted = new Promise<Socket>((r) => srv.once("connection", r))
  // The peer: a real zmtp DEALER.
  const peer = new Dealer({ linger: 0, reconnectInterval: -1 })
  peer.connect(`tcp://127.0.0.1:${port}`)
  const sock = await accepted
  let closes = 0
  let engine: Engine | undefined = undefined
  const host: EngineHost = {
    engineReady: () => {
      // As if a "handshake" listener closed the socket.
      engine!.close(undefined)
      return new Pipe({ pipeReadable() {}, pipeWritable() {} }, "test", false, 10, 10)
    },
    engineClosed: () => {
      closes++
    },
  }
  engine = new Engine(
    sock,
    new NullMechanism([["Socket-Type", "DEALER"]]),
    { socketType: "DEALER", maxMessageSize: -1, handshakeInterval: 5000, heartbeatInterval: 20, heartbeatTimeout: -1, heartbeatTimeToLive: 0 },
    host,
    "test",
  )
  try {
    await until(() => closes > 0, 3000, "engine closed")
    // Long enough for several heartbeat intervals, had the engine gone on into traffic.
    await sleep(150)
    expect(engine.ready).toBe(false)
    expect(closes).toBe(1)
  } finally {
    peer.close()
    sock.destroy()
    srv.close()
  }
})
