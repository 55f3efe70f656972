/**
 * `sock.events`: zeromq.js event names and payloads. Each scenario runs once on libzmq (zeromq.js
 * 6.8, whose events are libzmq's socket monitor, zmq_socket_monitor) and once on zmtp, and the
 * sequence of event types is compared per socket. Only orderings that are deterministic within one
 * socket are compared: every scenario waits for one step's outcome before it starts the next, and
 * the number of reconnect attempts, which depends on timing, is normalised (a run of identical
 * retry cycles counts as one). Interval values are not compared, only checked to be positive.
 *
 * Not covered: accept:error and close:error (they need the system to refuse accept() or close(),
 * e.g. EMFILE) and handshake:error:auth (it needs a security mechanism other than NULL, which zmtp
 * does not have).
 */
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { RawListener, RawPeer, command, greeting, ready } from "../../spec-tests/wire/raw-peer.js"
import { cleanupIpc, ipcEndpoint, sleep } from "../helpers.js"
import { EventLog, closeQuietly, libs, type AnySocket, type Ev, type LibName, type Zmq } from "./helpers.js"

const NOTICE_MS = 4000
/** A step is over once its socket has reported nothing new for this long. */
const SETTLE_MS = 100

/** Waits until `log` has been quiet for SETTLE_MS (at most `ms`), so a step's last event is in. */
async function settle(log: EventLog, ms = NOTICE_MS): Promise<void> {
  const end = Date.now() + ms
  let n = log.seen.length
  let quietSince = Date.now()
  while (Date.now() - quietSince < SETTLE_MS && Date.now() < end) {
    await sleep(10)
    if (log.seen.length !== n) {
      n = log.seen.length
      quietSince = Date.now()
    }
  }
}

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  cleanupIpc()
})

function track<T extends AnySocket>(s: T): T {
  cleanup.push(() => closeQuietly(s))
  return s
}

/** Event logs of one scenario run, per socket role, plus the endpoint the scenario used. */
interface Run {
  logs: Record<string, Ev[]>
  endpoint: string
}

/** Runs `scenario` on both libraries, one after the other. */
async function onBoth(scenario: (zmq: Zmq, lib: LibName) => Promise<Run>): Promise<Record<LibName, Run>> {
  const out = {} as Record<LibName, Run>
  for (const { name, zmq } of libs) {
    out[name] = await scenario(zmq, name)
    for (const f of cleanup.splice(0).reverse()) await f()
  }
  return out
}

/** The types in order, with each run of repeated reconnect cycles collapsed to one cycle. */
function normalise(evs: Ev[]): string {
  return evs
    .map((e) => e.type)
    .join(" ")
    .replace(/( connect:retry connect:delay close)+/g, " connect:retry connect:delay close")
    .replace(/( connect:retry close)+/g, " connect:retry close")
}

/** Every event but `end` names the endpoint; retries carry a positive interval; errors carry a code. */
function checkPayloads(evs: Ev[], endpoint: string): void {
  for (const e of evs) {
    if (e.type === "end") continue
    expect({ type: e.type, address: e.address }).toEqual({ type: e.type, address: endpoint })
    if (e.type === "connect:retry") expect(e.interval).toBeGreaterThan(0)
    if (e.type.includes(":error")) {
      expect(e.error, `${e.type} carries its error`).toBeInstanceOf(Error)
      expect(typeof e.error!.code).toBe("string")
    }
  }
}

function compare(runs: Record<LibName, Run>): void {
  for (const role of Object.keys(runs.libzmq.logs)) {
    expect({ role, zmtp: normalise(runs.zmtp.logs[role]!) }).toEqual({ role, zmtp: normalise(runs.libzmq.logs[role]!) })
  }
}

