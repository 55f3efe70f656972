/**
 * zmtp's browser build (`zmtp/browser`, and the `browser` condition of "zmtp"): the same classes as
 * in Node, over ws://, wss:// (connect only: a page cannot accept connections) and inproc://. Built
 * by src/browser/bundle.ts with no Node built-in: frames are Buffers, from the `buffer` package
 * bundled in (README "In the browser").
 */
export * from "./index.js"

/**
 * What this build can do, with zeromq.js's keys: no ipc (nor tcp) in a page; CURVE as in Node.
 * Shadows the Node entry's, which reads the platform.
 */
export const capability: Readonly<{ ipc: boolean; pgm: boolean; tipc: boolean; norm: boolean; curve: boolean; gssapi: boolean; draft: boolean }> = Object.freeze({
  ipc: false,
  pgm: false,
  tipc: false,
  norm: false,
  curve: true,
  gssapi: false,
  draft: false,
})
