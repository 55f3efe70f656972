/**
 * The CLI with several brokers (issue 20, item 1): `zmtp serve`, `zmtp call` and `zmtp load` take a
 * repeated --connect; `zmtp broker` is unchanged, with a tcp backend. Runs the CLI built from
 * src/ into a temp dir.
 */
import { execFile } from "node:child_process"
import { fork } from "node:child_process"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { BrokerProcess, buildCli, removeCli } from "./fabric.js"

let CLI = ""
beforeAll(async () => void (CLI = await buildCli()), 120_000)
afterAll(removeCli)

let brokers: BrokerProcess[] = []
let procs: ReturnType<typeof fork>[] = []
afterEach(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL")
  for (const b of brokers) await b.kill()
  brokers = []
  procs = []
})

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

/** `zmtp serve` with the given args, once it said it is ready. */
function serve(args: string[]): Promise<void> {
  const p = fork(CLI, ["serve", "--quiet", ...args], { stdio: ["ignore", "ignore", "inherit", "ipc"] })
  procs.push(p)
  return new Promise((resolve, reject) => {
    p.on("message", (m: { type?: string }) => m?.type === "ready" && resolve())
    p.once("exit", () => reject(new Error("serve exited")))
  })
}

describe("zmtp with several brokers", () => {
  it("serve --connect A --connect B takes work from both; call and load --connect A --connect B go on when one is SIGKILLed", async () => {
    const [a, b] = await Promise.all([BrokerProcess.start(), BrokerProcess.start()])
    brokers.push(a!, b!)
    await serve(["--connect", a!.backend, "--connect", b!.backend, "--concurrency", "4"])
    // Through each broker alone: the one server answers both.
    for (const broker of [a!, b!]) {
      const r = await run(["call", "add", "[40, 2]", "--connect", broker.frontend, "--timeout", "5000"])
      expect(r.stderr).toBe("")
      expect(r.stdout.trim()).toBe("42")
    }
    await a!.kill()
    const r = await run(["call", "echo", '"still"', "--connect", a!.frontend, "--connect", b!.frontend, "--timeout", "5000"])
    expect(r.stdout.trim()).toBe('"still"')
    const l = await run(["load", "--connect", a!.frontend, "--connect", b!.frontend, "--duration", "1", "--concurrency", "8", "--retries", "2", "--quiet"])
    expect(l.code).toBe(0)
    expect(l.stdout).toMatch(/ 0 errors/)
  }, 60_000)
})
