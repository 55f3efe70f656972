/**
 * The browser build (issue 19 item 2): one ESM bundle with no Node built-in and no `ws`, whose
 * frames are Buffers from the bundled `buffer` package.
 */
import * as esbuild from "esbuild"
import { describe, expect, it } from "vitest"
import { browserBuildOptions } from "../../src/browser/bundle.js"

describe("browser build", () => {
  it("bundles with no Node built-in: no node: import, no require, no ws; buffer and the @noble libraries inside", async () => {
    const r = await esbuild.build(browserBuildOptions())
    const text = r.outputFiles![0]!.text
    const inputs = Object.keys(r.metafile!.inputs)
    // Nothing is left to import at run time: the output has no import statement or call and no require.
    expect(text).not.toMatch(/^import\s|^export\s[^;]*\sfrom\s/m)
    expect(text).not.toMatch(/\bfrom\s*["']node:|\bimport\(\s*["']node:|\brequire\(\s*["']/)
    expect(inputs.some((f) => /node_modules\/ws\//.test(f))).toBe(false)
    expect(inputs.some((f) => f.endsWith("src/transport/ws.ts") || f.endsWith("src/transport/inproc.ts") || f.endsWith("src/transport/listener.ts"))).toBe(false)
    expect(inputs.some((f) => /node_modules\/buffer\//.test(f))).toBe(true)
    expect(inputs.some((f) => /node_modules\/@noble\/curves\//.test(f))).toBe(true)
  })
})
