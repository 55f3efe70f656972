// In-process: how fast a Push sends 16 B messages to 1 vs 3 Pulls (the bench's fan-out looked slow).
import * as zmtp from "../dist/index.js"
for (const n of [1, 3, 1, 3]) {
  const push = new zmtp.Push({ linger: 0 }); await push.bind("tcp://127.0.0.1:*")
  const pulls = Array.from({ length: n }, () => { const p = new zmtp.Pull({ linger: 0 }); p.connect(push.lastEndpoint); return p })
  let hs = 0; push.events.on("handshake", () => hs++)
  while (hs < n) await new Promise((r) => setTimeout(r, 5))
  let got = 0
  const readers = pulls.map(async (p) => { try { for await (const _ of p) got++ } catch {} })
  const body = Buffer.alloc(16), t0 = performance.now(); let sent = 0
  while (performance.now() - t0 < 1000) { for (let i = 0; i < 256; i++) await push.send(body); sent += 256 }
  while (got < sent) await new Promise((r) => setTimeout(r, 5))
  const dt = (performance.now() - t0) / 1000
  console.log(`push -> ${n} pulls: ${(sent / dt / 1000).toFixed(0)}k msg/s end to end`)
  push.close(); for (const p of pulls) p.close(); await Promise.all(readers)
}
