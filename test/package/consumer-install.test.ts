/**
 * The package as a user gets it (issue 18 item 1): build it, `npm pack` it, install the tarball into
 * a fresh project (no --omit, no --ignore-scripts), then check what landed on disk and use it as an
 * application would: ESM and CommonJS programs, TypeScript under `strict` with each module
 * resolution a consumer may pick, and the `zmtp` command through npx.
 *
 * Needs the npm registry (for zmtp's dependencies). Everything lives in one temporary directory
 * outside the repository, so that nothing resolves through the repository's own node_modules (which
 * would hide a missing dependency), and the repository's dist/ is never touched (other tests read it
 * while this one runs). The figures it prints (tarball and installed sizes) are the README's.
 */
import { execFile } from "node:child_process"
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const work = mkdtempSync(join(tmpdir(), "zmtp-consumer-"))
const stage = join(work, "stage") // the package directory npm packs: package.json, its `files`
const consumer = join(work, "consumer") // the user's project
const installed = join(consumer, "node_modules")

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * The environment of a user's shell, not of `npm test`: npm exports its resolved configuration to
 * scripts, and npm_config_local_prefix (the repository) would make a nested npm install into the
 * repository. Only the settings that say where packages come from are kept.
 */
const keep = /^npm_config_(registry|.*:registry|cache|userconfig|globalconfig|cafile|proxy|https_proxy|noproxy|strict_ssl)$/i
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.test(k)))
env.npm_config_update_notifier = "false"

function run(file: string, args: string[], cwd: string, timeout = 60_000): Promise<Ran> {
  return new Promise((done) => {
    execFile(file, args, { cwd, env, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : null) : 0
      done({ code, stdout, stderr })
    })
  })
}

/** Every regular file under `dir` (symlinks such as node_modules/.bin entries are not followed). */
function files(dir: string, out: { path: string; size: number }[] = []): { path: string; size: number }[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) files(p, out)
    else if (e.isFile()) out.push({ path: p, size: lstatSync(p).size })
  }
  return out
}

const kB = (n: number): string => `${(n / 1024).toFixed(0)} KiB`

let tarball = ""
let packed = { size: 0, unpackedSize: 0, entryCount: 0 }

