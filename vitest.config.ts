import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "spec-tests/**/*.test.ts", "interop/**/*.test.ts", "bench/**/*.test.ts"],
    // Forks, not threads: the zeromq.js addon (the libzmq reference) is safest one per process.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
})
