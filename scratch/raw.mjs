// Minimal raw ZMTP peer for probes.
import * as net from "node:net"
export function greeting(minor = 1, major = 3) { const g = Buffer.alloc(64); g[0] = 0xff; g[9] = 0x7f; g[10] = major; g[11] = minor; g.write("NULL", 12); return g }
export function frame(body, { more = false, command = false } = {}) { body = Buffer.from(body); const long = body.length > 255; const flags = (more ? 1 : 0) | (long ? 2 : 0) | (command ? 4 : 0); let h; if (long) { h = Buffer.alloc(9); h[0] = flags; h.writeBigUInt64BE(BigInt(body.length), 1) } else h = Buffer.from([flags, body.length]); return Buffer.concat([h, body]) }
export function command(name, data = Buffer.alloc(0)) { return frame(Buffer.concat([Buffer.from([name.length]), Buffer.from(name), Buffer.from(data)]), { command: true }) }
export function ready(props) { const parts = []; for (const [k, v] of Object.entries(props)) { const vb = Buffer.from(v); const h = Buffer.alloc(1 + k.length + 4); h[0] = k.length; h.write(k, 1); h.writeUInt32BE(vb.length, 1 + k.length); parts.push(h, vb) } return command("READY", Buffer.concat(parts)) }
export function message(frames) { return Buffer.concat(frames.map((f, i) => frame(f, { more: i < frames.length - 1 }))) }
export class Raw {
  constructor(sock) { this.sock = sock; this.buf = Buffer.alloc(0); this.closed = false; this.w = null; sock.on("data", (c) => { this.buf = Buffer.concat([this.buf, c]); this.w?.() }); sock.on("close", () => { this.closed = true; this.w?.() }); sock.on("error", () => {}) }
  static connect(ep) { const m = /^tcp:\/\/(.+):(\d+)$/.exec(ep); return new Promise((res) => { const s = net.connect(m ? { host: m[1], port: +m[2] } : { path: ep.slice(6) }, () => res(new Raw(s))) }) }
  async bytes(n, ms = 1000) { const end = Date.now() + ms; while (this.buf.length < n) { if (this.closed) throw new Error("closed"); const left = end - Date.now(); if (left <= 0) throw new Error("timeout"); await new Promise((r) => { const t = setTimeout(r, left); this.w = () => { clearTimeout(t); r() } }) } const o = this.buf.subarray(0, n); this.buf = this.buf.subarray(n); return Buffer.from(o) }
  async frame(ms) { const f = (await this.bytes(1, ms))[0]; const size = f & 2 ? Number((await this.bytes(8, ms)).readBigUInt64BE()) : (await this.bytes(1, ms))[0]; const body = await this.bytes(size, ms); return { flags: f, body } }
  async handshake(type, minor = 1) { this.sock.write(Buffer.concat([greeting(minor), ready({ "Socket-Type": type })])); const g = await this.bytes(64); const r = await this.frame(); return { minor: g[11], ready: r.body.toString("latin1") } }
  async frames(ms = 300) { const out = []; for (;;) { try { const f = await this.frame(ms); out.push(desc(f)) } catch { return out } } }
  send(b) { this.sock.write(b) }
  destroy() { this.sock.destroy() }
}
export function desc(f) { const cmd = f.flags & 4; const b = f.body; if (cmd) { const n = b[0]; return `CMD ${b.subarray(1, 1 + n).toString()} ${JSON.stringify(b.subarray(1 + n).toString("latin1"))}` } return `MSG${f.flags & 1 ? "+" : ""} ${JSON.stringify(b.toString("latin1"))}` }
export function listen() { return new Promise((res) => { const peers = []; let waiter; const srv = net.createServer((s) => { const r = new Raw(s); if (waiter) { const w = waiter; waiter = null; w(r) } else peers.push(r) }); srv.listen(0, "127.0.0.1", () => res({ ep: `tcp://127.0.0.1:${srv.address().port}`, accept: () => peers.length ? Promise.resolve(peers.shift()) : new Promise((r) => (waiter = r)), close: () => srv.close() })) }) }
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
