/**
 * Contexts, as zeromq.js has them: `new Context(options)`, the global `context`, and
 * `new Dealer({ context })`. In libzmq a context owns the I/O threads and the inproc namespace; zmtp
 * has neither per context (it runs on Node's event loop, and inproc names are per process), so a
 * context here carries what new sockets inherit from it: `blocky`, which decides their default
 * linger. Its other options are accepted and read back only (see {@link ContextOptions}).
 */
import { zerr } from "./errors.js"
import { checkOption, contextOptionTable, type ContextOptions } from "./options.js"

/**
 * A zeromq.js-compatible context. Pass it to a socket's constructor (`new Dealer({ context })`);
 * sockets made without one belong to the global {@link context}.
 */
export class Context {
  private readonly values: ContextOptions = {
    blocky: contextOptionTable.blocky.default as boolean,
    ioThreads: contextOptionTable.ioThreads.default as number,
    maxSockets: contextOptionTable.maxSockets.default as number,
  }

  /**
   * Creates a context and sets the options given. An unknown option or a wrongly typed or
   * out-of-range value throws EINVAL (zeromq.js throws too).
   */
  constructor(options: Partial<ContextOptions> = {}) {
    if (typeof options !== "object" || options === null) throw zerr("EINVAL", "context options must be an object")
    for (const [k, v] of Object.entries(options)) {
      if (!(k in contextOptionTable)) throw zerr("EINVAL", `unknown context option ${JSON.stringify(k)}`)
      ;(this as unknown as Record<string, unknown>)[k] = v
    }
  }

  /** ZMQ_BLOCKY. See {@link ContextOptions.blocky}. */
  get blocky(): boolean {
    return this.values.blocky
  }
  set blocky(v: boolean) {
    this.values.blocky = checkOption("blocky", v, contextOptionTable) as boolean
  }

  /** ZMQ_IO_THREADS. See {@link ContextOptions.ioThreads}. */
  get ioThreads(): number {
    return this.values.ioThreads
  }
  set ioThreads(v: number) {
    this.values.ioThreads = checkOption("ioThreads", v, contextOptionTable) as number
  }

  /** ZMQ_MAX_SOCKETS. See {@link ContextOptions.maxSockets}. */
  get maxSockets(): number {
    return this.values.maxSockets
  }
  set maxSockets(v: number) {
    this.values.maxSockets = checkOption("maxSockets", v, contextOptionTable) as number
  }

  /** @internal The linger a socket made in this context now starts with (libzmq: blocky ? -1 : 0). */
  get defaultLinger(): number {
    return this.values.blocky ? -1 : 0
  }
}

/**
 * The global context: sockets made without a `context` option belong to it. Setting
 * `context.blocky = false` gives every socket made afterwards linger 0, as in zeromq.js.
 */
export const context = new Context()
