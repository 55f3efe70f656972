// Shared by the host processes of test/hosts: one JSON object per stdout line out, one command
// per stdin line in (the test drives each process through its pipes, never over the network).
import { createInterface } from "node:readline"

/** Writes one JSON line on stdout. */
export function tell(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`)
}

/** Calls `onCommand(line)` for each stdin line; stdin's end counts as "exit". */
export function commands(onCommand) {
  const rl = createInterface({ input: process.stdin })
  rl.on("line", (line) => void Promise.resolve(onCommand(line.trim())).catch((e) => tell({ type: "error", message: String(e?.stack ?? e) })))
  rl.on("close", () => void Promise.resolve(onCommand("exit")).catch(() => process.exit(1)))
}
