/** Small helpers the commands share: option parsing, number flags, IPC with a parent, stopping. */
import { parseArgs, type ParseArgsConfig } from "node:util"
import { UsageError } from "./errors.js"

export type Options = NonNullable<ParseArgsConfig["options"]>

/** parseArgs in strict mode, with --help on every command. */
export function parse(
  command: string,
  argv: string[],
  options: Options,
  positionals = false,
): { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: positionals, strict: true })
  } catch (e) {
    // Node's parseArgs messages may span lines; the CLI reports one.
    throw new UsageError((e as Error).message.replace(/\s*\n\s*/g, " "), command)
  }
}

/** A whole number flag within bounds. */
export function int(command: string, name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be a whole number >= ${min}, not ${JSON.stringify(value)}`, command)
  return Number(value)
}

/** A positive number flag (fractions allowed), e.g. seconds. */
export function num(command: string, name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, not ${JSON.stringify(value)}`, command)
  return n
}

/** Tells the parent process (when forked by `zmtp start`) something; a no-op otherwise. */
export function tellParent(msg: Record<string, unknown>): void {
  if (process.send && process.connected) process.send(msg)
}

/**
 * Resolves when the command should stop: Ctrl-C (SIGINT), SIGTERM, a {type: "stop"} message from the
 * parent, or the parent going away (the IPC channel closing), so no child outlives `zmtp start`.
 * A child of `zmtp start` ignores SIGINT: Ctrl-C reaches the whole process group, and the parent
 * then stops the parts in order (client first, broker last) so no call is cut off halfway.
 */
export function stopSignal(cancel?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off("SIGINT", onInt)
      process.off("SIGTERM", onTerm)
      process.off("message", onMessage)
      process.off("disconnect", onDisconnect)
      resolve(why)
    }
    const onInt = () => {
      if (!process.send) done("SIGINT")
    }
    const onTerm = () => done("SIGTERM")
    const onMessage = (m: unknown) => {
      if ((m as { type?: string })?.type === "stop") done("stop")
    }
    const onDisconnect = () => done("parent gone")
    process.on("SIGINT", onInt)
    process.on("SIGTERM", onTerm)
    if (process.send) {
      process.on("message", onMessage)
      process.on("disconnect", onDisconnect)
    }
    cancel?.addEventListener("abort", () => done("cancelled"), { once: true })
  })
}

/**
 * Runs `work` (a command's wait for a reply) until it settles or the command is told to stop, as
 * {@link stopSignal} says. The handler matters even for a one-shot command: a process started with
 * SIGINT ignored (a shell's background job) keeps it ignored under Bun, which, unlike Node and
 * Deno, does not reset it at start-up, so without a handler Ctrl-C could not end the wait.
 */
export async function unlessStopped<T>(work: () => Promise<T>): Promise<{ value: T } | { stopped: string }> {
  const cancel = new AbortController()
  const stopped = stopSignal(cancel.signal).then((why) => ({ stopped: why }))
  const running = work().then((value) => ({ value }))
  try {
    return await Promise.race([running, stopped])
  } finally {
    cancel.abort()
    // Stopped first: the caller closes the socket, and the wait it ends rejects unheard.
    running.catch(() => {})
  }
}

/** Prints a line unless quiet. */
export function say(quiet: boolean | undefined, line: string): void {
  if (!quiet) console.log(line)
}
