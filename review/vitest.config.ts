import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"
// Probe scripts of the adversarial review of issue 16 (pub-sub): `npx vitest run -c review/vitest.config.ts`.
export default defineConfig({
  test: { root: fileURLToPath(new URL("..", import.meta.url)), include: ["review/**/*.probe.ts"], pool: "forks", testTimeout: 30_000 },
})
