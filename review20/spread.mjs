// Do a client's requests spread over the brokers that are up? Two healthy brokers, one server on both.
import { Broker, RpcClient, RpcServer } from "../dist/index.js"
const b1 = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" })
const b2 = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" })
const s = new RpcServer({ echo: (x) => x }); s.connect([b1.backends.default, b2.backends.default])
const client = new RpcClient([b1.frontend, b2.frontend], { timeout: 2000 })
const rounds = []
for (let r = 0; r < 4; r++) {
  const a = b1.statistics.requests, b = b2.statistics.requests
  await Promise.all(Array.from({ length: 20 }, (_, i) => client.call("echo", i)))
  rounds.push([b1.statistics.requests - a, b2.statistics.requests - b])
}
console.log(JSON.stringify({ "20 concurrent calls per round, [b1, b2]": rounds, sockets: client.sockets }))
client.close(); await s.close(); await b1.close(); await b2.close()
