// The project's vitest config plus one setup file that records, in every test file's worker, which
// runtime really runs it (scripts/test-runtimes.mjs checks the record against the leg it asked for).
import { fileURLToPath } from "node:url"
import { mergeConfig } from "vitest/config"
import base from "../vitest.config.ts"

export default mergeConfig(base, {
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: { setupFiles: [fileURLToPath(new URL("./runtime-record.setup.mjs", import.meta.url))] },
})
