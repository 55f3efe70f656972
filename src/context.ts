/**
 * Contexts, as zeromq.js has them: `new Context(options)`, the global `context`, and
 * `new Dealer({ context })`. In libzmq a context owns the I/O threads, the socket table and the
 * inproc namespace. zmtp runs on Node's event loop, so a context here carries what its sockets take
 * from it: `blocky` (their default linger, and the exit warning's wording) and `maxSockets` (how
 * many may be open at once). Its other options are validated and read back as libzmq's are, and
 * change nothing (see {@link ContextOptions}).
 *
 * Options are libzmq's zmq_ctx_set/zmq_ctx_get numbers underneath (the generic getters and setters
 * take them), with the typed properties on top, and the same checks and errors as zeromq.js: a
 * TypeError for a value of the wrong type, EINVAL for one libzmq refuses. A context is sealed, so an
 * unknown option throws "Cannot add property foo, object is not extensible".
 *
 * Each worker thread has its own module instance, so its own global `context`: nothing is shared
 * between threads (zeromq.js shares one libzmq context among all threads of a process).
 */
import { unknownOptionError, zerr } from "./errors.js"
import { countOpen, trackSocket, type LingeringSocket } from "./lifetime.js"

/** The options a context takes, in its constructor or as properties (zeromq.js `Options<Context>`). */
export interface ContextOptions {
  /**
   * ZMQ_BLOCKY: when false, sockets made in this context from then on start with linger 0 instead
   * of -1, as libzmq's do (an explicit `linger` option still wins). Sockets made before keep theirs.
   * Also chooses the wording of the exit warning. Default true.
   */
  blocky: boolean
  /** ZMQ_IO_THREADS: size of libzmq's I/O thread pool (>= 0). Read back only: zmtp has no I/O threads. Default 1. */
  ioThreads: number
  /**
   * ZMQ_MAX_SOCKETS: most sockets open at once in this context (>= 1); one more throws EMFILE.
   * As in libzmq, the value in force when the context's first socket is made stays for good. Default 1023.
   */
  maxSockets: number
  /** ZMQ_MAX_MSGSZ: the context-wide message size limit (>= 0). Read back only, as libzmq 4.3.5 enforces none. Default 2147483647. */
  maxMessageSize: number
  /** ZMQ_IPV6: the `ipv6` default of sockets made in this context from then on, as in libzmq. Default false. */
  ipv6: boolean
  /** ZMQ_THREAD_PRIORITY: write-only (>= 0), for libzmq's I/O threads; without effect in zmtp. */
  threadPriority: number
  /** ZMQ_THREAD_SCHED_POLICY: write-only (>= 0), for libzmq's I/O threads; without effect in zmtp. */
  threadSchedulingPolicy: number
}

/** libzmq's context option numbers (zmq.h). */
const enum Id {
  IoThreads = 1,
  MaxSockets = 2,
  /** ZMQ_SOCKET_LIMIT when read, ZMQ_THREAD_PRIORITY when written (the same number in zmq.h). */
  SocketLimitOrThreadPriority = 3,
  ThreadSchedPolicy = 4,
  MaxMsgSize = 5,
  MsgTSize = 6,
  ThreadNamePrefix = 9,
  ZeroCopyRecv = 10,
  Ipv6 = 42,
  Blocky = 70,
}

/** libzmq 4.3.5's ZMQ_SOCKET_LIMIT (clipped_maxsocket(65535) on Linux). */
const SOCKET_LIMIT = 65535
/** sizeof(zmq_msg_t), what libzmq reports for ZMQ_MSG_T_SIZE. */
const MSG_T_SIZE = 64
const INT_MAX = 0x7fffffff

/**
 * zeromq.js's argument checks: each argument's type in order, then the count, as TypeErrors with
 * its wording.
 */
function checkArgs(args: ArrayLike<unknown>, checks: [test: (v: unknown) => boolean, message: string][]): void {
  for (let i = 0; i < checks.length; i++) if (!checks[i]![0](args[i])) throw new TypeError(checks[i]![1])
  if (args.length > checks.length) {
    throw new TypeError(`Expected ${checks.length} argument${checks.length === 1 ? "" : "s"} but received ${args.length}`)
  }
}
/**
 * @internal Makes a class throw zeromq.js's TypeError when called without `new`. zeromq.js's classes
 * are native, and say "Class constructors cannot be invoked without 'new'"; a JS class names itself
 * in that message instead. `new`, `instanceof` and `extends` are unchanged; an instance's `constructor`
 * is the class behind the proxy.
 */