beforeAll(async () => {
  // The build, as `npm run build` makes it, into the stage instead of the repository's dist/.
  mkdirSync(stage)
  const tsup = join(root, "node_modules/tsup/dist/cli-default.js")
  const built = await run(process.execPath, [tsup, "--silent", "--out-dir", join(stage, "dist")], root, 120_000)
  expect(built).toMatchObject({ code: 0, stderr: "" })
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { files: string[] }
  cpSync(join(root, "package.json"), join(stage, "package.json"))
  for (const f of pkg.files) if (f !== "dist") cpSync(join(root, f), join(stage, f), { recursive: true })

  const packDir = join(work, "pack")
  mkdirSync(packDir)
  const pack = await run("npm", ["pack", "--json", "--pack-destination", packDir], stage)
  expect(pack.code, pack.stderr).toBe(0)
  const [info] = JSON.parse(pack.stdout) as { filename: string; size: number; unpackedSize: number; entryCount: number }[]
  tarball = join(packDir, info!.filename)
  packed = info!

  mkdirSync(consumer)
  expect((await run("npm", ["init", "-y"], consumer)).code).toBe(0)
  const install = await run("npm", ["install", tarball, "--no-audit", "--no-fund"], consumer, 120_000)
  expect(install.code, install.stderr).toBe(0)
}, 240_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe("a consumer's npm install of the packed tarball", () => {
  it("contains no install script, no gypfile, no .node file and no binding.gyp", () => {
    const all = files(installed)
    const found: string[] = []
    const packages: string[] = []
    for (const { path } of all) {
      const rel = relative(installed, path)
      if (path.endsWith(".node")) found.push(`${rel}: a native addon`)
      if (basename(path) === "binding.gyp") found.push(`${rel}: npm runs node-gyp for it`)
      if (basename(path) !== "package.json") continue
      const p = JSON.parse(readFileSync(path, "utf8")) as { name?: string; version?: string; gypfile?: boolean; scripts?: Record<string, string> }
      for (const s of ["preinstall", "install", "postinstall"]) if (p.scripts?.[s]) found.push(`${rel}: ${s} "${p.scripts[s]}"`)
      if (p.gypfile === true) found.push(`${rel}: gypfile`)
      // A package's own manifest sits right under a node_modules directory (or its @scope).
      if (/(^|[\\/])node_modules[\\/](@[^\\/]+[\\/])?[^\\/@]+[\\/]package\.json$/.test(join("node_modules", rel))) packages.push(`${p.name}@${p.version}`)
    }
    console.log(`installed packages: ${packages.sort().join(", ")}`)
    expect(found).toEqual([])
    expect(packages.some((p) => p.startsWith("zmtp@"))).toBe(true)
    // ws's optional native peers are not installed for it.
    expect(packages.filter((p) => /^(bufferutil|utf-8-validate)@/.test(p))).toEqual([])
  })

  it("has msgpackr bundled: no file of zmtp's requires it, the types never name it, its licence comes with it", () => {
    const dist = join(installed, "zmtp/dist")
    const names = readdirSync(dist)
    const code = names.filter((n) => /\.c?js$/.test(n))
    const types = names.filter((n) => /\.d\.c?ts$/.test(n))
    expect(code.length).toBeGreaterThan(0)
    expect(types.length).toBeGreaterThan(0)
    const loads = /(require\s*\(\s*|from\s*|import\s*\(\s*)["']msgpackr/
    expect(code.filter((n) => loads.test(readFileSync(join(dist, n), "utf8")))).toEqual([])
    expect(types.filter((n) => readFileSync(join(dist, n), "utf8").includes("msgpackr"))).toEqual([])
    // The files holding msgpackr's code (its Unpackr class) carry its MIT notice.
    const withMsgpackr = code.filter((n) => /\bclass Unpackr\b/.test(readFileSync(join(dist, n), "utf8")))
    expect(withMsgpackr.sort()).toEqual(["browser.js", "cli.js", "index.cjs"])
    for (const n of withMsgpackr) {
      const text = readFileSync(join(dist, n), "utf8")
      expect([n, text.includes("Copyright (c) 2020 Kris Zyp"), text.includes("Permission is hereby granted, free of charge")]).toEqual([n, true, true])
    }
  })

  it("reports its sizes", async () => {
    const all = files(installed)
    const zmtp = all.filter((f) => f.path.startsWith(join(installed, "zmtp") + sep))
    const sum = (l: { size: number }[]): number => l.reduce((a, f) => a + f.size, 0)
    const du = async (dir: string): Promise<string> => {
      const r = await run("du", ["-sk", dir], consumer)
      return r.code === 0 ? `${r.stdout.split("\t")[0]} KiB` : "?"
    }
    const disk = [await du(installed), await du(join(installed, "zmtp"))]
    console.log(
      `package size: tarball ${kB(packed.size)} (${packed.entryCount} files, ${kB(packed.unpackedSize)} unpacked); ` +
        `installed: node_modules ${kB(sum(all))} in ${all.length} files (du -sk: ${disk[0]}), node_modules/zmtp ${kB(sum(zmtp))} (du -sk: ${disk[1]})`,
    )
    expect(packed.size).toBeGreaterThan(0)
    expect(sum(zmtp)).toBeLessThanOrEqual(sum(all))
  })
})

/**
 * One program for every way of loading the package: a REQ/REP exchange over tcp, an RPC call
 * through a broker (its msgpack is the bundled msgpackr: a BigInt beyond 2^53, a Date, a Map and a
 * Buffer go there and back) and a zeromq.js v5 REQ/REP through `zmtp/v5-compat`. It prints one
 * line and must exit by itself (every socket closed).
 */
function program(ts: boolean): string {
  const t = (s: string): string => (ts ? s : "")
  return `async function main()${t(": Promise<void>")} {
  const rep = new Reply({ linger: 0 })
  await rep.bind("tcp://127.0.0.1:*")
  const req = new Request({ linger: 0, receiveTimeout: 5000 })
  req.connect(rep.lastEndpoint${t("!")})
  await req.send("ping")
  const [question] = await rep.receive()
  await rep.send(question${t("!")}.toString() + " pong")
  const [answer] = await req.receive()
  req.close()
  rep.close()

  const broker = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*" })
  const server = new RpcServer({ add: ([a, b]${t(": number[]")}) => a${t("!")} + b${t("!")}, echo: (v${t(": unknown")}) => v })
  server.connect(broker.backends["default"]${t("!")})
  const client = new RpcClient(broker.frontend, { timeout: 5000 })
  const sum = await client.call${t("<number>")}("add", [2, 3])
  const sent = { big: 2n ** 60n + 1n, when: new Date(86400000), map: new Map([["k", 1]]), bytes: Buffer.from("hi") }
  const back = await client.call${t("<any>")}("echo", sent)
  const echo = back.big === sent.big && back.when.getTime() === 86400000 && back.map.k === 1 && Buffer.from(back.bytes).toString() === "hi"
  client.close()
  await server.close()
  await broker.close()

  const v5reply = await new Promise${t("<string>")}((done) => {
    const r = v5.socket("rep")
    const q = v5.socket("req")
    r.setsockopt(v5.ZMQ_LINGER, 0)
    q.setsockopt(v5.ZMQ_LINGER, 0)
    r.on("message", (m${t(": Buffer")}) => r.send(m.toString() + " v5"))
    q.on("message", (m${t(": Buffer")}) => { q.close(); r.close(); done(m.toString()) })
    r.bind("tcp://127.0.0.1:*", (err${t("?: Error")}) => {
      if (err) throw err
      q.connect(r.getsockopt(v5.ZMQ_LAST_ENDPOINT)${t(" as string")})
      q.send("hello")
    })
  })
  console.log(JSON.stringify({ reqrep: answer${t("!")}.toString(), sum, echo, v5: v5reply }))
}
// A failure must not leave the process waiting on open sockets.
main().catch((e) => { console.error(e); process.exit(1) })
`
}
const expected = JSON.stringify({ reqrep: "ping pong", sum: 5, echo: true, v5: "hello v5" }) + "\n"
const esm = `import { Request, Reply, Broker, RpcClient, RpcServer } from "zmtp"\nimport * as v5 from "zmtp/v5-compat"\n`
const cjs = `const { Request, Reply, Broker, RpcClient, RpcServer } = require("zmtp")\nconst v5 = require("zmtp/v5-compat")\n`

/** Typed use that must type-check; the @ts-expect-error fails the check if the typo were accepted. */
const typed = `
const options: Partial<RequestOptions> = { receiveTimeout: 100, sendHighWaterMark: 10 }
function neverCalled(): string {
  // @ts-expect-error: receiveTimout is a typo, not a Request option
  const typo = new Request({ receiveTimout: 100 })
  typo.close()
  const sub: Subscriber = new Subscriber({ receiveTimeout: 100 })
  sub.subscribe("topic")
  const timeout: number = new Request(options).receiveTimeout
  const remote = (e: unknown): string => (e instanceof RemoteError ? e.remoteName : "")
  return remote(timeout)
}
void neverCalled
`

describe("the installed package, used by a program", () => {
  it("an ES module imports it and runs REQ/REP, an RPC call and v5-compat", async () => {
    writeFileSync(join(consumer, "app.mjs"), esm + program(false))
    expect(await run(process.execPath, ["app.mjs"], consumer, 20_000)).toEqual({ code: 0, stdout: expected, stderr: "" })
  })

  it("a CommonJS module requires it and runs REQ/REP, an RPC call and v5-compat", async () => {
    writeFileSync(join(consumer, "app.cjs"), cjs + program(false))
    expect(await run(process.execPath, ["app.cjs"], consumer, 20_000)).toEqual({ code: 0, stdout: expected, stderr: "" })
  })

  // For each setting, an .mts file (an ES module) and a .cts file (CommonJS), checked by the
  // repository's own TypeScript against the installed package's .d.ts/.d.cts, then the emitted .mjs
  // and .cjs run. One setting checks the package's declaration files themselves (skipLibCheck off:
  // most of that time goes to @types/node); the others keep tsc --init's skipLibCheck on.
  const settings = [
    { name: "node16", module: "node16", moduleResolution: "node16", skipLibCheck: true },
    { name: "nodenext", module: "nodenext", moduleResolution: "nodenext", skipLibCheck: false },
    { name: "bundler", module: "preserve", moduleResolution: "bundler", skipLibCheck: true },
  ]
  it("TypeScript under strict type-checks it with module node16, nodenext and bundler resolution, and the output runs", async () => {
    const names = "Request, Reply, Broker, RpcClient, RpcServer, Subscriber, RemoteError"
    const esmHead = `import { ${names}, type RequestOptions } from "zmtp"\nimport * as v5 from "zmtp/v5-compat"\n`
    // Under module preserve, import statements stay import statements even in a .cts file; its
    // CommonJS form is import = require (emitted as require).
    const preserveCjsHead = `import zmtp = require("zmtp")\nimport v5 = require("zmtp/v5-compat")\nconst { ${names} } = zmtp\ntype RequestOptions = zmtp.RequestOptions\ntype Subscriber = zmtp.Subscriber\n`
    const results = await Promise.all(
      settings.map(async (s) => {
        const dir = join(consumer, `ts-${s.name}`)
        mkdirSync(dir)
        writeFileSync(join(dir, "app.mts"), esmHead + typed + program(true))
        writeFileSync(join(dir, "app.cts"), (s.module === "preserve" ? preserveCjsHead : esmHead) + typed + program(true))
        const compilerOptions = {
          strict: true,
          target: "ES2022",
          lib: ["ES2022"],
          module: s.module,
          moduleResolution: s.moduleResolution,
          typeRoots: [join(root, "node_modules/@types")],
          types: ["node"],
          skipLibCheck: s.skipLibCheck,
          outDir: "out",
          rootDir: ".",
        }
        writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["app.mts", "app.cts"] }, null, 2))
        const tsc = await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", dir], dir, 90_000)
        const ran = tsc.code === 0 ? await Promise.all(["app.mjs", "app.cjs"].map((f) => run(process.execPath, [join(dir, "out", f)], dir, 30_000))) : []
        return { setting: s.name, tsc: tsc.stdout + tsc.stderr, ran }
      }),
    )
    const ok = { code: 0, stdout: expected, stderr: "" }
    expect(results).toEqual(settings.map((s) => ({ setting: s.name, tsc: "", ran: [ok, ok] })))
  }, 120_000)

  it("`npx zmtp --help` in the consumer project exits 0 and prints the usage", async () => {
    // --no: never fetch a "zmtp" from the registry, only the installed bin may answer ("--" keeps
    // npx from taking --help for itself).
    const r = await run("npx", ["--no", "--", "zmtp", "--help"], consumer)
    expect([r.code, r.stdout.split("\n")[0]]).toEqual([0, "Usage: zmtp <command> [options]   (zmtp <command> --help for details)"])
    expect(r.stdout).toContain("call      call an RPC method")
  })
})
