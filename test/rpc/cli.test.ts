/**
 * The zmtp command, run as a user of this runtime runs it after a tsup build (`node dist/cli.js`,
 * `bun dist/cli.js`, `deno run -A dist/cli.js`: see runtimeArgs): --help everywhere,
 * one-line errors for user mistakes (bad endpoint, port in use, nobody answering, bad flags), the
 * broker/serve/call and req/rep round trips, and `zmtp start` (the npm start pipeline) exiting 0 and
 * leaving no process, port or ipc file behind, after its duration and on SIGINT.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { createConnection } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Router } from "../../src/index.js"
import { cleanupIpc, freeTcpPort, ipcEndpoint, runtimeArgs } from "../helpers.js"

const CLI = new URL("../../dist/cli.js", import.meta.url).pathname
const ROOT = new URL("../..", import.meta.url).pathname
const started: ChildProcess[] = []

beforeAll(() => {
  execFileSync("npx", ["tsup", "--silent"], { cwd: ROOT, stdio: "ignore" })
}, 120_000)

afterAll(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL")
  cleanupIpc()
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI to completion. */
function run(args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, runtimeArgs(CLI, ...args), { stdio: ["ignore", "pipe", "pipe"] })
    started.push(p)
    let stdout = ""
    let stderr = ""
    p.stdout.on("data", (d) => (stdout += d))
    p.stderr.on("data", (d) => (stderr += d))
    const t = setTimeout(() => reject(new Error(`zmtp ${args.join(" ")} did not exit within ${timeoutMs} ms; stdout: ${stdout}`)), timeoutMs)
    p.on("exit", (code) => {
      clearTimeout(t)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Starts a long-running command and resolves once its stdout matches `ready`. */
function launch(args: string[], ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpMatchArray; output: () => string; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, runtimeArgs(CLI, ...args), { stdio: ["ignore", "pipe", "pipe"] })
    started.push(proc)
    let out = ""
    const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)))
    const t = setTimeout(() => reject(new Error(`zmtp ${args.join(" ")} not ready: ${out}`)), 15_000)
    proc.stderr!.on("data", (d) => (out += d))
    proc.stdout!.on("data", (d) => {
      out += d
      const m = out.match(ready)
      if (m) {
        clearTimeout(t)
        resolve({ proc, match: m, output: () => out, exited })
      }
    })
    void exited.then(() => reject(new Error(`zmtp ${args.join(" ")} exited early: ${out}`)))
  })
}

/**
 * Ctrl-C as a terminal sends it: a signal from outside the process. Not ChildProcess.kill(), which
 * under Deno 2.9 records the signal as the child's fate: its exit event then says (null, "SIGINT")
 * even when the child caught the signal and exited 0.
 */
function interrupt(proc: ChildProcess): void {
  process.kill(proc.pid!, "SIGINT")
}

/** A user mistake is one line on stderr, starting "zmtp:", with no stack trace. */
function expectOneLineError(r: Run, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code)
  const lines = r.stderr.trim().split("\n")
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^zmtp: /)
  expect(lines[0]).toMatch(pattern)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

function portRefused(endpoint: string): Promise<boolean> {
  const [, host, port] = endpoint.match(/^tcp:\/\/(.+):(\d+)$/)!
  return new Promise((resolve) => {
    const s = createConnection({ host, port: Number(port) })
    s.on("connect", () => {
      s.destroy()
      resolve(false)
    })
    s.on("error", () => resolve(true))
  })
}

describe("zmtp --help", () => {
  it("every command has --help, and the top level lists them", async () => {
    const top = await run(["--help"])
    expect(top.code).toBe(0)
    for (const cmd of ["start", "broker", "serve", "call", "load", "req", "rep"]) {
      expect(top.stdout).toContain(cmd)
      const r = await run([cmd, "--help"])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`^Usage: zmtp ${cmd}`))
    }
  })
})

describe("one-line errors for user mistakes", () => {
  it("a bad endpoint", async () => {
    expectOneLineError(await run(["call", "echo", "--connect", "nonsense"]), 2, /bad endpoint/)
    expectOneLineError(await run(["broker", "--frontend", "udp://127.0.0.1:1", "--backend", ipcEndpoint()]), 2, /bad endpoint.*not supported/)
    expectOneLineError(await run(["req", "x", "--connect", "tcp://127.0.0.1:*"]), 2, /bad endpoint/)
  })

  it("a port in use", async () => {
    const holder = new Router({ linger: 0 })
    await holder.bind("tcp://127.0.0.1:*")
    try {
      expectOneLineError(await run(["broker", "--frontend", holder.lastEndpoint!, "--backend", ipcEndpoint()]), 1, /already in use \(EADDRINUSE\)/)
      expectOneLineError(await run(["rep", "--bind", holder.lastEndpoint!]), 1, /already in use/)
    } finally {
      holder.close()
    }
  })

  it("nobody answering: a timeout, named as such", async () => {
    const port = await freeTcpPort()
    expectOneLineError(await run(["call", "echo", "1", "--connect", `tcp://127.0.0.1:${port}`, "--timeout", "200"]), 1, /no reply from .* within 200 ms/)
    expectOneLineError(await run(["req", "hi", "--connect", `tcp://127.0.0.1:${port}`, "--timeout", "200"]), 1, /no reply from .* within 200 ms/)
  })

  it("bad flags, arguments and commands", async () => {
    expectOneLineError(await run(["frobnicate"]), 2, /unknown command "frobnicate"/)
    expectOneLineError(await run(["call", "echo", "--bogus"]), 2, /Unknown option '--bogus'.*zmtp call --help/)
    expectOneLineError(await run(["call", "add", "[1,"]), 2, /not valid JSON/)
    expectOneLineError(await run(["call"]), 2, /name the method/)
    expectOneLineError(await run(["call", "x", "--timeout", "soon"]), 2, /--timeout must be a whole number/)
    expectOneLineError(await run(["broker", "--topic", "nameonly"]), 2, /NAME=ENDPOINT/)
    expectOneLineError(await run(["start", "--duration=-1"]), 2, /--duration must be a positive number/)
    expectOneLineError(await run(["start", "--duration", "-1"]), 2, /ambiguous/)
  })
})

