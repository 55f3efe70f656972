// A TCP relay that can stop forwarding without closing anything (a cut link), counting bytes.
import { createServer, connect } from "node:net"
export class Relay {
  static async start(targetPort) {
    const r = new Relay(); r.targetPort = targetPort; r.cut = false; r.pending = []; r.held = []; r.socks = new Set(); r.bytes = 0
    r.server = createServer({ pauseOnConnect: true }, (s) => r.accept(s))
    await new Promise((ok) => r.server.listen(0, "127.0.0.1", ok)); r.port = r.server.address().port; return r
  }
  get endpoint() { return `tcp://127.0.0.1:${this.port}` }
  accept(down) {
    down.on("error", () => {}); if (this.cut) { this.held.push(down); return }
    const up = connect(this.targetPort, "127.0.0.1"); up.on("error", () => {}); this.socks.add(down); this.socks.add(up)
    const later = (fn) => (this.cut ? this.pending.push(fn) : fn())
    const fwd = (a, b) => { a.on("data", (c) => later(() => { this.bytes += c.length; b.write(c) })); a.on("end", () => later(() => b.end())); a.on("close", () => later(() => b.destroy())) }
    fwd(down, up); fwd(up, down); down.resume()
  }
  partition() { this.cut = true }
  heal() { this.cut = false; for (const f of this.pending.splice(0)) f(); for (const s of this.held.splice(0)) this.accept(s) }
  async close() { this.pending.length = 0; for (const s of this.socks) s.destroy(); for (const s of this.held) s.destroy(); await new Promise((r) => this.server.close(r)) }
}
