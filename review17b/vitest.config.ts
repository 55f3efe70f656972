import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"
// Probe scripts of the adversarial review of issue 17 (Push/Pull/Pair): `npx vitest run -c review17b/vitest.config.ts`.
export default defineConfig({
  test: { root: fileURLToPath(new URL("..", import.meta.url)), include: ["review17b/**/*.probe.ts"], pool: "forks", testTimeout: 30_000 },
})
