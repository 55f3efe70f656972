/** Test helpers: ephemeral endpoints, temporary ipc paths, and socket cleanup. */
import { randomBytes } from "node:crypto"
import { existsSync, unlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const made: string[] = []

/** A fresh ipc endpoint under the temp dir; removed by {@link cleanupIpc}. */
export function ipcEndpoint(): string {
  const p = join(tmpdir(), `zmtp-test-${process.pid}-${randomBytes(5).toString("hex")}.sock`)
  made.push(p)
  return `ipc://${p}`
}

/** The bind endpoint for a transport: an ephemeral TCP port on loopback, or a fresh ipc path. */
export function bindEndpoint(transport: "tcp" | "ipc"): string {
  return transport === "tcp" ? "tcp://127.0.0.1:*" : ipcEndpoint()
}

/** Removes ipc files a test left behind. */
export function cleanupIpc(): void {
  for (const p of made.splice(0)) if (existsSync(p)) unlinkSync(p)
}

/** Closes sockets, ignoring ones already closed. */
export function closeAll(...socks: { close(): void; closed?: boolean }[]): void {
  for (const s of socks) if (!s.closed) s.close()
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Resolves to the promise's value, or rejects with a timeout error after `ms`. */
export function within<T>(p: Promise<T>, ms: number, what = "operation"): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not complete within ${ms} ms`)), ms)
    p.then(
      (v) => {
        clearTimeout(t)
        resolve(v)
      },
      (e) => {
        clearTimeout(t)
        reject(e)
      },
    )
  })
}

/** Polls `cond` until true or `ms` elapse. */
export async function until(cond: () => boolean, ms = 2000, what = "condition"): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not reached within ${ms} ms`)
    await sleep(5)
  }
}

export const transports = ["tcp", "ipc"] as const
