/** `node:dns/promises` in the browser build: nothing resolves (tcp:// is refused in a page). */
export function lookup(): Promise<never> {
  return Promise.reject(Object.assign(new Error("no DNS in a web page"), { code: "ENOTFOUND" }))
}
