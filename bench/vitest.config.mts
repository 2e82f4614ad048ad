// `npm run bench`: the benchmarks run as vitest files (they reuse the test
// harness: namespaces, the real peers) but assert nothing about time: they
// print a table and write dist/bench-*.json; bench/summary.ts prints the
// figures netevd has targets for, side by side, when the run ends.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["bench/**/*.bench-test.ts"],
    globalSetup: ["bench/summary.ts"],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: false,
  },
});
