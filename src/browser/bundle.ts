/**
 * How the browser build is made (tsup.config.ts writes dist/browser.js with it; the browser tests
 * and bench/browser-size.mjs build it the same way). Not part of any bundle.
 *
 * One esbuild build of src/browser.ts, platform "browser", ESM, everything bundled:
 * - zmtp's Node-bound modules are swapped for their page counterparts in src/browser/ (the ws
 *   transport on the page's WebSocket, inproc over message transports, tcp/ipc refused);
 * - the Node built-ins that the shared code still names (errno numbers, randomBytes, isIP ...)
 *   resolve to the small modules in src/browser/node/, and `node:buffer` to the `buffer` package
 *   (frames stay Buffers, as in Node; browser/node/buffer.ts);
 * - Node's timer handles and `process` are injected (src/browser/globals.ts).
 * Any other Node built-in, or `ws`, reaching the build fails it.
 */
import type { BuildOptions, Plugin } from "esbuild"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

/** src/, from this file's place (tsup.config.ts passes it: a bundled config has another URL). */
const defaultSrc = (): string => resolve(dirname(fileURLToPath(import.meta.url)), "..")

/** zmtp's own modules replaced in the page, by path under src/ (without extension). */
const swapped: Record<string, string> = {
  "transport/ws": "browser/ws.ts",
  "transport/inproc": "browser/inproc.ts",
  "transport/listener": "browser/listener.ts",
  "transport/endpoint": "browser/endpoint.ts",
}

/** Node built-ins the shared code imports, and what they are in the page. */
const builtins: Record<string, string> = {
  "node:os": "browser/node/os.ts",
  "node:net": "browser/node/net.ts",
  "node:crypto": "browser/node/crypto.ts",
  "node:dns": "browser/node/dns.ts",
  "node:dns/promises": "browser/node/dns-promises.ts",
  "node:path": "browser/node/path.ts",
}

/** The esbuild plugin that maps the modules above. */
export function browserPlatform(src: string = defaultSrc()): Plugin {
  return {
    name: "zmtp-browser-platform",
    setup(build) {
      build.onResolve({ filter: /^node:buffer$/ }, () => ({ path: join(src, "browser/node/buffer.ts") }))
      // The shim's own import, and the @noble libraries' if any: the package, not Node's built-in.
      build.onResolve({ filter: /^buffer$/ }, () => ({ path: bufferPackage() }))
      build.onResolve({ filter: /^node:/ }, (args) => {
        const to = builtins[args.path]
        if (to) return { path: join(src, to) }
        return { errors: [{ text: `${args.path} has no browser counterpart (imported by ${args.importer})` }] }
      })
      // msgpackr's MIT notice travels with its code, as in the Node build (tsup.config.ts).
      build.onLoad({ filter: /[\\/]node_modules[\\/]msgpackr[\\/]dist[\\/][^\\/]+\.c?js$/ }, (args) => {
        const dir = resolve(dirname(args.path), "..")
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }
        const licence = readFileSync(join(dir, "LICENSE"), "utf8").trim().replaceAll("*/", "* /")
        const notice = `/*! msgpackr ${pkg.version} (https://github.com/kriszyp/msgpackr), bundled by zmtp\n${licence}\n*/\n`
        return { contents: notice + readFileSync(args.path, "utf8"), loader: "js" }
      })
      build.onResolve({ filter: /^ws$/ }, (args) => ({ errors: [{ text: `"ws" must not reach the browser build (imported by ${args.importer})` }] }))
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = resolve(args.resolveDir, args.path).replace(/\.js$/, "")
        const rel = target.startsWith(src + "/") ? target.slice(src.length + 1) : undefined
        const to = rel === undefined ? undefined : swapped[rel]
        // A page counterpart imports the module it wraps or shares code with as itself.
        if (!to || args.importer.startsWith(join(src, "browser") + "/")) return undefined
        return { path: join(src, to) }
      })
    },
  }
}

/** The `buffer` package's entry (the trailing "/" skips Node's built-in of that name). */
function bufferPackage(): string {
  return createRequire(import.meta.url).resolve("buffer/")
}

/** The build options of the browser bundle (`minify` for the size the README reports). */
export function browserBuildOptions(opts: { minify?: boolean; outfile?: string; src?: string } = {}): BuildOptions {
  const src = opts.src ?? defaultSrc()
  return {
    entryPoints: [join(src, "browser.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    inject: [join(src, "browser/globals.ts")],
    plugins: [browserPlatform(src)],
    minify: opts.minify ?? false,
    legalComments: "inline",
    sourcemap: opts.outfile ? true : false,
    ...(opts.outfile ? { outfile: opts.outfile, write: true } : { write: false }),
    metafile: true,
    logLevel: "silent",
  }
}
