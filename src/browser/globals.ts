/**
 * Globals the browser build injects (esbuild `inject`, see bundle.ts) in place of Node's, for the
 * library's own code only: a page's globals are left alone.
 *
 * - Timers: Node's setTimeout returns an object with unref()/ref() (an idle socket must not hold
 *   the process, lifetime.ts); a browser's returns a number. These wrappers give the handle those
 *   methods (nothing holds a page open, so they do nothing) and clear by the handle.
 * - `process`: nextTick (as a microtask: same order guarantee, before timers), emitWarning (to the
 *   console), and inert exit hooks (a page has no beforeExit).
 */

/** A timer handle shaped like Node's Timeout as the library uses it. */
class BrowserTimer {
  constructor(readonly id: ReturnType<typeof globalThis.setTimeout>) {}
  unref(): this {
    return this
  }
  ref(): this {
    return this
  }
  hasRef(): boolean {
    return false
  }
  [Symbol.toPrimitive](): number {
    return this.id as unknown as number
  }
}

type Handle = BrowserTimer | number | undefined | null

function idOf(h: Handle): ReturnType<typeof globalThis.setTimeout> | undefined {
  if (h === undefined || h === null) return undefined
  return (typeof h === "object" ? h.id : h) as ReturnType<typeof globalThis.setTimeout>
}

const g = globalThis

function browserSetTimeout(f: (...a: unknown[]) => void, ms?: number, ...args: unknown[]): BrowserTimer {
  return new BrowserTimer(g.setTimeout(f, ms, ...args))
}
function browserSetInterval(f: (...a: unknown[]) => void, ms?: number, ...args: unknown[]): BrowserTimer {
  return new BrowserTimer(g.setInterval(f, ms, ...args))
}
function browserClearTimeout(h: Handle): void {
  g.clearTimeout(idOf(h))
}
function browserClearInterval(h: Handle): void {
  g.clearInterval(idOf(h))
}

/** The parts of Node's `process` the library reads. */
interface BrowserProcess {
  platform: string
  pid: number
  env: Record<string, string | undefined>
  nextTick(f: (...a: unknown[]) => void, ...args: unknown[]): void
  emitWarning(w: string | Error, opts?: unknown): void
  on(): BrowserProcess
  off(): BrowserProcess
  once(): BrowserProcess
  stderr: { write(s: string): boolean }
}

const browserProcess: BrowserProcess = {
  platform: "browser",
  pid: 0,
  env: {} as Record<string, string | undefined>,
  nextTick(f: (...a: unknown[]) => void, ...args: unknown[]): void {
    queueMicrotask(() => f(...args))
  },
  emitWarning(w: string | Error, opts?: unknown): void {
    console.warn(typeof w === "string" ? w : w.message, opts ?? "")
  },
  on(): BrowserProcess {
    return browserProcess
  },
  off(): BrowserProcess {
    return browserProcess
  },
  once(): BrowserProcess {
    return browserProcess
  },
  stderr: {
    write(s: string): boolean {
      console.warn(s)
      return true
    },
  },
}

export {
  browserSetTimeout as setTimeout,
  browserSetInterval as setInterval,
  browserClearTimeout as clearTimeout,
  browserClearInterval as clearInterval,
  browserProcess as process,
}
