/**
 * bind() and unbind() hardening (issue 14 item 11):
 * - an ipc bind never replaces a file that is not a socket: EADDRINUSE, and the file is left intact
 *   (libzmq 4.3.5 unlinks whatever is there);
 * - unbind() accepts the string given to bind(), and resolves host names as libzmq does
 *   (`tcp://localhost:P`, `tcp://0.0.0.0:P`), and also `tcp://*:P`, which libzmq refuses with ENOENT;
 * - permission and path errors keep their system code (EACCES, ENOTDIR, EPERM), as zeromq.js
 *   reports them, instead of becoming ENOENT.
 * The unbind cases run against zeromq.js side by side.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, linkSync, existsSync, type Stats } from "node:fs"
import { createServer } from "node:net"
import { platform, tmpdir } from "node:os"
import { join } from "node:path"
import * as zmq from "zeromq"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { Dealer } from "../src/index.js"
import { systemErrorCode } from "../src/transport/endpoint.js"
import { cleanupIpc, closeAfterEach, freeTcpPort, recordEvents, sleep, until, itLibzmq, itWhere } from "./helpers.js"

afterEach(cleanupIpc)
const track = closeAfterEach()
const linux = platform() === "linux"
const root = process.getuid?.() === 0

const dir = mkdtempSync(join(tmpdir(), "zmtp-bind-"))
afterAll(() => {
  try {
    chmodSync(dir, 0o700)
    for (const e of readdirSync(dir)) chmodSync(join(dir, e), 0o700)
  } catch {}
  rmSync(dir, { recursive: true, force: true })
})
let n = 0
const fresh = (what: string) => join(dir, `${what}-${n++}`)

/** Resolves to the error's code, or "ok". */
async function outcome(f: () => unknown): Promise<string> {
  try {
    await f()
    return "ok"
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

/** Identity and content of whatever is at `path` (lstat: a symlink itself, not its target). */
function snapshot(path: string): { ino: number; mode: number; size: number; content: string | undefined; link: string | undefined } {
  const st: Stats = lstatSync(path)
  return {
    ino: st.ino,
    mode: st.mode,
    size: st.size,
    content: st.isFile() ? readFileSync(path, "latin1") : undefined,
    link: st.isSymbolicLink() ? readlinkSync(path) : undefined,
  }
}

describe("ipc bind never replaces a file that is not a socket", () => {
  const makers: [string, (p: string) => void][] = [
    ["a regular file with data", (p) => writeFileSync(p, "precious data\n")],
    ["an empty regular file", (p) => writeFileSync(p, "")],
    ["a directory", (p) => mkdirSync(p)],
    ["a non-empty directory", (p) => (mkdirSync(p), writeFileSync(join(p, "inside"), "x"))],
    ["a symlink to a regular file", (p) => (writeFileSync(p + ".target", "target data"), symlinkSync(p + ".target", p))],
    ["a dangling symlink", (p) => symlinkSync(p + ".nowhere", p)],
    ["a hard link to a regular file", (p) => (writeFileSync(p + ".orig", "linked data"), linkSync(p + ".orig", p))],
  ]
  if (linux) makers.push(["a FIFO", (p) => execFileSync("mkfifo", [p])])

  for (const [what, make] of makers) {
    it(`${what}: EADDRINUSE, the file is left exactly as it was, no stray file beside it, and the socket stays usable`, async () => {
      const path = fresh("victim")
      make(path)
      const before = snapshot(path)
      const inDir = readdirSync(dir).sort()
      const s = track(new Dealer())
      const ev = recordEvents(s)
      expect(await outcome(() => s.bind(`ipc://${path}`))).toBe("EADDRINUSE")
      expect(snapshot(path)).toEqual(before)
      expect(readdirSync(dir).sort()).toEqual(inDir)
      await until(() => ev.some((e) => e.type === "bind:error"), 1000, "bind:error")
      // The failed bind leaves the socket usable.
      const other = fresh("ok") + ".sock"
      await s.bind(`ipc://${other}`)
      expect(lstatSync(other).isSocket()).toBe(true)
      s.close()
      expect(snapshot(path)).toEqual(before)
    })
  }

  it("a stale socket file (nobody listening) is still replaced, as libzmq does", async () => {
    // A socket file that outlives its listener: a hard link to a listening socket's file.
    const live = fresh("live") + ".sock"
    const stale = fresh("stale") + ".sock"
    const srv = createServer()
    await new Promise<void>((res) => srv.listen(live, res))
    linkSync(live, stale)
    await new Promise<void>((res) => srv.close(() => res()))
    expect(lstatSync(stale).isSocket()).toBe(true)
    const a = track(new Dealer())
    const b = track(new Dealer())
    await a.bind(`ipc://${stale}`)
    b.connect(`ipc://${stale}`)
    await b.send("through the replaced file")
    expect((await a.receive())[0]!.toString()).toBe("through the replaced file")
  })
})

describe("unbind() accepts the string given to bind()", () => {
  type Lib = "zmtp" | "zeromq.js"
  const make = (lib: Lib) => (lib === "zmtp" ? track(new Dealer()) : track(new zmq.Dealer({ linger: 0 }) as unknown as Dealer))

  /**
   * True if the port is held on some address: a dual-stack listener on [::] conflicts with any
   * IPv4 or IPv6 bind of the port (on a host without IPv6, 0.0.0.0 is tried instead).
   */
  async function held(port: number): Promise<boolean> {
    const tryListen = (host: string) =>
      new Promise<string>((res) => {
        const srv = createServer()
        srv.once("error", (e: NodeJS.ErrnoException) => res(e.code ?? "error"))
        srv.listen({ port, host, exclusive: true }, () => srv.close(() => res("ok")))
      })
    let r = await tryListen("::")
    if (r !== "ok" && r !== "EADDRINUSE") r = await tryListen("0.0.0.0")
    return r === "EADDRINUSE"
  }

  async function released(port: number): Promise<void> {
    const end = Date.now() + 2000
    while (await held(port)) {
      if (Date.now() > end) throw new Error(`port ${port} still held`)
      await sleep(10)
    }
  }

  // [bind, unbind, zmtp's outcome, libzmq's outcome]; P is a free port.
  const cases: [string, string, string, string][] = [
    ["tcp://localhost:P", "tcp://localhost:P", "ok", "ok"],
    ["tcp://127.0.0.1:P", "tcp://localhost:P", "ok", "ok"],
    ["tcp://*:P", "tcp://0.0.0.0:P", "ok", "ok"],
    ["tcp://0.0.0.0:P", "tcp://0.0.0.0:P", "ok", "ok"],
    // The documented improvement: libzmq refuses these with ENOENT and keeps the port bound.
    ["tcp://*:P", "tcp://*:P", "ok", "ENOENT"],
    ["tcp://0.0.0.0:P", "tcp://*:P", "ok", "ENOENT"],
    // Different endpoints stay different: a wildcard bind is not unbound by one interface's address.
    ["tcp://*:P", "tcp://127.0.0.1:P", "ENOENT", "ENOENT"],
    ["tcp://*:P", "tcp://localhost:P", "ENOENT", "ENOENT"],
    ["tcp://127.0.0.1:P", "tcp://127.0.0.1:Q", "ENOENT", "ENOENT"],
    ["tcp://127.0.0.1:P", "tcp://nosuchhost.invalid:P", "ENOENT", "ENOENT"],
  ]
  for (const [b, u, ours, libzmq] of cases) {
    for (const lib of ["zmtp", "zeromq.js"] as Lib[]) {
      const want = lib === "zmtp" ? ours : libzmq
      itWhere(lib === "zeromq.js")(`${lib}: bind ${b}, unbind ${u}: ${want}${want === "ok" ? ", the port is free again" : ", still bound"}`, async () => {
        const port = await freeTcpPort()
        const other = await freeTcpPort()
        const s = make(lib)
        await s.bind(b.replace("P", String(port)))
        expect(await outcome(() => s.unbind(u.replace("P", String(port)).replace("Q", String(other))))).toBe(want)
        if (want === "ok") await released(port)
        else expect(await held(port)).toBe(true)
      })
    }
  }

  it("zmtp: a wildcard port names no endpoint: unbind of tcp://127.0.0.1:* or ipc://* is ENOENT (as in libzmq), the listener stays", async () => {
    const s = track(new Dealer())
    await s.bind("tcp://127.0.0.1:*")
    const tcp = s.lastEndpoint!
    await s.bind("ipc://*")
    const ipc = s.lastEndpoint!
    expect(await outcome(() => s.unbind("tcp://127.0.0.1:*"))).toBe("ENOENT")
    expect(await outcome(() => s.unbind("ipc://*"))).toBe("ENOENT")
    expect(await outcome(() => s.unbind(tcp))).toBe("ok")
    expect(await outcome(() => s.unbind(ipc))).toBe("ok")
  })

  it("zmtp: unbind by the bind string reports close with the resolved endpoint, and a second unbind is ENOENT", async () => {
    const port = await freeTcpPort()
    const s = track(new Dealer())
    const ev = recordEvents(s)
    await s.bind(`tcp://*:${port}`)
    await s.unbind(`tcp://*:${port}`)
    await until(() => ev.some((e) => e.type === "close"), 1000, "close event")
    expect(ev.find((e) => e.type === "close")!.address).toBe(`tcp://0.0.0.0:${port}`)
    expect(await outcome(() => s.unbind(`tcp://*:${port}`))).toBe("ENOENT")
    expect(await outcome(() => s.unbind(`tcp://0.0.0.0:${port}`))).toBe("ENOENT")
  })

  it("zmtp: a socket closed while unbind() resolves a host name closes once the unbind is done (as zeromq.js) and leaves nothing listening", async () => {
    const port = await freeTcpPort()
    const s = new Dealer()
    await s.bind(`tcp://127.0.0.1:${port}`)
    const p = outcome(() => s.unbind(`tcp://localhost:${port}`))
    s.close()
    expect(s.closed).toBe(false)
    expect(await p).toBe("ok")
    expect(s.closed).toBe(true)
    await released(port)
  })
})

describe("bind errors keep their system code", () => {
  // /proc takes no socket files, even from root. The kernel's bind(2) says ENOENT there, and so does
  // libzmq (pyzmq: "No such file or directory for ipc path"); Node's libuv turns it into EACCES,
  // which zmtp must not pass on (Bun and Deno report ENOENT as it is).
  it.skipIf(!linux)("ENOENT: an ipc path in /proc, where no one may create a socket file (as libzmq reports it)", async () => {
    const s = track(new Dealer())
    const path = `/proc/zmtp-test-${process.pid}-${randomBytes(4).toString("hex")}.sock`
    const err = await s.bind(`ipc://${path}`).then(
      () => undefined,
      (e: unknown) => e as { code?: string; address?: string },
    )
    expect(err).toMatchObject({ code: "ENOENT", address: `ipc://${path}` })
    expect(existsSync(path)).toBe(false)
  })

  itLibzmq.skipIf(!linux)("ENOENT in /proc is libzmq's answer too (zeromq.js)", async () => {
    const theirs = track(new zmq.Dealer({ linger: 0 }) as unknown as Dealer)
    expect(await outcome(() => theirs.bind(`ipc:///proc/zmtp-test-${process.pid}-${randomBytes(4).toString("hex")}.sock`))).toBe("ENOENT")
  })

  // As root, permission bits do not apply (CAP_DAC_OVERRIDE), so this runs only unprivileged; the
  // mapping test below covers EACCES as root.
  it.skipIf(root)("EACCES: an ipc path in a directory without write permission", async () => {
    const ro = fresh("readonly")
    mkdirSync(ro, 0o555)
    const s = track(new Dealer())
    expect(await outcome(() => s.bind(`ipc://${join(ro, "x.sock")}`))).toBe("EACCES")
  })

  itLibzmq("ENOTDIR: an ipc path under a regular file (zeromq.js reports ENOTDIR too)", async () => {
    const file = fresh("plain")
    writeFileSync(file, "")
    const ours = track(new Dealer())
    const theirs = track(new zmq.Dealer({ linger: 0 }) as unknown as Dealer)
    expect(await outcome(() => ours.bind(`ipc://${join(file, "x.sock")}`))).toBe("ENOTDIR")
    expect(await outcome(() => theirs.bind(`ipc://${join(file, "x.sock")}`))).toBe("ENOTDIR")
  })

  it("ENOENT stays ENOENT: an ipc path in a directory that does not exist", async () => {
    const s = track(new Dealer())
    expect(await outcome(() => s.bind(`ipc://${join(fresh("missing"), "x.sock")}`))).toBe("ENOENT")
  })

  it("the mapping from Node's system errors: permission and path errors pass through, the rest as before", () => {
    const code = (c: string) => systemErrorCode(Object.assign(new Error(c), { code: c }))
    expect(code("EACCES")).toBe("EACCES")
    expect(code("EPERM")).toBe("EPERM")
    expect(code("ENOTDIR")).toBe("ENOTDIR")
    expect(code("ENOENT")).toBe("ENOENT")
    expect(code("EADDRINUSE")).toBe("EADDRINUSE")
    expect(code("EEXIST")).toBe("EADDRINUSE")
    expect(code("EADDRNOTAVAIL")).toBe("EADDRNOTAVAIL")
    // A host name that does not resolve: libzmq's ENODEV.
    expect(code("ENOTFOUND")).toBe("ENODEV")
    expect(code("ECONNREFUSED")).toBe("ECONNREFUSED")
    // Out of descriptors (at bind, or reported by "accept:error"): libzmq's errno, not EINVAL.
    expect(code("EMFILE")).toBe("EMFILE")
    expect(code("ENFILE")).toBe("ENFILE")
    expect(code("EWHATEVER")).toBe("EINVAL")
  })
})