describe("round trips", () => {
  it("broker + serve + call, including a remote error; Ctrl-C stops both cleanly", async () => {
    const backend = ipcEndpoint()
    const broker = await launch(["broker", "--frontend", "tcp://127.0.0.1:*", "--backend", backend], /frontend (tcp:\/\/127\.0\.0\.1:\d+)/)
    const frontend = broker.match[1]!
    const server = await launch(["serve", "--connect", backend, "--name", "t1"], /serving topic default/)
    const add = await run(["call", "add", "[1, 2, 3]", "--connect", frontend])
    expect(add).toMatchObject({ code: 0, stdout: "6\n" })
    const info = await run(["call", "info", "--connect", frontend])
    expect(JSON.parse(info.stdout)).toMatchObject({ name: "t1" })
    expect(await run(["call", "sleep", "5", "--cast", "--connect", frontend])).toMatchObject({ code: 0, stdout: "acknowledged\n" })
    expectOneLineError(await run(["call", "fail", '"on purpose"', "--connect", frontend]), 1, /remote error from fail: Error \[E_DEMO\]: on purpose/)
    expectOneLineError(await run(["call", "nope", "--connect", frontend]), 1, /ERR_RPC_NO_METHOD/)
    // The server has encoded and decoded msgpack by now, on msgpackr's pure-JS path: the optional
    // native addon msgpackr-extract (which plain \`import "msgpackr"\` loads when installed) is not
    // mapped into the process. Linux shows a process's loaded objects in /proc/PID/maps.
    if (existsSync(`/proc/${server.proc.pid}/maps`)) {
      expect(readFileSync(`/proc/${server.proc.pid}/maps`, "utf8")).not.toContain("msgpackr-extract")
    }
    interrupt(server.proc)
    interrupt(broker.proc)
    expect(await server.exited).toBe(0)
    expect(await broker.exited).toBe(0)
    // The broker removed its ipc file on the way out.
    expect(existsSync(backend.slice("ipc://".length))).toBe(false)
    expect(await portRefused(frontend)).toBe(true)
  })

  it("req and rep", async () => {
    const rep = await launch(["rep", "--bind", "tcp://127.0.0.1:*", "--count", "2"], /bound at (tcp:\/\/127\.0\.0\.1:\d+)/)
    const ep = rep.match[1]!
    expect(await run(["req", "hello", "world", "--connect", ep])).toMatchObject({ code: 0, stdout: "hello\nworld\n" })
    expect(await run(["req", "again", "--connect", ep])).toMatchObject({ code: 0, stdout: "again\n" })
    expect(await rep.exited).toBe(0)
    expect(rep.output()).toContain("hello | world")
  })
})

describe("zmtp start (npm start)", () => {
  /** Processes whose command line mentions this run's ipc path, i.e. its children. */
  function leftovers(tag: string): string {
    return execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes(tag))
      .join("\n")
  }

  it("runs broker, servers and client, prints a line a second, exits 0 and leaves nothing behind", async () => {
    const r = await run(["start", "--duration", "1.5"], 40_000)
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const first = r.stdout.match(/broker (tcp:\/\/127\.0\.0\.1:\d+) -> ipc:\/\/(\S+),/)!
    expect(first).not.toBeNull()
    expect(r.stdout).toMatch(/^\s+1s\s+calls\/s\s+\d+\s+p50\s+[\d.]+ ms\s+p99\s+[\d.]+ ms\s+errors 0$/m)
    expect(r.stdout).toMatch(/zmtp start: \d+ calls in [\d.]+ s = \d+ calls\/s, .* 0 errors; stopped 4 processes, removed /)
    const ipcPath = first[2]!
    expect(existsSync(ipcPath)).toBe(false)
    expect(leftovers(ipcPath)).toBe("")
    expect(await portRefused(first[1]!)).toBe(true)
  })

  it("stops cleanly on SIGINT to the parent", async () => {
    const s = await launch(["start", "--duration", "60"], /broker (tcp:\/\/127\.0\.0\.1:\d+) -> ipc:\/\/(\S+),[^\n]*\n(?:.*\n)*?\s+1s\s+calls\/s/)
    interrupt(s.proc)
    expect(await s.exited).toBe(0)
    expect(s.output()).toMatch(/stopped 4 processes \(interrupted\)/)
    const ipcPath = s.match[2]!
    expect(existsSync(ipcPath)).toBe(false)
    expect(leftovers(ipcPath)).toBe("")
    expect(await portRefused(s.match[1]!)).toBe(true)
  })
})
