/**
 * Hosts for test/hosts: Linux network namespaces joined by veth pairs to one bridge, which lives in
 * a "switch" namespace of its own. Nothing is created in the namespace the test runs in: each veth
 * is made inside its host's namespace with its peer sent straight to the switch, the addresses
 * (198.51.100.0/24, RFC 5737's TEST-NET-2) exist only on those veths, and there is no route out,
 * so the traffic between hosts never leaves the namespaces.
 *
 * A partition is the host's switch port set down (the cable pulled at the switch): its TCP
 * connections stay open on both sides, with nothing getting through, until the link is set up again.
 *
 * Names are `zmtph-<pid>-<host>` (the test process's pid): a run removes its own in afterAll, and
 * removes those of an earlier run whose process is gone (a crashed or killed run), never others.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process"

const PREFIX = "zmtph"

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] })
}

/** Why namespaces cannot be used here, or undefined if they can (it makes and removes one to know). */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== "linux") return `network namespaces are Linux only (this is ${process.platform})`
  if (process.versions.bun || (process.versions as { deno?: string }).deno) return "the hosts test runs its hosts under Node only"
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "creating network namespaces needs root (run it as .ci/run does)"
  const probe = `${PREFIX}-${process.pid}-probe`
  const r = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" })
  if (r.error) return `no ip command (iproute2): ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`
  if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim() || `exit ${r.status}`}`
  spawnSync("ip", ["netns", "del", probe])
  return undefined
}

/** The namespaces on this machine (`ip netns list`, names only). */
export function namespaces(): string[] {
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" })
  if (r.status !== 0) return []
  return r.stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0]!)
    .filter((n) => n.length > 0)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Kills (SIGKILL, by pid) whatever runs in a namespace, then removes it. */
function removeNamespace(ns: string): void {
  const r = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" })
  for (const p of (r.stdout ?? "").split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(p), "SIGKILL")
    } catch {
      // already gone
    }
  }
  spawnSync("ip", ["netns", "del", ns])
}

/** Removes the namespaces an earlier run of this test left behind (its process no longer exists). */
export function removeStale(): string[] {
  const removed: string[] = []
  for (const ns of namespaces()) {
    const m = new RegExp(`^${PREFIX}-(\\d+)-`).exec(ns)
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue
    removeNamespace(ns)
    removed.push(ns)
  }
  return removed
}

/** A process started in a host namespace, driven through its stdin and read on its stdout (JSON lines). */
export class HostProcess {
  readonly lines: Record<string, unknown>[] = []
  private stderr = ""
  private listeners: (() => void)[] = []
  readonly exited: Promise<number | null>

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    let buf = ""
    proc.stdout!.setEncoding("utf8")
    proc.stdout!.on("data", (d: string) => {
      buf += d
      let i
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        // A JSON object is a message of our host scripts; anything else (zmtp's own output, which
        // may be JSON too, like the `42` of `zmtp call`) is text.
        let obj: Record<string, unknown> = { type: "text", text: line }
        try {
          const v: unknown = JSON.parse(line)
          if (v !== null && typeof v === "object" && !Array.isArray(v) && typeof (v as { type?: unknown }).type === "string") obj = v as Record<string, unknown>
        } catch {
          // text
        }
        this.lines.push(obj)
        for (const l of this.listeners.slice()) l()
      }
    })
    proc.stderr!.setEncoding("utf8")
    proc.stderr!.on("data", (d: string) => (this.stderr = (this.stderr + d).slice(-4000)))
    proc.stdin!.on("error", () => {})
    // "close", not "exit": by then its stdout has been read to the end.
    this.exited = new Promise((r) => proc.on("close", (code) => {
      r(code)
      for (const l of this.listeners.slice()) l()
    }))
  }

  /** The last 4000 characters of its stderr. */
  get errors(): string {
    return this.stderr
  }

  /** Its stdout lines that were not JSON. */
  get text(): string[] {
    return this.lines.filter((l) => l.type === "text").map((l) => l.text as string)
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null
  }

  /** Resolves with the first line from index `from` on that `pred` accepts. */
  waitFor(pred: (l: Record<string, unknown>) => boolean, ms: number, what: string, from = 0): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.lines.length; i++) {
          if (pred(this.lines[i]!)) {
            done()
            resolve(this.lines[i]!)
            return
          }
        }
        if (!this.running) {
          done()
          reject(new Error(`${this.name} exited (${this.proc.exitCode ?? this.proc.signalCode}) before ${what}; stderr: ${this.stderr}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`${this.name}: no ${what} within ${ms} ms; stderr: ${this.stderr}`))
      }, ms)
      const done = () => {
        clearTimeout(timer)
        this.listeners = this.listeners.filter((l) => l !== check)
      }
      this.listeners.push(check)
      check()
    })
  }

  /** Sends a command and resolves with the next line of type `type` after it. */
  ask(cmd: string, type: string, ms = 10_000): Promise<Record<string, unknown>> {
    const from = this.lines.length
    this.proc.stdin!.write(`${cmd}\n`)
    return this.waitFor((l) => l.type === type, ms, `"${type}" after "${cmd}"`, from)
  }

  /** SIGKILL, and resolves once it has exited. */
  async kill(): Promise<void> {
    if (this.running) this.proc.kill("SIGKILL")
    await this.exited
  }
}

