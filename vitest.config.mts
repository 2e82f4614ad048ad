import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Script-runner tests spawn real processes and wait on real timeouts.
    testTimeout: 30_000,
    pool: "forks",
  },
});
