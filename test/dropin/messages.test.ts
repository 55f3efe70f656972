/**
 * What `send()` accepts, side by side with zeromq.js: each value is sent from a DEALER to a ROUTER
 * on zeromq.js (libzmq 4.3.5) and on zmtp, and the bytes the ROUTER receives are compared.
 *
 * zeromq.js's `MessageLike` is `ArrayBufferView | ArrayBuffer | SharedArrayBuffer | string | number
 * | null`: any typed array is sent as its bytes, `null` as an empty frame, and anything else as its
 * string form (`42` as "42", `true` as "true"), in a multipart message too.
 */
import { describe, expect, it } from "vitest"
import { closeAfterEach, libs, type Zmq } from "./side-by-side.js"


const track = closeAfterEach()

/** Sends `value` DEALER -> ROUTER over tcp and returns the received frames (without the routing id) in hex. */
async function roundTrip(zmq: Zmq, value: unknown): Promise<string[]> {
  const router = new zmq.Router()
  const dealer = new zmq.Dealer()
  track(router)
  track(dealer)
  await router.bind("tcp://127.0.0.1:*")
  dealer.connect(router.lastEndpoint as string)
  await dealer.send(value as Parameters<InstanceType<Zmq["Dealer"]>["send"]>[0])
  const [, ...frames] = await router.receive()
  return frames.map((f) => f.toString("hex"))
}

const hex = (s: string) => Buffer.from(s).toString("hex")

const cases: [string, () => unknown, string[]][] = [
  ["null (an empty frame)", () => null, [""]],
  ["a number", () => 42, [hex("42")]],
  ["a negative fraction", () => -1.5, [hex("-1.5")]],
  ["a boolean", () => true, [hex("true")]],
  ["an Int16Array (its bytes)", () => new Int16Array([1, 0x0203]), ["01000302"]],
  ["a Float64Array view into a larger buffer", () => new Float64Array(new ArrayBuffer(24), 8, 1).fill(1), ["000000000000f03f"]],
  ["a plain object (its string form)", () => ({}), [hex("[object Object]")]],
  ["a multipart message of null, a number and a string", () => [null, 7, "x"], ["", hex("7"), hex("x")]],
]

describe("send() accepts what zeromq.js accepts", () => {
  for (const [what, value, expected] of cases) {
    it(what, async () => {
      const seen: Record<string, string[]> = {}
      for (const { name, zmq } of libs) seen[name] = await roundTrip(zmq, value())
      expect(seen["zeromq.js"]).toEqual(expected)
      expect(seen.zmtp).toEqual(seen["zeromq.js"])
    })
  }
})