/** The namespaces of one run: a switch and the hosts plugged into it. */
export class Hosts {
  readonly switchNs: string
  private readonly made: string[] = []
  private readonly procs: HostProcess[] = []
  private readonly onExit = () => this.destroySync()

  constructor() {
    this.switchNs = this.ns("sw")
    process.on("exit", this.onExit)
  }

  /** The namespace name of a host. */
  ns(host: string): string {
    return `${PREFIX}-${process.pid}-${host}`
  }

  /** Creates the switch: a bridge (no STP, so a port forwards as soon as it is up). */
  createSwitch(): void {
    ip("netns", "add", this.switchNs)
    this.made.push(this.switchNs)
    ip("-n", this.switchNs, "link", "add", "br0", "type", "bridge")
    ip("-n", this.switchNs, "link", "set", "dev", "br0", "up")
  }

  /** Creates a host with `address` (/24) on its eth0, whose peer is the switch port `p-<host>`. */
  addHost(host: string, address: string): void {
    const ns = this.ns(host)
    ip("netns", "add", ns)
    this.made.push(ns)
    ip("-n", ns, "link", "set", "dev", "lo", "up")
    ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", `p-${host}`, "netns", this.switchNs)
    ip("-n", this.switchNs, "link", "set", "dev", `p-${host}`, "master", "br0", "up")
    ip("-n", ns, "addr", "add", `${address}/24`, "dev", "eth0")
    ip("-n", ns, "link", "set", "dev", "eth0", "up")
  }

  /** Pulls the host's cable at the switch. */
  partition(host: string): void {
    ip("-n", this.switchNs, "link", "set", "dev", `p-${host}`, "down")
  }

  /** Plugs it back. */
  heal(host: string): void {
    ip("-n", this.switchNs, "link", "set", "dev", `p-${host}`, "up")
  }

  /** Runs `command args` in the host's namespace (`ip netns exec` execs it, so the pid is the command's). */
  exec(host: string, name: string, command: string, args: string[]): HostProcess {
    const proc = spawn("ip", ["netns", "exec", this.ns(host), command, ...args], { stdio: ["pipe", "pipe", "pipe"] })
    const p = new HostProcess(name, proc)
    this.procs.push(p)
    return p
  }

  /** Kills every process this run started, and anything else left in its namespaces. */
  async killAll(): Promise<void> {
    await Promise.all(this.procs.splice(0).map((p) => p.kill()))
  }

  /** Everything removed: processes, then namespaces (their veths go with them). */
  async destroy(): Promise<void> {
    await this.killAll()
    this.destroySync()
  }

  private destroySync(): void {
    for (const p of this.procs.splice(0)) if (p.running) p.proc.kill("SIGKILL")
    for (const ns of this.made.splice(0).reverse()) removeNamespace(ns)
    process.off("exit", this.onExit)
  }
}
