// Shared helper: which runtime runs this probe.
export const rt = process.versions.bun ? `bun ${process.versions.bun}` : globalThis.Deno ? `deno ${Deno.version.deno}` : `node ${process.version}`
export const rss = () => Math.round(process.memoryUsage().rss / 1048576)
