// `npm run bench`: the benchmarks run as vitest files (they reuse the test
// harness: namespaces, the real peers) but assert nothing about time: they
// print a table and write dist/bench-results.json.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["bench/**/*.bench-test.ts"],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: false,
  },
});
