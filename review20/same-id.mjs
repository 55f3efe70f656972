// Identical call ids at once (a raw DEALER sends one request body 20 times), 2 servers, one broker.
import { Broker, Dealer, MemoryOutcomeStore, RpcServer } from "../dist/index.js"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
for (const shared of [false, true]) {
  const b = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" })
  const store = shared ? new MemoryOutcomeStore() : undefined
  let runs = 0
  const servers = [0, 1].map(() => { const s = new RpcServer({ w: async () => { runs++; await sleep(50); return runs } }, { store, concurrency: 8 }); s.connect(b.backends.default); return s })
  const d = new Dealer({ linger: 0 }); d.connect(b.frontend); await sleep(300)
  const body = Buffer.from([0x95, 1, 0, 0xa2, 0x69, 0x64, 0xa1, 0x77, 0xc0]) // [1, 0, "id", "w", nil]
  for (let i = 0; i < 20; i++) await d.send([Buffer.alloc(0), Buffer.from("default"), body])
  const replies = new Set(); for (let i = 0; i < 20; i++) { const [, r] = await d.receive(); replies.add(r.toString("hex")) }
  console.log(JSON.stringify({ shared, runs, distinctReplies: replies.size }))
  d.close(); for (const s of servers) await s.close(); await b.close()
}
