/**
 * A turn of the event loop in which the runtime reads its sockets: what zmtp awaits where a loop
 * that would otherwise never stop (a tight `await send()` loop whose sends resolve at once) must let
 * pending I/O run: a full queue drain into the kernel, a peer's data or close be read.
 *
 * Node and Bun run setImmediate callbacks in the check phase, after polling for I/O, and
 * setTimeout(0) costs a millisecond there, so setImmediate is the turn. Deno 2.9 runs immediates
 * before its I/O phase: a loop that yields with setImmediate never lets a socket be read (measured:
 * a client writing 16 KiB chunks with a setImmediate between them saw the server's close only after
 * 1,015,808 octets, 49,152 under Node; with setTimeout(0) 32,768), so there the turn is a timer
 * (denoland/deno#32578 would move immediates after I/O).
 */
export const ioTurn: () => Promise<void> =
  "Deno" in globalThis
    ? () => new Promise<void>((resolve) => setTimeout(resolve, 0))
    : () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Whether {@link ioTurn} itself waits: true where it is a timer (Deno: 1.2 ms at least, 2.2 ms median
 * with nothing else to do, measured under Deno 2.9.6), false where it is setImmediate (microseconds,
 * plus the I/O it lets run). A caller that budgets its turns by the clock counts from a waiting
 * turn's end, or it would take a turn on every call.
 */
export const IO_TURN_WAITS: boolean = "Deno" in globalThis