export function requireNew<T extends abstract new (...args: never[]) => object>(cls: T): T {
  // `prototype.constructor` stays the class itself: V8 names an object in its messages ("#<Context>")
  // after it, which a proxy there would turn into "[object Object]".
  return new globalThis.Proxy(cls, {
    apply() {
      throw new TypeError("Class constructors cannot be invoked without 'new'")
    },
  })
}

const isNumber = (v: unknown) => typeof v === "number"
const isBoolean = (v: unknown) => typeof v === "boolean"
const identifier: [(v: unknown) => boolean, string] = [isNumber, "Identifier must be a number"]

/**
 * A zeromq.js-compatible context. Pass it to a socket's constructor (`new Dealer({ context })`);
 * sockets made without one belong to the global {@link context}.
 */
export class Context {
  // Private fields, not properties: a sealed context has no own properties, as zeromq.js's.
  #ioThreads = 1
  #maxSockets = 1023
  /** maxSockets as it was when the first socket was made: libzmq sizes its socket table then. */
  #socketTable: number | undefined
  #maxMessageSize = INT_MAX
  #ipv6 = false
  #blocky = true
  #threadSchedPolicy = -1
  #threadNamePrefix = 0
  #zeroCopyRecv = true

  /**
   * Creates a context and sets the options given, in order, as property assignments (zeromq.js):
   * a wrongly typed value throws a TypeError, a value libzmq refuses EINVAL, an unknown option
   * "Cannot add property ..., object is not extensible".
   */
  constructor(options?: Partial<ContextOptions>) {
    checkArgs(arguments, [[(v) => v === undefined || (typeof v === "object" && v !== null) || typeof v === "function", "Options must be an object"]])
    Object.seal(this)
    if (options === undefined) return
    // As Object.assign, but an unknown name throws zeromq.js's text on every runtime (errors.ts).
    for (const k of Reflect.ownKeys(options)) {
      if (!Object.prototype.propertyIsEnumerable.call(options, k)) continue
      if (!(k in this)) throw unknownOptionError(k)
      ;(this as Record<PropertyKey, unknown>)[k] = (options as Record<PropertyKey, unknown>)[k]
    }
  }

  /** ZMQ_BLOCKY. See {@link ContextOptions.blocky}. */
  get blocky(): boolean {
    return this.getBoolOption(Id.Blocky)
  }
  set blocky(v: boolean) {
    this.setBoolOption(Id.Blocky, v)
  }

  /** ZMQ_IO_THREADS. See {@link ContextOptions.ioThreads}. */
  get ioThreads(): number {
    return this.getInt32Option(Id.IoThreads)
  }
  set ioThreads(v: number) {
    this.setInt32Option(Id.IoThreads, v)
  }

  /** ZMQ_MAX_SOCKETS. See {@link ContextOptions.maxSockets}. */
  get maxSockets(): number {
    return this.getInt32Option(Id.MaxSockets)
  }
  set maxSockets(v: number) {
    this.setInt32Option(Id.MaxSockets, v)
  }

  /** ZMQ_SOCKET_LIMIT: the largest value {@link maxSockets} may take. Read-only. */
  get maxSocketsLimit(): number {
    return this.getInt32Option(Id.SocketLimitOrThreadPriority)
  }

  /** ZMQ_THREAD_PRIORITY. Write-only (reads undefined, as in zeromq.js). See {@link ContextOptions.threadPriority}. */
  set threadPriority(v: number) {
    this.setInt32Option(Id.SocketLimitOrThreadPriority, v)
  }

  /** ZMQ_THREAD_SCHED_POLICY. Write-only. See {@link ContextOptions.threadSchedulingPolicy}. */
  set threadSchedulingPolicy(v: number) {
    this.setInt32Option(Id.ThreadSchedPolicy, v)
  }

  /** ZMQ_MAX_MSGSZ. See {@link ContextOptions.maxMessageSize}. */
  get maxMessageSize(): number {
    return this.getInt32Option(Id.MaxMsgSize)
  }
  set maxMessageSize(v: number) {
    this.setInt32Option(Id.MaxMsgSize, v)
  }

  /** ZMQ_IPV6. See {@link ContextOptions.ipv6}. */
  get ipv6(): boolean {
    return this.getBoolOption(Id.Ipv6)
  }
  set ipv6(v: boolean) {
    this.setBoolOption(Id.Ipv6, v)
  }

  /** Reads a context option by its libzmq number as a boolean (zmq_ctx_get, non-zero is true). */
  getBoolOption(option: number): boolean {
    checkArgs(arguments, [identifier])
    return this.get(option) !== 0
  }