describe("event sequences: zmtp against libzmq, same scenario side by side", () => {
  for (const transport of ["tcp", "ipc"] as const) {
    it(`bind, connect, handshake, peer gone, retries, close (${transport})`, async () => {
      const runs = await onBoth(async (zmq) => {
        const router = track(new zmq.Router())
        const routerLog = new EventLog(router)
        await router.bind(transport === "tcp" ? "tcp://127.0.0.1:*" : ipcEndpoint())
        const endpoint = router.lastEndpoint!
        const dealer = track(new zmq.Dealer({ reconnectInterval: 100 }))
        const dealerLog = new EventLog(dealer)
        dealer.connect(endpoint)
        await dealer.send("hello")
        await router.receive()
        await routerLog.waitFor("handshake")
        await dealerLog.waitFor("handshake")
        // The bound side goes away: the dealer loses its peer and keeps trying.
        router.close()
        await routerLog.waitFor("end")
        await dealerLog.waitFor("disconnect")
        // Closed right after a retry was scheduled, long before it is due.
        await dealerLog.waitFor("connect:retry", 2)
        dealer.close()
        await dealerLog.waitFor("end")
        checkPayloads(routerLog.seen, endpoint)
        checkPayloads(dealerLog.seen, endpoint)
        return { endpoint, logs: { router: routerLog.seen, dealer: dealerLog.seen } }
      })
      compare(runs)
    })
  }

  /** A bound ROUTER meets one misbehaving raw peer after another, then a good one; then unbind, close. */
  async function boundScenario(zmq: Zmq): Promise<Run & { errors: Record<string, string | undefined> }> {
    const router = track(new zmq.Router({ handshakeInterval: 300 }))
    const log = new EventLog(router)
    await router.bind("tcp://127.0.0.1:*")
    const endpoint = router.lastEndpoint!
    const errors: Record<string, string | undefined> = {}
    const steps: [string, Buffer | undefined][] = [
      // RFC 23: a peer that never greets is dropped once the handshake deadline passes.
      ["silent", undefined],
      // RFC 23 "Authentication and Confidentiality": mechanisms must match.
      ["mechanism mismatch", greeting({ mechanism: "PLAIN" })],
      // RFC 23 NULL grammar: null = ready *message | error.
      ["unexpected command", Buffer.concat([greeting(), command("BOGUS")])],
      // RFC 23 "The Socket-Type Property": PUB may not talk to ROUTER.
      ["incompatible socket type", Buffer.concat([greeting(), ready({ "Socket-Type": "PUB" })])],
    ]
    for (const [i, [step, bytes]] of steps.entries()) {
      const before = log.seen.length
      const peer = await RawPeer.connect(endpoint)
      cleanup.push(() => peer.destroy())
      if (bytes) await peer.send(bytes)
      expect(await peer.closedWithin(NOTICE_MS), `${step}: dropped`).toBe(true)
      await log.waitFor("accept", i + 1)
      await settle(log)
      errors[step] = log.seen.slice(before).find((e) => e.type.startsWith("handshake:error"))?.error?.code
    }
    const good = await RawPeer.connect(endpoint)
    cleanup.push(() => good.destroy())
    await good.handshake("DEALER")
    await log.waitFor("handshake")
    good.destroy()
    await log.waitFor("disconnect", log.count("disconnect") + 1)
    await router.unbind(endpoint)
    await log.waitFor("close")
    router.close()
    await log.waitFor("end")
    checkPayloads(log.seen, endpoint)
    return { endpoint, logs: { router: log.seen }, errors }
  }

  it("a bound socket: handshake timeout, protocol errors, a refused peer, a peer gone, unbind, close", async () => {
    compare(await onBoth(boundScenario))
  })

  it("handshake:error:protocol carries zeromq.js's error code", async () => {
    const runs = (await onBoth(boundScenario)) as Record<LibName, Awaited<ReturnType<typeof boundScenario>>>
    for (const step of ["mechanism mismatch", "unexpected command"]) {
      expect({ step, code: runs.zmtp.errors[step] }).toEqual({ step, code: runs.libzmq.errors[step] })
    }
  })

  it("a connecting socket: handshake timeout, retry, handshake, close", async () => {
    compare(
      await onBoth(async (zmq) => {
        const listener = await RawListener.listen({ tcp: true })
        cleanup.push(() => listener.close())
        const dealer = track(new zmq.Dealer({ handshakeInterval: 150, reconnectInterval: 50 }))
        const log = new EventLog(dealer)
        dealer.connect(listener.endpoint)
        const first = await listener.accept(NOTICE_MS)
        expect(await first.closedWithin(NOTICE_MS)).toBe(true)
        await log.waitFor("connect:retry")
        const second = await listener.accept(NOTICE_MS)
        await second.handshake("ROUTER")
        await log.waitFor("handshake")
        dealer.close()
        await log.waitFor("end")
        checkPayloads(log.seen, listener.endpoint)
        return { endpoint: listener.endpoint, logs: { dealer: log.seen } }
      }),
    )
  })

  it("bind:error carries the error, with the same code as zeromq.js", async () => {
    const runs = await onBoth(async (zmq, lib) => {
      const first = track(new zmq.Router())
      await first.bind("tcp://127.0.0.1:*")
      const endpoint = first.lastEndpoint!
      const second = track(new zmq.Router())
      const log = new EventLog(second)
      const err = await second.bind(endpoint).then(
        () => undefined,
        (e: { code?: string }) => e,
      )
      // libzmq defect: with a monitor attached, zmq_bind() sometimes fails with errno EAGAIN instead
      // of EADDRINUSE (3 in 300 under CPU load, measured with zeromq.js 6.8): the monitor's
      // bind-failed event is sent after the listener's errno was saved, and that send overwrites it.
      // The event itself carries EADDRINUSE. zmtp's rejection is EADDRINUSE every time.
      if (lib === "libzmq") expect(err?.code).toMatch(/^(EADDRINUSE|EAGAIN)$/)
      else expect(err?.code).toBe("EADDRINUSE")
      const ev = await log.waitFor("bind:error")
      expect(ev.error?.code).toBe("EADDRINUSE")
      // libzmq reports the address without its scheme here ("127.0.0.1:PORT"); both name the port.
      expect(ev.address).toContain(endpoint.replace(/^tcp:\/\//, ""))
      second.close()
      await log.waitFor("end")
      return { endpoint, logs: { second: log.seen } }
    })
    // libzmq also reports `close` (with no address) for the descriptor of the failed bind, an
    // artefact of its implementation; the rest must agree.
    const withoutAddresslessClose = (evs: Ev[]) => evs.filter((e) => !(e.type === "close" && e.address === undefined))
    expect(normalise(withoutAddresslessClose(runs.zmtp.logs.second!))).toEqual(normalise(withoutAddresslessClose(runs.libzmq.logs.second!)))
  })
})

describe("the observer", () => {
  for (const { name, zmq } of libs) {
    it(`ends with the socket: \`end\` is the last event and iteration stops [${name}]`, async () => {
      const sock = track(new zmq.Dealer())
      const log = new EventLog(sock)
      sock.connect("tcp://127.0.0.1:1")
      await log.waitFor("close")
      sock.close()
      await log.waitFor("end")
      await settle(log)
      expect(log.types().at(-1)).toBe("end")
      expect(log.count("end")).toBe(1)
    })
  }
})

afterAll(cleanupIpc)
