// vitest setup file for scripts/test-runtimes.mjs: appends one JSON line per test file naming the
// runtime of the worker that ran it. A leg on Node 20.19.0 whose workers ran on another node (a PATH
// or execPath mix-up) would otherwise pass while proving nothing.
import { appendFileSync } from "node:fs"
import { expect } from "vitest"

const out = process.env.ZMTP_RUNTIME_RECORD
if (out) {
  appendFileSync(out, `${JSON.stringify({
    file: expect.getState().testPath ?? null,
    execPath: process.execPath,
    node: process.version,
    bun: process.versions.bun ?? null,
    deno: globalThis.Deno?.version?.deno ?? null,
  })}\n`)
}
