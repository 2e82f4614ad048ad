import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** The built CLI; NETEVD_CLI points the benchmarks at another build (an older checkout, to compare). */
export const CLI = process.env.NETEVD_CLI ?? join(__dirname, "..", "..", "dist", "src", "cli", "main.js");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds first) as a user would. */
export function netevd(args: string[], env: NodeJS.ProcessEnv = {}, argv0?: string): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...env },
    ...(argv0 ? { argv0 } : {}),
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
