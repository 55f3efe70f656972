/** `node:dns` in the browser build: nothing resolves (tcp:// is refused in a page, browser/endpoint.ts). */
type Cb = (err: Error | null, address: string, family?: number) => void

export const V4MAPPED = 8

export function lookup(_host: string, _opts: unknown, cb?: Cb): void {
  const done = (typeof _opts === "function" ? _opts : cb) as Cb
  queueMicrotask(() => done(Object.assign(new Error("no DNS in a web page"), { code: "ENOTFOUND" }), ""))
}
