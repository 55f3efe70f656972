import { defineConfig } from "tsup"
import { build as esbuild, type Plugin } from "esbuild"
import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { browserBuildOptions } from "./src/browser/bundle.js"

/**
 * `zmtp/v5-compat` is built on the package's main entry; it imports dist/index.* rather than a copy
 * of it, so that both share one context, one inproc name table and one set of classes. Only its
 * CommonJS build is kept: dist/v5-compat.js becomes a re-export of it (onSuccess, below).
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

/**
 * msgpackr is bundled into dist/ (it is a devDependency), so that a consumer's install never sees
 * its optionalDependency msgpackr-extract: a node-gyp install script and prebuilt .node files
 * (issue 18). Only its pure-JavaScript build `msgpackr/index-no-eval` may come in: plain "msgpackr"
 * would try to load the addon at run time, so resolving it (or the addon) fails the build. The
 * bundled file carries msgpackr's MIT notice, read from its package, as a legal comment kept in
 * place (`legalComments: "inline"`), so the notice travels with the code it covers.
 */
const msgpackrPure: Plugin = {
  name: "msgpackr-pure",
  setup(build) {
    build.onResolve({ filter: /^msgpackr(-extract)?$|^@msgpackr-extract\// }, (args) => ({
      errors: [{ text: `"${args.path}" may load a native addon: import "msgpackr/index-no-eval" (${args.importer})` }],
    }))
    build.onLoad({ filter: /[\\/]node_modules[\\/]msgpackr[\\/]dist[\\/][^\\/]+\.c?js$/ }, (args) => {
      const msgpackrDir = resolve(dirname(args.path), "..")
      const pkg = JSON.parse(readFileSync(join(msgpackrDir, "package.json"), "utf8")) as { version: string }
      const licence = readFileSync(join(msgpackrDir, "LICENSE"), "utf8").trim().replaceAll("*/", "* /")
      const notice = `/*! msgpackr ${pkg.version} (https://github.com/kriszyp/msgpackr), bundled by zmtp\n${licence}\n*/\n`
      return { contents: notice + readFileSync(args.path, "utf8"), loader: "js" }
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
  noExternal: [/^msgpackr\//],
  esbuildPlugins: [compatOnIndex, msgpackrPure],
  esbuildOptions(options) {
    options.legalComments = "inline"
  },
  // One instance of the library per process, whichever way it is loaded: each ESM entry re-exports
  // its CommonJS build, so that an ES module importing "zmtp" or "zmtp/v5-compat" and a CommonJS
  // module requiring them share the context, the inproc names and the classes (Node's dual
  // package hazard), and `instanceof` holds across them. The names come from esbuild's export
  // annotation in each .cjs file.
  onSuccess: async () => {
    const out = cli.outDir ?? "dist"
    for (const entry of ["index", "v5-compat"]) {
      writeFileSync(join(out, `${entry}.js`), `export * from "./${entry}.cjs"\n`)
      rmSync(join(out, `${entry}.js.map`), { force: true })
    }
    // The bin is dist/cli.js (ESM); a CommonJS copy of the CLI would only add to the package.
    rmSync(join(out, "cli.cjs"), { force: true })
    rmSync(join(out, "cli.cjs.map"), { force: true })
    // `zmtp/browser` and the "browser" condition: one ESM bundle for pages (src/browser/bundle.ts).
    await esbuild(browserBuildOptions({ outfile: join(out, "browser.js"), src: resolve("src") }))
  },
}))
