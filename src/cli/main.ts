#!/usr/bin/env node
/** The zmtp command. `start` runs a small demo until the founding pipeline lands. */
import { Dealer, Router } from "../index.js"

async function demo(): Promise<void> {
  const router = new Router()
  await router.bind("tcp://127.0.0.1:*")
  const dealer = new Dealer({ routingId: "client-1" })
  dealer.connect(router.lastEndpoint!)
  console.log(`router bound at ${router.lastEndpoint}; dealer connecting`)
  for (let i = 0; i < 3; i++) {
    await dealer.send(`hello ${i}`)
    const [id, body] = await router.receive()
    console.log(`router got ${JSON.stringify(body!.toString())} from ${id!.toString()}`)
    await router.send([id!, `world ${i}`])
    const [reply] = await dealer.receive()
    console.log(`dealer got ${JSON.stringify(reply!.toString())}`)
  }
  dealer.close()
  router.close()
}

const cmd = process.argv[2] ?? "start"
if (cmd === "start") {
  demo().catch((e) => {
    console.error(`zmtp: ${e instanceof Error ? e.message : String(e)}`)
    process.exitCode = 1
  })
} else {
  console.error(`zmtp: unknown command ${cmd}`)
  process.exitCode = 2
}
