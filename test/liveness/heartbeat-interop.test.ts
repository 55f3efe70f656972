/**
 * Heartbeats between real sockets of the two libraries (RFC 37 "Connection Heartbeating"), both
 * ways: heartbeats on the zmtp side with a libzmq peer, and on the libzmq side with a zmtp peer, the
 * heartbeating socket either connecting or bound.
 *
 * The connection runs through a TCP relay (helpers.ts FreezableRelay). While it relays, an idle
 * connection must survive many heartbeat timeouts, which shows the other library answers PINGs
 * (nothing else crosses the wire). Then the relay is frozen: the heartbeating side must notice the
 * silence, report `disconnect`, and, when it is the connecting side, reconnect through the relay
 * and carry traffic again.
 */
import { describe, expect, it } from "vitest"
import { sleep } from "../helpers.js"
import { EventLog, FreezableRelay, libs, testCleanup, type Zmq } from "./helpers.js"

const NOTICE_MS = 4000
const HB = { heartbeatInterval: 50, heartbeatTimeout: 200 }

const { track, defer } = testCleanup()

type Dealer = InstanceType<Zmq["Dealer"]>
type Router = InstanceType<Zmq["Router"]>

/** One request from the dealer and its reply from the router. */
async function roundTrip(dealer: Dealer, router: Router, tag: string): Promise<void> {
  await dealer.send(tag)
  const [id, body] = await router.receive()
  expect(body!.toString()).toBe(tag)
  await router.send([id!, `re:${tag}`])
  const [reply] = await dealer.receive()
  expect(reply!.toString()).toBe(`re:${tag}`)
}

for (const hb of libs) {
  const other = libs.find((l) => l.name !== hb.name)!
  describe(`heartbeats on the ${hb.name} side, ${other.name} peer`, () => {
    it(`${hb.name} connecting DEALER keeps an idle ${other.name} ROUTER, then drops it when silent and reconnects`, async () => {
      const router = track(new other.zmq.Router({ receiveTimeout: NOTICE_MS }))
      const routerLog = new EventLog(router)
      await router.bind("tcp://127.0.0.1:*")
      const relay = await FreezableRelay.start(router.lastEndpoint!)
      defer(() => relay.close())
      const dealer = track(new hb.zmq.Dealer({ ...HB, reconnectInterval: 50, receiveTimeout: NOTICE_MS }))
      const dealerLog = new EventLog(dealer)
      dealer.connect(relay.endpoint)
      await roundTrip(dealer, router, "first")

      // Idle for five heartbeat timeouts: only PING/PONG cross the relay.
      await sleep(1000)
      expect(dealerLog.count("disconnect")).toBe(0)
      expect(routerLog.count("disconnect")).toBe(0)
      expect(relay.accepted).toBe(1)
      await roundTrip(dealer, router, "still alive")

      relay.freeze()
      expect((await dealerLog.waitFor("disconnect", 1, NOTICE_MS)).address).toBe(relay.endpoint)
      await dealerLog.waitFor("connect:retry", 1, NOTICE_MS)
      await dealerLog.waitFor("handshake", 2, NOTICE_MS)
      expect(relay.accepted).toBe(2)
      await roundTrip(dealer, router, "after reconnect")
    })

    it(`${hb.name} bound ROUTER keeps an idle ${other.name} DEALER, then drops it when silent`, async () => {
      const router = track(new hb.zmq.Router({ ...HB, receiveTimeout: NOTICE_MS }))
      const routerLog = new EventLog(router)
      await router.bind("tcp://127.0.0.1:*")
      const relay = await FreezableRelay.start(router.lastEndpoint!)
      defer(() => relay.close())
      const dealer = track(new other.zmq.Dealer({ receiveTimeout: NOTICE_MS }))
      const dealerLog = new EventLog(dealer)
      dealer.connect(relay.endpoint)
      await roundTrip(dealer, router, "first")

      await sleep(1000)
      expect(routerLog.count("disconnect")).toBe(0)
      expect(dealerLog.count("disconnect")).toBe(0)
      expect(relay.accepted).toBe(1)
      await roundTrip(dealer, router, "still alive")

      relay.freeze()
      expect((await routerLog.waitFor("disconnect", 1, NOTICE_MS)).address).toBe(router.lastEndpoint)
    })

    it(`a ${other.name} ROUTER with no heartbeat option drops a ${hb.name} DEALER silent past the TTL it announced`, async () => {
      // The DEALER PINGs with TTL 300 ms (sent as 3 deciseconds) and waits long for PONGs itself,
      // so only the ROUTER's TTL timer can end the connection once the relay is frozen.
      const router = track(new other.zmq.Router({ receiveTimeout: NOTICE_MS }))
      const routerLog = new EventLog(router)
      await router.bind("tcp://127.0.0.1:*")
      const relay = await FreezableRelay.start(router.lastEndpoint!)
      defer(() => relay.close())
      const dealer = track(
        new hb.zmq.Dealer({ heartbeatInterval: 50, heartbeatTimeout: 30_000, heartbeatTimeToLive: 300, receiveTimeout: NOTICE_MS }),
      )
      dealer.connect(relay.endpoint)
      await roundTrip(dealer, router, "first")
      // Several TTLs while PINGs flow: kept.
      await sleep(900)
      expect(routerLog.count("disconnect")).toBe(0)
      relay.freeze()
      expect((await routerLog.waitFor("disconnect", 1, NOTICE_MS)).address).toBe(router.lastEndpoint)
    })
  })
}
