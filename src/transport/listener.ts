/**
 * Listening side of a transport: a `net.Server` on a TCP port or a Unix domain socket path.
 */
import { Buffer } from "node:buffer"
import { randomBytes } from "node:crypto"
import { accessSync, constants, linkSync, lstatSync, renameSync, statSync, unlinkSync, type BigIntStats } from "node:fs"
import { dirname, join } from "node:path"
import { createServer, type Server, type Socket as NetSocket } from "node:net"
import type { ZmtpError } from "../errors.js"
import { denoNetDenied, denoPathDenied } from "./deno-permissions.js"
import { formatEndpoint, systemError, type Endpoint } from "./endpoint.js"
import { applyKeepalive, resolveHost, type TcpTuning } from "./tcp-tuning.js"

/** What a listener reads of its socket's options when it opens: ZMQ_BACKLOG and the TCP ones. */
export interface ListenerOptions extends TcpTuning {
  /** ZMQ_BACKLOG: listen(2)'s queue of connections not yet accepted. */
  readonly backlog: number
}

export class Listener {
  /** Connections accepted through this listener and still open. */
  readonly connections = new Set<NetSocket>()

  private constructor(
    private readonly server: Server,
    /** The resolved endpoint, as ZMQ_LAST_ENDPOINT reports it. */
    readonly address: string,
    /** The string given to bind(), which unbind() accepts too. */
    readonly given: string,
    private readonly ipcPath: string | undefined,
    /** Identity of the socket file we created, so that close() never removes someone else's. */
    private readonly ipcFile: BigIntStats | undefined,
    private readonly tcp: boolean,
  ) {}

  /**
   * The address libzmq's events give a connection accepted here: for tcp the connection's own local
   * end (stream_listener_base_t names the accepted descriptor, so a bind to `tcp://*:P` reports
   * `tcp://127.0.0.1:P` for a loopback peer); for ipc the bound endpoint.
   */
  connectionAddress(sock: NetSocket): string {
    if (!this.tcp || sock.localAddress === undefined || sock.localPort === undefined) return this.address
    return formatEndpoint({ transport: "tcp", host: sock.localAddress, port: sock.localPort })
  }

