// Smoke test of the benchmark harness: `node bench/run.mjs --quick` must produce a number for every
// metric of every workload for zmtp, zeromq.js and raw (raw sits out curve by design).
// It asserts that numbers exist, never what they are: timings on a shared CI machine mean nothing
// and must not fail a build.
//
// The harness forks plain `node` processes, which cannot load src/*.ts (no TypeScript loader is
// installed, and vitest's transform does not reach child processes). `dist/` may be missing (a fresh
// clone) or stale, and rebuilding it here would race other users of it (the project's tsup config
// cleans dist/ first). So the test bundles src/index.ts with the project's own tsup, config file
// off, into a private directory under node_modules/.cache (inside the project so that the bundle's
// external imports such as msgpackr still resolve), points the harness at it with --zmtp-module,
// and deletes it afterwards.
import { execFile } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { promisify } from "node:util"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const run = promisify(execFile)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

interface CaseResult {
  id: string
  workload: string
  name: string
  metrics: { key: string; label: string }[]
  results: Record<string, { runs: Record<string, number>[]; errors: string[]; skipped?: string }>
}

describe("bench/run.mjs --quick", () => {
  let buildDir: string
  let outDir: string

  beforeAll(async () => {
    buildDir = path.join(root, "node_modules", ".cache", `zmtp-bench-smoke-${process.pid}`)
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "zmtp-bench-smoke-"))
    const tsup = path.join(root, "node_modules", ".bin", "tsup")
    await run(tsup, ["src/index.ts", "--no-config", "--format", "esm", "--platform", "node", "--target", "node18", "--out-dir", buildDir, "--silent"], {
      cwd: root,
      timeout: 60_000,
    })
  }, 90_000)

  afterAll(() => {
    if (buildDir) fs.rmSync(buildDir, { recursive: true, force: true })
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true })
  })

  it("reports a number for every metric, workload and implementation", async () => {
    const json = path.join(outDir, "out.json")
    const md = path.join(outDir, "out.md")
    // The harness kills its workers on SIGTERM, so the timeout leaves nothing behind.
    await run(
      process.execPath,
      ["bench/run.mjs", "--quick", "--impl", "zmtp,zeromq,raw", "--zmtp-module", path.join(buildDir, "index.js"), "--json", json, "--md", md],
      { cwd: root, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    )
    const report = JSON.parse(fs.readFileSync(json, "utf8")) as { cases: CaseResult[] }

    const workloads = new Set(report.cases.map((c) => c.workload))
    expect([...workloads].sort()).toEqual(["broker", "curve", "latency", "pubsub", "pushpull", "rss", "throughput"])
    // tcp and ipc × 16 B, 1 KiB, 64 KiB; CURVE over tcp at the same sizes; latency at 16 B and 1 KiB.
    expect(report.cases.filter((c) => c.workload === "throughput")).toHaveLength(6)
    expect(report.cases.filter((c) => c.workload === "curve")).toHaveLength(3)
    expect(report.cases.filter((c) => c.workload === "latency")).toHaveLength(2)
    // PUB -> 2 SUB at 16 B and 1 KiB, all and 1 in 10 matching, and the paused-subscriber memory case.
    expect(report.cases.filter((c) => c.workload === "pubsub")).toHaveLength(5)
    // PUSH -> PULL over tcp and ipc at 16 B, 1 KiB, 64 KiB, then fan-out and fan-in at 16 B.
    expect(report.cases.filter((c) => c.workload === "pushpull")).toHaveLength(8)

    for (const c of report.cases) {
      for (const impl of ["zmtp", "zeromq", "raw"]) {
        const r = c.results[impl]
        expect(r, `${c.id} ${impl}`).toBeDefined()
        if (impl === "raw" && c.workload === "curve") {
          // By design: curve compares the libraries' CURVE mechanisms (RFC 26); raw has none.
          // zmtp and zeromq.js must still report numbers.
          expect(r!.skipped).toMatch(/raw omitted/)
          continue
        }
        expect(r!.errors, `${c.id} ${impl}`).toEqual([])
        expect(r!.skipped, `${c.id} ${impl}`).toBeUndefined()
        expect(r!.runs, `${c.id} ${impl}`).toHaveLength(1)
        for (const m of c.metrics) {
          const v = r!.runs[0]![m.key]
          expect(Number.isFinite(v) && v! > 0, `${c.id} ${impl} ${m.key} = ${v}`).toBe(true)
        }
      }
    }
    // The markdown summary names every implementation and both ratio columns.
    const text = fs.readFileSync(md, "utf8")
    expect(text).toContain("| case | metric | zmtp | zeromq.js | raw | zmtp/zeromq.js | zmtp/raw |")
  }, 300_000)
})
