/**
 * The RPC wire is plain msgpack (issue 14, item 10), checked against msgpack-python (Debian
 * python3-msgpack) and pyzmq in both directions, with real RPC exchanges:
 *
 * - zmtp RpcClient -> a pyzmq REP server (interop/rpc_msgpack_peer.py serve): what JS encodes is read
 *   by msgpack-python, which reports each value with its msgpack type; what Python encodes is read
 *   by zmtp.
 * - a pyzmq REQ client (rpc_msgpack_peer.py call) -> zmtp Broker -> zmtp RpcServer: replies that zmtp
 *   encodes are read by msgpack-python; requests that Python encodes are read by zmtp.
 *
 * The rules checked (see protocol.ts): no extension but the msgpack timestamp (Date); undefined is
 * dropped from objects and nil elsewhere; integers within ±2^53 are msgpack ints, never floats;
 * 64-bit integers beyond ±2^53 arrive in JS as BigInt and go back out as the same ints.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { Broker, RpcClient, RpcServer } from "../src/rpc/index.js"
import { bindEndpoint } from "./subject.js"

const PEER = fileURLToPath(new URL("./rpc_msgpack_peer.py", import.meta.url))

// As for the pyzmq peer (interop/peers.ts): skipped with the install command when the Python
// modules are missing locally, required under CI=true.
const check = spawnSync("/usr/bin/python3", ["-c", "import zmq, msgpack"], { encoding: "utf8", timeout: 20_000 })
const missing =
  check.status === 0
    ? undefined
    : `python3-msgpack and python3-zmq are needed (/usr/bin/python3 -c 'import zmq, msgpack' failed: ${(check.error?.message ?? check.stderr ?? "").trim().split("\n").pop()}). Install them with: apt-get install python3-msgpack python3-zmq`
if (missing && process.env.CI !== "true") console.warn(`[interop] skipping rpc-msgpack.test.ts: ${missing}`)

/** Starts the Python peer and resolves with its first JSON line; the rest of stdout is collected. */
function python(args: string[]): { proc: ChildProcessWithoutNullStreams; first: Promise<Record<string, unknown>>; exited: Promise<number | null> } {
  const proc = spawn("/usr/bin/python3", [PEER, ...args], { stdio: "pipe" })
  let stderr = ""
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)))
  const first = new Promise<Record<string, unknown>>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout })
    lines.once("line", (l) => resolve(JSON.parse(l) as Record<string, unknown>))
    void exited.then((code) => reject(new Error(`python peer exited (${code}) before answering: ${stderr}`)))
  })
  return { proc, first, exited }
}

// ---- what msgpack-python reports (see describe() in the peer) -------------------------------------
type Desc = { t: string; v?: unknown; [k: string]: unknown }
const int = (v: bigint | number): Desc => ({ t: "int", v: String(v) })
const float = (v: string): Desc => ({ t: "float", v })
const str = (v: string): Desc => ({ t: "str", v })
const bin = (hex: string): Desc => ({ t: "bin", v: hex })
const nil: Desc = { t: "nil" }
const bool = (v: boolean): Desc => ({ t: "bool", v })
const array = (...v: Desc[]): Desc => ({ t: "array", v })
const map = (entries: Record<string, Desc>): Desc => ({ t: "map", v: Object.entries(entries).map(([k, d]) => [str(k), d]) })

/** Values made in JS, and how a plain msgpack peer must see them. */
const jsValues = {
  small: 7,
  negative: -3,
  u32max: 2 ** 32 - 1,
  i32min: -(2 ** 31),
  wide: 2 ** 40,
  wideNegative: -(2 ** 40) - 1,
  safeMax: Number.MAX_SAFE_INTEGER,
  safeMin: Number.MIN_SAFE_INTEGER,
  int53: 2 ** 53,
  bigint: 2n ** 63n - 1n,
  float: 1.5,
  negativeZero: -0,
  beyond53: 2 ** 60,
  str: "héllo 工",
  bin: Buffer.from([0, 255, 16]),
  bytes: new Uint8Array([1, 2]),
  none: null,
  yes: true,
  dropped: undefined,
  inArray: [1, undefined, 2 ** 40],
  nested: { a: 1, b: undefined, deeper: [{ c: undefined, d: -(2 ** 50) }] },
  map: new Map<string, unknown>([["k", 2 ** 41], ["u", undefined]]),
  set: new Set([2 ** 42]),
  date: new Date(1_700_000_000_500),
}
const jsExpected: Desc = map({
  small: int(7),
  negative: int(-3),
  u32max: int(2 ** 32 - 1),
  i32min: int(-(2 ** 31)),
  wide: int(2 ** 40),
  wideNegative: int(-(2 ** 40) - 1),
  safeMax: int(Number.MAX_SAFE_INTEGER),
  safeMin: int(Number.MIN_SAFE_INTEGER),
  int53: int(2 ** 53),
  bigint: int(2n ** 63n - 1n),
  float: float("1.5"),
  // -0 is an integer with no msgpack int of its own: it goes as 0 (as JSON writes it).
  negativeZero: int(0),
  // Past 2^53 a JS number is no longer an exact integer: it stays a float (use BigInt for those).
  beyond53: float("1.152921504606847e+18"),
  str: str("héllo 工"),
  bin: bin("00ff10"),
  bytes: bin("0102"),
  none: nil,
  yes: bool(true),
  // dropped: undefined in an object is left out, as JSON does.
  inArray: array(int(1), nil, int(2 ** 40)),
  nested: map({ a: int(1), deeper: array(map({ d: int(-(2 ** 50)) })) }),
  map: map({ k: int(2 ** 41), u: nil }),
  set: array(int(2 ** 42)),
  date: { t: "timestamp", seconds: 1_700_000_000, nanoseconds: 500_000_000 },
})