  /** Sets a context option by its libzmq number from a boolean (zmq_ctx_set with 1 or 0). */
  setBoolOption(option: number, value: boolean): void {
    checkArgs(arguments, [identifier, [isBoolean, "Option value must be a boolean"]])
    this.set(option, value ? 1 : 0)
  }

  /** Reads a context option by its libzmq number (zmq_ctx_get). EINVAL for a number libzmq does not read. */
  getInt32Option(option: number): number {
    checkArgs(arguments, [identifier])
    return this.get(option)
  }

  /**
   * Sets a context option by its libzmq number (zmq_ctx_set). The value is taken as a C int, as
   * zeromq.js passes it (truncated; NaN and infinities are 0); EINVAL for what libzmq refuses.
   */
  setInt32Option(option: number, value: number): void {
    checkArgs(arguments, [identifier, [isNumber, "Option value must be a number"]])
    this.set(option, value)
  }

  /** zmq_ctx_get (libzmq 4.3.5 ctx_t::get and thread_ctx_t::get). */
  private get(option: number): number {
    switch (option | 0) {
      case Id.IoThreads:
        return this.#ioThreads
      case Id.MaxSockets:
        return this.#maxSockets
      case Id.SocketLimitOrThreadPriority:
        return SOCKET_LIMIT
      case Id.ThreadSchedPolicy:
        // -1 until set. zeromq.js mistakes that for a failure and throws an Error "Success".
        return this.#threadSchedPolicy
      case Id.MaxMsgSize:
        return this.#maxMessageSize
      case Id.MsgTSize:
        return MSG_T_SIZE
      case Id.ThreadNamePrefix:
        return this.#threadNamePrefix
      case Id.ZeroCopyRecv:
        return this.#zeroCopyRecv ? 1 : 0
      case Id.Ipv6:
        return this.#ipv6 ? 1 : 0
      case Id.Blocky:
        return this.#blocky ? 1 : 0
      default:
        throw zerr("EINVAL")
    }
  }

  /** zmq_ctx_set (libzmq 4.3.5 ctx_t::set and thread_ctx_t::set): each takes a non-negative int. */
  private set(option: number, v: number): void {
    // A JS number becomes a C int as napi_get_value_int32 makes it.
    const value = v | 0
    const ok = value >= 0
    switch (option | 0) {
      case Id.IoThreads:
        if (ok) return void (this.#ioThreads = value)
        break
      case Id.MaxSockets:
        if (value >= 1) return void (this.#maxSockets = value)
        break
      case Id.SocketLimitOrThreadPriority:
        // ZMQ_THREAD_PRIORITY: checked, and kept nowhere (it cannot be read back, in libzmq either).
        if (ok) return
        break
      case Id.ThreadSchedPolicy:
        if (ok) return void (this.#threadSchedPolicy = value)
        break
      case Id.MaxMsgSize:
        if (ok) return void (this.#maxMessageSize = value)
        break
      case Id.ThreadNamePrefix:
        // An int prefix is taken as is (libzmq keeps it as its decimal string).
        return void (this.#threadNamePrefix = value)
      case Id.ZeroCopyRecv:
        if (ok) return void (this.#zeroCopyRecv = value !== 0)
        break
      case Id.Ipv6:
        if (ok) return void (this.#ipv6 = value !== 0)
        break
      case Id.Blocky:
        if (ok) return void (this.#blocky = value !== 0)
        break
    }
    throw zerr("EINVAL")
  }

  /** @internal The linger a socket made in this context now starts with (libzmq: blocky ? -1 : 0). */
  get defaultLinger(): number {
    return this.#blocky ? -1 : 0
  }

  /**
   * @internal A socket is made in this context: EMFILE if `maxSockets` are open already (libzmq's
   * zmq_socket). The socket is then counted, and waited for at exit while it lingers (lifetime.ts).
   */
  attach(socket: LingeringSocket): void {
    this.#socketTable ??= this.#maxSockets
    if (countOpen((s) => s.context === this) >= this.#socketTable) throw zerr("EMFILE")
    trackSocket(socket)
  }
}

// zeromq.js's methods are read-only properties of the prototype (an options object naming one
// throws "Cannot assign to read only property"), and its option accessors are not enumerable.
for (const name of ["getBoolOption", "setBoolOption", "getInt32Option", "setInt32Option"]) {
  Object.defineProperty(Context.prototype, name, { writable: false })
}
// The exported binding (a class declaration's is mutable) now calls the class only with `new`.
// @ts-expect-error TS2629: TypeScript does not model assigning to a class declaration's binding.
Context = requireNew(Context)

/**
 * The global context: sockets made without a `context` option belong to it. Setting
 * `context.blocky = false` gives every socket made afterwards linger 0, as in zeromq.js.
 */
export const context = new Context()
