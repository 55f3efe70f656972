/**
 * examples/v5/rrbroker.cjs, an old-style zeromq.js v5 program, run as a child process exactly as
 * written: its one `require('zmtp/v5-compat')` resolved to zmtp's source, and, for comparison, to
 * zeromq.js's `zeromq/v5-compat`. Both runs must print the same replies and exit by themselves.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { afterAll, describe, expect, it } from "vitest"
import { freeTcpPort } from "../helpers.js"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const example = join(root, "examples/v5/rrbroker.cjs")
// Under the worktree (scratch/.out-* is ignored), so that the bundles resolve node_modules.
const out = mkdtempSync(join(root, "scratch/.out-v5-example-"))
afterAll(() => rmSync(out, { recursive: true, force: true }))

/** The example with its require resolved to `target` (a file to bundle, or a package left external). */
async function bundle(name: string, target: { file: string } | { external: string }): Promise<string> {
  const outfile = join(out, `${name}.cjs`)
  await build({
    entryPoints: [example],
    bundle: true,
    platform: "node",
    format: "cjs",
    packages: "external",
    outfile,
    logLevel: "silent",
    plugins: [
      {
        name: "v5-import",
        setup(b) {
          b.onResolve({ filter: /^zmtp\/v5-compat$/ }, () => ("file" in target ? { path: target.file } : { path: target.external, external: true }))
        },
      },
    ],
  })
  return outfile
}

function run(file: string, ports: number[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...ports.map(String)], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? null) : 0 })
    })
  })
}

describe("examples/v5/rrbroker.cjs", () => {
  it("names its library only in its one require line", () => {
    const code = readFileSync(example, "utf8")
      .split("\n")
      .filter((l) => !l.trimStart().startsWith("//"))
      .join("\n")
    expect(code.match(/zmtp|zeromq|v5-compat/g)).toEqual(["zmtp", "v5-compat"])
    expect(code.match(/require\([^)]*\)/g)).toEqual(["require('zmtp/v5-compat')"])
  })

  it("runs unchanged on zmtp/v5-compat, printing what it prints on zeromq/v5-compat, and exits", async () => {
    const [ours, theirs] = await Promise.all([bundle("zmtp", { file: join(root, "src/v5-compat.ts") }), bundle("zeromq", { external: "zeromq/v5-compat" })])
    const expected = [0, 1, 2, 3, 4].map((i) => `Received reply ${i}: World (Hello ${i}, from worker-1)`).concat("Done").join("\n") + "\n"
    const a = await run(ours, [await freeTcpPort(), await freeTcpPort()])
    expect(a).toEqual({ stdout: expected, stderr: "", code: 0 })
    const b = await run(theirs, [await freeTcpPort(), await freeTcpPort()])
    expect(b).toEqual({ stdout: expected, stderr: "", code: 0 })
  })
})
