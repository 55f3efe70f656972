/**
 * `zmtp start`: the founding pipeline with embedded defaults, each part in its own process (forked
 * from this same script with a subcommand): a broker (tcp frontend on an ephemeral port, ipc backend
 * under the temp dir), two RPC servers and a load-generating client that prints one line a second.
 * Stops after --duration seconds or on Ctrl-C, and leaves no process, port or ipc file behind.
 */
import { fork, type ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CliError } from "./errors.js"
import { int, num, parse } from "./util.js"

export const START_HELP = `Usage: zmtp start [--duration S] [--servers N] [--concurrency N]

Runs the whole pipeline on this machine: a broker, N RPC servers and a client, each in its own
process, printing calls/s and latency once a second. Stops after S seconds or on Ctrl-C, and
removes everything it started.

  --duration S       seconds to run (default 5)
  --servers N        RPC server processes (default 2)
  --concurrency N    calls the client keeps in flight (default 64)`

interface Child {
  name: string
  proc: ChildProcess
  exited: Promise<number | null>
}

function spawnChild(name: string, args: string[]): Child {
  // process.argv[1] is this very script (dist/cli.js); each part is one of its subcommands.
  const proc = fork(process.argv[1]!, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] })
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code, signal) => resolve(signal ? 128 : code)))
  // A child may close its IPC channel on its way out at any moment; a stop request racing that is moot.
  proc.on("error", () => {})
  return { name, proc, exited }
}

/** Asks a child to stop over IPC, if it still listens. */
function askStop(c: Child): void {
  if (c.proc.connected) c.proc.send({ type: "stop" }, () => {})
}

/** The first message of `type` from a child; fails if it exits first or takes longer than `ms`. */
function waitFor<T>(child: Child, type: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CliError(`${child.name} did not start within ${ms} ms`)), ms)
    const onMessage = (m: { type?: string }) => {
      if (m?.type !== type) return
      clearTimeout(timer)
      child.proc.off("message", onMessage)
      resolve(m as T)
    }
    child.proc.on("message", onMessage)
    void child.exited.then((code) => {
      clearTimeout(timer)
      reject(new CliError(`${child.name} exited (code ${code}) before it was ready`))
    })
  })
}

/** Asks a child to stop, then insists: SIGTERM after 2 s, SIGKILL after 4 s. */
async function stopChild(c: Child): Promise<number | null> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return c.exited
  askStop(c)
  const term = setTimeout(() => c.proc.kill("SIGTERM"), 2000)
  const kill = setTimeout(() => c.proc.kill("SIGKILL"), 4000)
  const code = await c.exited
  clearTimeout(term)
  clearTimeout(kill)
  return code
}

export async function start(argv: string[]): Promise<number> {
  const { values } = parse("start", argv, { duration: { type: "string" }, servers: { type: "string" }, concurrency: { type: "string" } })
  if (values.help) {
    console.log(START_HELP)
    return 0
  }
  const duration = num("start", "duration", values.duration as string | undefined, 5)
  const serverCount = int("start", "servers", values.servers as string | undefined, 2, 1)
  const concurrency = int("start", "concurrency", values.concurrency as string | undefined, 64, 1)
  const ipcPath = join(tmpdir(), `zmtp-start-${process.pid}-${randomBytes(3).toString("hex")}.sock`)
  const backend = `ipc://${ipcPath}`
  const children: Child[] = []
  let interrupted = false
  let client: Child | undefined
  // Ctrl-C: the terminal signals the children too, and each stops itself; a SIGINT sent to this
  // process alone is passed on as a stop request. Either way the shutdown below runs.
  const onSigint = () => {
    interrupted = true
    if (client?.proc.connected) askStop(client)
    else void Promise.all(children.map(stopChild))
  }
  process.on("SIGINT", onSigint)
  process.on("SIGTERM", onSigint)
  let summary: { calls: number; errors: number; callsPerSecond: number; p50: number; p99: number; seconds: number } | undefined
  try {
    const broker = spawnChild("broker", ["broker", "--frontend", "tcp://127.0.0.1:*", "--backend", backend, "--quiet"])
    children.push(broker)
    const ready = await waitFor<{ frontend: string }>(broker, "ready", 10_000)
    for (let i = 1; i <= serverCount && !interrupted; i++) {
      const s = spawnChild(`server-${i}`, ["serve", "--connect", backend, "--name", `server-${i}`, "--quiet"])
      children.push(s)
      await waitFor(s, "ready", 10_000)
    }
    if (!interrupted) {
      console.log(
        `zmtp start: broker ${ready.frontend} -> ${backend}, ${serverCount} server${serverCount > 1 ? "s" : ""}, ` +
          `1 client with ${concurrency} calls in flight, for ${duration} s (Ctrl-C to stop)`,
      )
      client = spawnChild("client", ["load", "--connect", ready.frontend, "--duration", String(duration), "--concurrency", String(concurrency)])
      children.push(client)
      const done = waitFor<{ summary: typeof summary }>(client, "done", (duration + 30) * 1000)
      summary = (await done).summary
    }
  } finally {
    // Stop in reverse order: client, servers, broker.
    const codes: (number | null)[] = []
    for (const c of [...children].reverse()) codes.push(await stopChild(c))
    rmSync(ipcPath, { force: true })
    process.off("SIGINT", onSigint)
    process.off("SIGTERM", onSigint)
    if (summary) {
      console.log(
        `zmtp start: ${summary.calls} calls in ${summary.seconds} s = ${summary.callsPerSecond} calls/s, ` +
          `p50 ${summary.p50} ms, p99 ${summary.p99} ms, ${summary.errors} errors; ` +
          `stopped ${children.length} processes${interrupted ? " (interrupted)" : ""}, removed ${ipcPath}`,
      )
    }
    if (codes.some((c) => c !== 0 && c !== null) && !interrupted) process.exitCode = 1
  }
  return summary && summary.errors === 0 ? 0 : 1
}
