#!/usr/bin/env node
// Sender-side cost of 16 B sends: a zmtp DEALER (from <dir>/dist/index.js, default this checkout) sends
// from one reused buffer, un-awaited with every 1,000th awaited, into a raw socket in a child
// process that completes a NULL handshake and discards everything. Prints M msgs/s for 5 rounds.
//   node bench/sendcost.mjs [dir]
import { spawn } from "node:child_process"
const dist = process.argv[2] ?? new URL("..", import.meta.url).pathname.replace(/\/$/, "")
const { Dealer } = await import(dist + "/dist/index.js")
const sinkSrc = `
const net=require("net");const g=Buffer.alloc(64);g[0]=0xff;g[9]=0x7f;g[10]=3;g.write("NULL",12);
const body=Buffer.concat([Buffer.from([5]),Buffer.from("READY"),Buffer.from([11]),Buffer.from("Socket-Type"),Buffer.from([0,0,0,6]),Buffer.from("ROUTER")]);
const s=net.createServer(c=>{c.write(g);c.write(Buffer.concat([Buffer.from([4,body.length]),body]));c.on("data",()=>{});});
s.listen(0,"127.0.0.1",()=>console.log(s.address().port));`
const sink = spawn(process.execPath, ["-e", sinkSrc])
const port = await new Promise((r) => sink.stdout.once("data", (d) => r(Number(String(d)))))
const d = new Dealer({ sendHighWaterMark: 1000, linger: 0 })
d.connect(`tcp://127.0.0.1:${port}`)
const buf = Buffer.alloc(16)
await d.send(buf)
await new Promise((r) => setTimeout(r, 200))
const results = []
for (let rep = 0; rep < 5; rep++) {
  const N = 2_000_000
  const t0 = process.hrtime.bigint(); const c0 = process.cpuUsage()
  for (let i = 0; i < N; i++) { buf.writeUInt32BE(i); const p = d.send(buf); if (p !== undefined && i % 1000 === 999) await p }
  const t1 = process.hrtime.bigint(); const c1 = process.cpuUsage(c0)
  results.push((N / (Number(t1 - t0) / 1e9) / 1e6).toFixed(2))
}
console.log(dist.split("/").pop(), "M msgs/s sender-side:", results.join(" "))
d.close(); sink.kill()
process.exit(0)
