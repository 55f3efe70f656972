/** `node:path` in the browser build: the POSIX join and dirname that ipc path handling names. */
export function join(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/").replace(/\/+/g, "/")
}

export function dirname(p: string): string {
  const i = p.replace(/\/+$/, "").lastIndexOf("/")
  return i < 0 ? "." : i === 0 ? "/" : p.slice(0, i)
}
