/**
 * Process lifetime as zeromq.js has it (issue 15, item 6): a socket with a pending send() or
 * receive(), a pending read of its events (receive(), for-await, or an on() listener), or a running
 * Proxy keeps the process alive; a closed socket, or one with nothing pending (new, bound,
 * connecting, connected but idle), does not. Each case runs in a child process with zmtp and with
 * zeromq.js, and the test compares whether it is still alive at a deadline, how it exited and what
 * it printed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { freeTcpPort } from "../helpers.js"
import { buildZmtp, impls, killChildren, removeZmtp, runChild, type ChildResult } from "./fixtures/child.js"

beforeAll(buildZmtp, 60_000)
afterAll(removeZmtp)
afterEach(killChildren)

/** How long a child may live before it counts as kept alive: far beyond any exit seen (< 0.5 s). */
const DEADLINE = 2500

/** [case, expected outcome, what the child prints after "ready"]. */
const cases: [string, "alive" | "exits", string[]][] = [
  ["new", "exits", []],
  ["bound", "exits", []],
  ["connecting", "exits", []],
  ["connected", "exits", []],
  ["closed", "exits", []],
  ["receive", "alive", []],
  ["receive-bound", "alive", []],
  ["receive-inproc", "alive", []],
  ["receive-timeout", "exits", ["receive rejected EAGAIN"]],
  ["receive-then-close", "exits", ["receive rejected"]],
  ["iterate", "alive", []],
  ["send", "alive", []],
  ["send-timeout", "exits", ["send rejected EAGAIN"]],
  ["send-then-close", "exits", ["send rejected"]],
  ["events-receive", "alive", []],
  ["events-iterate", "alive", []],
  ["events-iterate-then-close", "exits", ["event end", "events ended"]],
  ["events-on", "alive", []],
  ["events-on-then-close", "exits", []],
  ["proxy", "alive", []],
  ["proxy-then-terminate", "exits", ["proxy ended"]],
]

const outcome = (r: ChildResult) => ({
  outcome: r.killed ? "alive" : "exits",
  code: r.code,
  printed: r.out.trim().split("\n"),
  stderr: r.err,
})

describe("what keeps the process alive, side by side with zeromq.js", () => {
  for (const [name, expected, printed] of cases) {
    it(`${name}: ${expected === "alive" ? "keeps the process alive" : "lets the process exit"}`, async () => {
      const port = String(await freeTcpPort())
      const [ours, theirs] = await Promise.all(impls.map((impl) => runChild(impl, "lifetime.cjs", { CASE: name, PORT: port }, DEADLINE)))
      const want = { outcome: expected, code: expected === "alive" ? null : 0, printed: ["ready", ...printed], stderr: "" }
      expect(outcome(theirs!), "zeromq.js").toEqual(want)
      expect(outcome(ours!), "zmtp").toEqual(want)
    }, 20_000)
  }
})
