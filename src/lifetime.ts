/**
 * Process lifetime, as zeromq.js has it. zeromq.js keeps the event loop alive with a poller that is
 * active only while a send, a receive or an event read waits, and at exit it terminates libzmq's
 * context, which blocks while sockets linger. zmtp's handles (servers, connections, reconnect and
 * protocol timers) are all unref'd, so an idle socket never holds the process, and:
 *
 * - {@link hold} / {@link release}: a pending send(), receive(), event read or Proxy.run() holds
 *   one reference on a single ref-counted handle;
 * - {@link trackSocket} and the `beforeExit` hook: when the loop runs dry, sockets with messages
 *   still queued for a peer (and a linger other than 0) are closed, as zeromq.js's reaper closes
 *   them at exit, and the process waits while they linger. If that takes longer than 500 ms,
 *   zeromq.js's warning goes to stderr, once per context.
 *
 * Everything here is per thread: each worker thread has its own module instance.
 */

/** What the exit wait needs of a socket (SocketBase provides it). */
export interface LingeringSocket {
  readonly closed: boolean
  readonly linger: number
  /** An open socket with messages queued for a peer, or a closed one still delivering them. */
  readonly undelivered: boolean
  readonly context: { readonly blocky: boolean }
  close(): void
}

/** ms the exit wait may take before the warning, as zeromq.js's context terminator has it. */
const WARN_AFTER = 500
/** How often the exit wait looks whether the lingering sockets are done. */
const POLL_INTERVAL = 10

let holds = 0
let keeper: NodeJS.Timeout | undefined

/** Keeps the process alive until the matching {@link release} (a ref on one shared timer: ~30 ns). */
export function hold(): void {
  if (holds++ > 0) return
  if (keeper) keeper.ref()
  // The longest delay a timer takes; it never needs to fire.
  else keeper = setInterval(() => {}, 0x7fffffff)
}

/** Drops one {@link hold}. */
export function release(): void {
  if (--holds === 0) keeper!.unref()
}

const sockets = new Set<WeakRef<LingeringSocket>>()
/** Registry size after the last sweep: the next sweep comes when it has doubled (amortized O(1)). */
let swept = 16
let hooked = false

/** Counts the open sockets `belongs` accepts, dropping from the registry what can no longer matter. */
export function countOpen(belongs: (s: LingeringSocket) => boolean): number {
  let n = 0
  for (const ref of sockets) {
    const s = ref.deref()
    if (s && !s.closed && belongs(s)) n++
  }
  return n
}

/**
 * Registers a socket: the context counts it against `maxSockets`, and at exit it is waited for
 * while it has messages to deliver. Held weakly, so an unreachable socket is not kept.
 */
export function trackSocket(s: LingeringSocket): void {
  if (sockets.size >= swept * 2) {
    for (const ref of sockets) {
      const t = ref.deref()
      if (!t || (t.closed && !t.undelivered)) sockets.delete(ref)
    }
    swept = Math.max(16, sockets.size)
  }
  sockets.add(new WeakRef(s))
  if (!hooked) {
    hooked = true
    process.on("beforeExit", waitForLingering)
  }
}

/**
 * The loop is empty and the process would exit. As libzmq's zmq_ctx_term at zeromq.js's exit: open
 * sockets with queued messages are closed (their linger applies from now), and the process stays
 * until every lingering socket is done. Not reached by process.exit() or an uncaught exception,
 * where zeromq.js does not wait either.
 */
function waitForLingering(): void {
  const waiting: LingeringSocket[] = []
  for (const ref of sockets) {
    const s = ref.deref()
    if (!s) {
      sockets.delete(ref)
      continue
    }
    if (!s.undelivered) {
      if (s.closed) sockets.delete(ref)
      continue
    }
    if (!s.closed) {
      if (s.linger === 0) continue
      s.close()
      if (!s.undelivered) continue
    }
    waiting.push(s)
  }
  if (waiting.length === 0) return
  const started = Date.now()
  const warned = new Set<object>()
  const timer = setInterval(() => {
    let left = 0
    for (let i = 0; i < waiting.length; i++) {
      const s = waiting[i]!
      if (!s.undelivered) continue
      waiting[left++] = s
      if (Date.now() - started >= WARN_AFTER && !warned.has(s.context)) {
        warned.add(s.context)
        // zeromq.js prints this itself (Node's warning machinery is gone by then), in this form.
        const hint = s.context.blocky ? " Set 'context.blocky = false' to change this behaviour." : ""
        process.stderr.write(`(node:${process.pid}) WARNING: Waiting for queued ZeroMQ messages to be delivered.${hint}\n`)
      }
    }
    waiting.length = left
    if (left === 0) clearInterval(timer)
  }, POLL_INTERVAL)
}
