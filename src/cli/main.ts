#!/usr/bin/env node
/**
 * The zmtp command: a broker, a demo RPC server, one-off calls, raw REQ/REP for quick tests, a load
 * generator, and `start`, which runs the whole pipeline. Every command takes --help. A mistake is
 * reported as one line (`zmtp: ...`), never a stack trace.
 */
import { broker, call, help, load, rep, req, serve, HELP } from "./commands.js"
import { describeError, UsageError } from "./errors.js"
import { start, START_HELP } from "./start.js"

declare const __ZMTP_VERSION__: string | undefined

const USAGE = `Usage: zmtp <command> [options]   (zmtp <command> --help for details)

Commands:
  start     run broker + 2 servers + a client, print calls/s and latency, stop after 5 s
  broker    run a ROUTER/DEALER broker (--frontend tcp://*:5555 --backend ipc:///tmp/zmtp-backend.sock)
  serve     run a demo RPC server (echo, add, sleep, fail, info) behind a broker
  call      call an RPC method:  zmtp call add '[1, 2]'
  load      drive calls at a broker and print calls/s, p50/p99 latency, errors
  req       send one request from a REQ socket and print the reply
  rep       answer requests on a REP socket, printing them`

const commands: Record<string, (argv: string[]) => Promise<number>> = { start, broker, serve, call, load, req, rep }

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    if (cmd === "help" && rest[0]) return rest[0] === "start" ? (console.log(START_HELP), 0) : HELP[rest[0]] ? help(rest[0]) : main([rest[0]])
    console.log(USAGE)
    return 0
  }
  if (cmd === "--version" || cmd === "-v") {
    console.log(typeof __ZMTP_VERSION__ === "string" ? __ZMTP_VERSION__ : "zmtp")
    return 0
  }
  const run = commands[cmd]
  if (!run) throw new UsageError(`unknown command ${JSON.stringify(cmd)}`)
  return run(rest)
}

const argv = process.argv.slice(2)
/**
 * Lets the process end by itself, so that closed sockets can flush what they still hold (their
 * linger), but never waits more than 2 s for stray handles.
 */
function finish(code: number): void {
  process.exitCode = code
  setTimeout(() => process.exit(code), 2000).unref()
  if (process.connected) process.disconnect()
}

main(argv).then(
  (code) => finish(typeof process.exitCode === "number" && process.exitCode !== 0 ? process.exitCode : code),
  (e: unknown) => {
    const { line, exitCode } = describeError(e, argv[0] && commands[argv[0]] ? argv[0] : undefined)
    console.error(`zmtp: ${line}`)
    finish(exitCode)
  },
)
