import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"
// Probe scripts of the adversarial review of issue 17 (Stream, option surface): `npx vitest run -c review17/vitest.config.ts`.
export default defineConfig({
  test: { root: fileURLToPath(new URL("..", import.meta.url)), include: ["review17/**/*.probe.ts"], pool: "forks", testTimeout: 30_000 },
})
