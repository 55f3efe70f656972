import { defineConfig } from "tsup"
import type { Plugin } from "esbuild"
import { rmSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"

/**
 * `zmtp/v5-compat` is built on the package's main entry; it imports dist/index.* rather than a copy
 * of it, so that both share one context, one inproc name table and one set of classes.
 */
const mainEntry = resolve("src/index.js")
const compatOnIndex: Plugin = {
  name: "v5-compat-on-index",
  setup(build) {
    build.onResolve({ filter: /index\.js$/ }, (args) => {
      const compat = /[\\/]src[\\/](v5-compat\.ts$|compat[\\/])/.test(args.importer)
      if (!compat || resolve(dirname(args.importer), args.path) !== mainEntry) return undefined
      return { path: build.initialOptions.format === "cjs" ? "./index.cjs" : "./index.js", external: true }
    })
  },
}

export default defineConfig((cli) => ({
  entry: { index: "src/index.ts", "v5-compat": "src/v5-compat.ts", cli: "src/cli/main.ts" },
  format: ["esm", "cjs"],
  dts: { entry: { index: "src/index.ts", "v5-compat": "src/v5-compat.ts" } },
  target: "node18",
  platform: "node",
  sourcemap: true,
  clean: true,
  splitting: false,
  esbuildPlugins: [compatOnIndex],
  // One instance of the library per process, whichever way it is loaded: the ESM entry re-exports
  // the CommonJS build, so that an ES module importing "zmtp" and a CommonJS module requiring
  // "zmtp" or "zmtp/v5-compat" share the context, the inproc names and the classes (Node's dual
  // package hazard). Its names come from esbuild's export annotation in index.cjs.
  onSuccess: async () => {
    const out = cli.outDir ?? "dist"
    writeFileSync(join(out, "index.js"), 'export * from "./index.cjs"\n')
    rmSync(join(out, "index.js.map"), { force: true })
  },
}))
