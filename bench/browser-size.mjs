#!/usr/bin/env node
/**
 * Size of the browser build (README "In the browser"): dist/browser.js as shipped, and minified
 * (esbuild) then gzipped (level 9), as a page would be served it. Run after `npx tsup`.
 */
import { readFileSync } from "node:fs"
import { gzipSync } from "node:zlib"
import { build } from "esbuild"

const shipped = readFileSync("dist/browser.js")
const min = (await build({ entryPoints: ["dist/browser.js"], bundle: false, minify: true, write: false, format: "esm", legalComments: "none" })).outputFiles[0].contents
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`
console.log(`dist/browser.js: ${kb(shipped.length)} (gzip ${kb(gzipSync(shipped, { level: 9 }).length)}); minified ${kb(min.length)}, minified + gzip ${kb(gzipSync(min, { level: 9 }).length)}`)