/** Python's values (python_values() in the peer) as zmtp must decode them. */
const fromPython = {
  small: 7,
  negative: -3,
  u32max: 2 ** 32 - 1,
  wide: 2 ** 40,
  wideNegative: -(2 ** 40),
  safeMax: Number.MAX_SAFE_INTEGER,
  int53: 2 ** 53,
  int64max: 2n ** 63n - 1n,
  int64min: -(2n ** 63n),
  uint64max: 2n ** 64n - 1n,
  float: 1.5,
  floatWhole: 3,
  str: "héllo 工",
  bytes: Buffer.from([0, 255, 16]),
  none: null,
  yes: true,
  list: [1, "two", null, [2.5]],
  nested: { a: { b: [] } },
  timestamp: new Date(1_700_000_000_500),
}
/** Python's values after a trip through zmtp and back, as msgpack-python sees them. */
const pythonRoundTrip: Desc = map({
  small: int(7),
  negative: int(-3),
  u32max: int(2 ** 32 - 1),
  wide: int(2 ** 40),
  wideNegative: int(-(2 ** 40)),
  safeMax: int(Number.MAX_SAFE_INTEGER),
  int53: int(2 ** 53),
  int64max: int(2n ** 63n - 1n),
  int64min: int(-(2n ** 63n)),
  uint64max: int(2n ** 64n - 1n),
  float: float("1.5"),
  // A JS number cannot tell 3.0 from 3: a whole float comes back as an int.
  floatWhole: int(3),
  str: str("héllo 工"),
  bytes: bin("00ff10"),
  none: nil,
  yes: bool(true),
  list: array(int(1), str("two"), nil, array(float("2.5"))),
  nested: map({ a: map({ b: array() }) }),
  timestamp: { t: "timestamp", seconds: 1_700_000_000, nanoseconds: 500_000_000 },
})

describe.skipIf(missing !== undefined && process.env.CI !== "true")("RPC wire against msgpack-python", () => {
  if (missing) it("has its Python peer", () => expect.fail(missing))
  it("zmtp RpcClient -> pyzmq/msgpack-python REP server: both directions are plain msgpack", async () => {
    const peer = python(["serve"])
    const client = new RpcClient(String((await peer.first).endpoint), { timeout: 10_000 })
    try {
      // JS encodes, Python decodes and reports the types it saw.
      expect(await client.call("describe", jsValues)).toEqual(jsExpected)
      // A top-level undefined (no params) is nil.
      expect(await client.call("describe")).toEqual(nil)
      // Python encodes, JS decodes.
      const values = (await client.call("values")) as Record<string, unknown>
      expect(values).toEqual(fromPython)
      expect(values.bytes).toBeInstanceOf(Buffer)
      expect(typeof values.int53).toBe("number")
      expect(typeof values.int64max).toBe("bigint")
      // And back: what Python decoded of jsValues, re-encoded by Python, read by JS.
      expect(await client.call("echo", jsValues)).toEqual({
        ...jsValues,
        dropped: undefined,
        negativeZero: 0,
        bytes: Buffer.from([1, 2]),
        inArray: [1, null, 2 ** 40],
        nested: { a: 1, deeper: [{ d: -(2 ** 50) }] },
        map: { k: 2 ** 41, u: null },
        set: [2 ** 42],
      })
      expect(await client.call("exit")).toBeNull()
      expect(await peer.exited).toBe(0)
    } finally {
      client.close()
      if (peer.proc.exitCode === null) peer.proc.kill()
    }
  })

  it("pyzmq/msgpack-python REQ client -> zmtp broker -> zmtp RpcServer: both directions are plain msgpack", async () => {
    const broker = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: bindEndpoint("ipc") })
    const server = new RpcServer({ values: () => jsValues, echo: (v: unknown) => v }, { concurrency: 2 })
    server.connect(broker.backends.default!)
    const peer = python(["call", broker.frontend])
    try {
      const out = (await peer.first) as { values: Desc; echo: Desc }
      // JS encodes the reply, Python decodes it.
      expect(out.values).toEqual(jsExpected)
      // Python encodes the request, JS decodes it and answers with what it read.
      expect(out.echo).toEqual(pythonRoundTrip)
      expect(await peer.exited).toBe(0)
    } finally {
      if (peer.proc.exitCode === null) peer.proc.kill()
      await server.close()
      await broker.close()
    }
  })
})
