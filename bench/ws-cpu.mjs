#!/usr/bin/env node
/**
 * CPU time per message through PUSH -> PULL in one process, ws:// by default (the ws/tcp comparison
 * of bench/RESULTS.md, less sensitive to a loaded machine than bench/ws.mjs's messages per second).
 *
 *   npx tsup && node bench/ws-cpu.mjs [dist dir, relative to bench/] [N] [size] [bind endpoint]
 *   node bench/ws-cpu.mjs ../dist 100000 16 "tcp://127.0.0.1:*"
 */
const dir = process.argv[2] ?? "../dist"
const z = await import(`${dir}/index.js`)
const N = Number(process.argv[3] ?? 100000)
const SIZE = Number(process.argv[4] ?? 16)
const EP = process.argv[5] ?? "ws://127.0.0.1:*/p"
const pull = new z.Pull()
await pull.bind(EP)
const push = new z.Push()
push.connect(pull.lastEndpoint)
const msg = Buffer.alloc(SIZE, 7)
await push.send(msg)
await pull.receive()
let got = 0
const done = (async () => {
  for await (const _ of pull) if (++got >= N) break
})()
const c0 = process.cpuUsage()
const t0 = performance.now()
for (let i = 0; i < N; i++) {
  await push.send(msg)
  // As bench/ws.mjs: the sender yields to the event loop every 256 sends.
  if ((i & 255) === 255) await new Promise((r) => setImmediate(r))
}
await done
const c = process.cpuUsage(c0)
const t = performance.now() - t0
console.log(JSON.stringify({ endpoint: EP.split(":")[0], size: SIZE, messages: N, cpuMicrosPerMsg: +((c.user + c.system) / N).toFixed(2), msgsPerS: Math.round((N / t) * 1000) }))
push.close()
pull.close()
process.exit(0)
