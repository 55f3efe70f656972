import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "spec-tests/**/*.test.ts", "interop/**/*.test.ts", "bench/**/*.test.ts"],
    // Forks, not threads: the zeromq.js addon (the libzmq reference) is safest one per process.
    pool: "forks",
    // Most tests wait on sockets and timers, not the CPU: four forks on two cores overlap those
    // waits and keep `npm test` under its 10-minute budget.
    maxWorkers: 4,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
})
