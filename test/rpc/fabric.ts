/**
 * Pieces of the several-broker tests (issue 20): brokers as child processes (`node dist/cli.js
 * broker` built by {@link buildCli}, killed with SIGKILL as an operator's crash would be), tcp on loopback with ephemeral
 * ports, and a TCP relay that can stop forwarding without closing anything (a partition).
 */
import { fork, type ChildProcess } from "node:child_process"
import { build } from "esbuild"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, connect, type Server, type Socket } from "node:net"
import { join } from "node:path"
import { freeTcpPort } from "../helpers.js"

const ROOT = new URL("../..", import.meta.url).pathname
let CLI = ""
let built = ""

/**
 * Bundles the CLI from src/ with esbuild into a directory of this test file's own, so that the test
 * neither depends on nor races with `dist/`, which other test files rebuild (and tsup cleans) while
 * this one runs; esbuild alone, not tsup, to keep the build to a fraction of a second on a shared
 * machine. Returns the path of cli.js.
 */
export async function buildCli(): Promise<string> {
  // Inside the project, so that the bundle's external dependencies resolve from its node_modules.
  built = mkdtempSync(join(ROOT, ".fabric-build-"))
  CLI = join(built, "cli.js")
  await build({
    entryPoints: [join(ROOT, "src/cli/main.ts")],
    outfile: CLI,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node18",
    packages: "external",
    logLevel: "silent",
  })
  return CLI
}

/** Removes what {@link buildCli} made. */
export function removeCli(): void {
  if (built) rmSync(built, { recursive: true, force: true })
  built = ""
}

/** A broker child process on fixed loopback ports, so that it can be started again on the same ones. */
export class BrokerProcess {
  private proc: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()

  private constructor(
    readonly frontendPort: number,
    readonly backendPort: number,
  ) {}

  static async start(): Promise<BrokerProcess> {
    const b = new BrokerProcess(await freeTcpPort(), await freeTcpPort())
    await b.up()
    return b
  }

  get frontend(): string {
    return `tcp://127.0.0.1:${this.frontendPort}`
  }

  get backend(): string {
    return `tcp://127.0.0.1:${this.backendPort}`
  }

  get running(): boolean {
    return this.proc !== undefined
  }

  /** Starts the broker process (again) and waits until it has bound both ports. */
  async up(): Promise<void> {
    if (this.proc) return
    const proc = fork(CLI, ["broker", "--frontend", this.frontend, "--backend", this.backend, "--quiet"], { stdio: ["ignore", "ignore", "inherit", "ipc"] })
    this.proc = proc
    this.exited = new Promise((r) => proc.once("exit", () => r()))
    proc.on("error", () => {})
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("broker did not start within 10 s")), 10_000)
      proc.on("message", (m: { type?: string }) => {
        if (m?.type !== "ready") return
        clearTimeout(timer)
        resolve()
      })
      void this.exited.then(() => {
        clearTimeout(timer)
        reject(new Error("broker exited before it was ready"))
      })
    })
  }

  /** SIGKILL: the process dies at once, its kernel sockets are closed (the peers see the connection go). */
  async kill(): Promise<void> {
    const p = this.proc
    if (!p) return
    this.proc = undefined
    p.kill("SIGKILL")
    await this.exited
  }
}

/**
 * A TCP relay in front of `target`: forwards both ways until {@link partition}, which stops
 * forwarding in both directions without closing anything (no FIN, no RST: the bytes wait in the
 * kernel as on a cut link), also for connections accepted meanwhile; {@link heal} resumes.
 */
export class Relay {
  private partitioned = false
  private readonly pairs = new Set<[Socket, Socket]>()
  private readonly held: Socket[] = []
  private readonly pending: (() => void)[] = []

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<Relay> {
    const server = createServer({ pauseOnConnect: true })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const relay = new Relay(server, (server.address() as { port: number }).port, targetPort)
    server.on("connection", (s) => relay.accept(s))
    return relay
  }

  get endpoint(): string {
    return `tcp://127.0.0.1:${this.port}`
  }

  private accept(down: Socket): void {
    down.on("error", () => {})
    if (this.partitioned) {
      this.held.push(down)
      return
    }
    const up = connect(this.targetPort, "127.0.0.1")
    up.on("error", () => {})
    const pair: [Socket, Socket] = [down, up]
    this.pairs.add(pair)
    // By hand rather than pipe(): during a partition nothing passes, not even an end or a close,
    // and what came meanwhile passes in order on heal (a cut link, then the link back).
    const later = (fn: () => void) => (this.partitioned ? this.pending.push(fn) : fn())
    const forward = (from: Socket, to: Socket) => {
      from.on("data", (chunk: Buffer) => later(() => void to.write(chunk)))
      from.on("end", () => later(() => void to.end()))
      from.on("close", () =>
        later(() => {
          this.pairs.delete(pair)
          to.destroy()
        }),
      )
    }
    forward(down, up)
    forward(up, down)
    down.resume()
  }

  /** Stops forwarding both ways, for every connection, without closing any. */
  partition(): void {
    this.partitioned = true
  }

  heal(): void {
    this.partitioned = false
    for (const fn of this.pending.splice(0)) fn()
    for (const s of this.held.splice(0)) this.accept(s)
  }

  async close(): Promise<void> {
    this.pending.length = 0
    for (const [d, u] of this.pairs) {
      d.destroy()
      u.destroy()
    }
    for (const s of this.held.splice(0)) s.destroy()
    await new Promise<void>((r) => this.server.close(() => r()))
  }
}
