// A server host of test/hosts: one RpcServer connected to every broker's tcp backend (connect()
// once per broker, the agreed API), serving `work(n)`. It counts how many times its handler ran for
// each call id, so the test can check that no call ran twice on one server.
// Usage: node server.mjs DIST NAME BACKEND [BACKEND ...]
import { commands, tell } from "./lines.mjs"

const [dist, name, ...backends] = process.argv.slice(2)
const { RpcServer } = await import(`${dist}/index.js`)
/** call id -> [the client's call number, handler runs]. */
const runs = new Map()
const server = new RpcServer(
  {
    work: async (n, ctx) => {
      const r = runs.get(ctx.id)
      if (r) r[1]++
      else runs.set(ctx.id, [n, 1])
      // A few ms of work, so that calls are in flight (at a broker or a server) when one is killed.
      await new Promise((resolve) => setTimeout(resolve, 5))
      return { n, server: name }
    },
  },
  { concurrency: 8 },
)
for (const ep of backends) server.connect(ep)
tell({ type: "ready", name })
commands(async (cmd) => {
  if (cmd === "report") tell({ type: "report", name, runs: [...runs].map(([id, [n, count]]) => [id, n, count]), stats: server.stats })
  else if (cmd === "exit") {
    await server.close()
    process.exit(0)
  }
})
