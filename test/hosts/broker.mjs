// A broker host of test/hosts: what `zmtp broker --frontend F --backend B` runs (Broker.start with
// those two endpoints and every other option left to the library's defaults), plus a "stats" command
// so that the test can see which broker carried calls. Usage: node broker.mjs DIST FRONTEND BACKEND
import { commands, tell } from "./lines.mjs"

const [dist, frontend, backend] = process.argv.slice(2)
const { Broker } = await import(`${dist}/index.js`)
const broker = await Broker.start({ frontend, backend })
tell({ type: "ready", frontend: broker.frontend, backends: broker.backends })
commands(async (cmd) => {
  if (cmd === "stats") tell({ type: "stats", ...broker.statistics })
  else if (cmd === "exit") {
    await broker.close()
    process.exit(0)
  }
})
