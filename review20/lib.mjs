// Shared pieces of the review-20 probes: brokers as child processes (dist/cli.js), free ports.
import { fork } from "node:child_process"
import { createServer } from "node:net"
const CLI = new URL("../dist/cli.js", import.meta.url).pathname
export async function freePort() {
  const s = createServer(); await new Promise((r) => s.listen(0, "127.0.0.1", r))
  const p = s.address().port; await new Promise((r) => s.close(r)); return p
}
export class BrokerProc {
  constructor(fp, bp) { this.fp = fp; this.bp = bp; this.proc = undefined }
  static async make(start = true) { const b = new BrokerProc(await freePort(), await freePort()); if (start) await b.up(); return b }
  get frontend() { return `tcp://127.0.0.1:${this.fp}` }
  get backend() { return `tcp://127.0.0.1:${this.bp}` }
  async up(extra = []) {
    if (this.proc) return
    const p = fork(CLI, ["broker", "--frontend", this.frontend, "--backend", this.backend, "--quiet", ...extra], { stdio: ["ignore", "ignore", "inherit", "ipc"] })
    this.proc = p
    this.exited = new Promise((r) => p.once("exit", r))
    await new Promise((res, rej) => { const t = setTimeout(() => rej(new Error("no ready")), 10000); p.on("message", (m) => { if (m?.type === "ready") { clearTimeout(t); res() } }) })
  }
  async kill() { const p = this.proc; if (!p) return; this.proc = undefined; p.kill("SIGKILL"); await this.exited }
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