  /**
   * Starts listening. Rejects with a typed error (EADDRINUSE, EADDRNOTAVAIL, ENOENT ...). The
   * options are read now, as libzmq's listener copies them at bind: a later change applies to the
   * next bind.
   */
  static open(
    ep: Endpoint,
    given: string,
    opts: ListenerOptions,
    onConnection: (sock: NetSocket, l: Listener) => void,
    onAcceptError: (e: Error, address: string) => void = () => {},
  ): Promise<Listener> {
    // Read once: the caller's object may change while a host name resolves.
    const { backlog, ipv6, tcpKeepalive, tcpKeepaliveIdle } = opts
    const tuning = { ipv6, tcpKeepalive, tcpKeepaliveIdle }
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true })
      // Neither the server nor its connections hold the process: only a pending operation does, as
      // in zeromq.js (lifetime.ts).
      server.unref()
      let listener: Listener | undefined
      server.on("connection", (sock) => {
        if (!listener) return sock.destroy()
        sock.unref()
        if (ep.transport === "tcp") applyKeepalive(sock, tuning)
        listener.connections.add(sock)
        sock.once("close", () => listener!.connections.delete(sock))
        onConnection(sock, listener)
      })
      const fail = (e: unknown) => {
        server.close()
        reject(e instanceof Error && ep.transport === "ipc" ? systemError(pipeBindError(e as NodeJS.ErrnoException, ep.path), given) : systemError(e, given))
      }
      server.once("error", fail)
      const ready = () => {
        server.off("error", fail)
        // Errors after listening (rare: EMFILE on accept) must not crash the process; they are
        // reported as libzmq reports them, "accept:error".
        server.on("error", (e) => onAcceptError(e, listener?.address ?? given))
        let address: string
        if (ep.transport === "tcp") {
          const a = server.address() as { address: string; port: number }
          address = formatEndpoint(ep, a.port, a.address)
        } else {
          address = formatEndpoint(ep)
        }
        const ipcPath = ep.transport === "ipc" && !ep.path.startsWith("\0") ? ep.path : undefined
        listener = new Listener(server, address, given, ipcPath, ipcPath ? statOrUndefined(ipcPath) : undefined, ep.transport === "tcp")
        resolve(listener)
      }
      if (ep.transport === "tcp") {
        // The host is resolved here rather than by Node's listen, which would take whichever family
        // the resolver answers first: libzmq's ZMQ_IPV6 decides it (tcp-tuning.ts).
        resolveHost(ep.host, ipv6, (err, host) => {
          if (err) return fail(err)
          const denied = denoNetDenied(host, ep.port, given)
          if (denied) return fail(denied)
          // A runtime may throw rather than emit "error" (Deno: NotCapable); either way it rejects.
          try {
            server.listen({ host, port: ep.port, backlog }, ready)
          } catch (e) {
            fail(e)
          }
        })
      } else {
        // The socket file is made under a private name in its directory, then linked into place
        // (below), so Deno must let us read and write there, not only at the path.
        const denied = denoPathDenied(dirname(ep.path), given)
        if (denied) return fail(denied)
        // libzmq removes a socket file left behind by an earlier run before binding; so do we,
        // but only if it really is a socket. Anything else there (a file, a directory, a link) is
        // never removed nor replaced: the bind fails with EADDRINUSE (libzmq unlinks whatever it is).
        if (!ep.path.startsWith("\0")) {
          try {
            if (lstatSync(ep.path).isSocket()) unlinkSync(ep.path)
          } catch {
            // Not there: the usual case.
          }
        }
        // libuv unlinks the path it listened on when the server closes, whoever's file is there by
        // then. Listening on a private name and linking the file into place leaves that unlink
        // harmless; close() removes the real path itself, and only if the file is still ours.
        const privateName = ep.path.startsWith("\0") ? undefined : join(dirname(ep.path), `.zmtp-${randomBytes(6).toString("hex")}`)
        try {
          if (privateName && Buffer.byteLength(privateName) <= 107) {
            server.listen({ path: privateName, backlog }, () => {
              try {
                placeSocketFile(privateName, ep.path)
              } catch (e) {
                server.close()
                return reject(systemError(e, given))
              }
              ready()
            })
          } else {
            // bind(2) itself refuses a path that exists (EADDRINUSE), whatever is there.
            server.listen({ path: ep.path, backlog }, ready)
          }
        } catch (e) {
          // Thrown, not emitted, by some runtimes (Deno: NotCapable for a path it may not use).
          fail(e)
        }
      }
    })
  }

  /** Stops listening, closes accepted connections if asked, and removes the ipc file. */
  close(dropConnections: boolean): void {
    this.server.close()
    if (dropConnections) for (const c of this.connections) c.destroy()
    if (this.ipcPath && this.ipcFile) {
      // Remove the file only if it is still the one we made: it may have been removed under us and
      // the path taken by another socket since.
      const now = statOrUndefined(this.ipcPath)
      // Inode numbers are reused at once on tmpfs, so the creation time (ns) takes part too.
      const f = this.ipcFile
      if (now && now.dev === f.dev && now.ino === f.ino && now.birthtimeNs === f.birthtimeNs && now.ctimeNs === f.ctimeNs) {
        try {
          unlinkSync(this.ipcPath)
        } catch {
          // Gone in between: nothing to clean.
        }
      }
    }
  }
}

export type { ZmtpError }

/**
 * libuv turns ENOENT from a Unix socket bind into EACCES ("for compatibility with Windows",
 * uv_pipe_bind), so EACCES alone does not tell a missing directory (libzmq: ENOENT) from a real
 * permission problem (libzmq: EACCES). The directory says which it was: missing, not a directory,
 * or one we may create files in, where the kernel's error was ENOENT (a directory such as /proc that
 * takes no socket files, even from root: pyzmq reports ENOENT there). Bun and Deno report the
 * kernel's error as it is.
 */
function pipeBindError(e: NodeJS.ErrnoException, path: string): NodeJS.ErrnoException {
  if (e.code !== "EACCES" || path.startsWith("\0")) return e
  const dir = dirname(path)
  try {
    if (!statSync(dir).isDirectory()) return Object.assign(new Error(`${dir} is not a directory`), { code: "ENOTDIR" })
  } catch (s) {
    const code = (s as NodeJS.ErrnoException).code
    return code === "ENOENT" || code === "ENOTDIR" ? (s as NodeJS.ErrnoException) : e
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK)
  } catch {
    return e
  }
  return Object.assign(new Error(`${path}: no such file or directory`), { code: "ENOENT" })
}

/**
 * Moves the listening socket file from its private name to `path`, never over something else:
 * link(2) fails with EEXIST if anything is at `path` (rename(2) would replace a file silently, and
 * a file that appeared since the stale-socket check could be someone's). Where the filesystem has
 * no hard links, rename is the fallback, and only onto a free path.
 */
function placeSocketFile(privateName: string, path: string): void {
  try {
    linkSync(privateName, path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e
    if (statOrUndefined(path)) throw Object.assign(new Error(`${path} exists`), { code: "EEXIST" })
    renameSync(privateName, path)
    return
  }
  try {
    unlinkSync(privateName)
  } catch {
    // Already gone: nothing to clean.
  }
}

function statOrUndefined(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true })
  } catch {
    return undefined
  }
}
