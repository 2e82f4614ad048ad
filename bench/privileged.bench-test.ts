// What running a hook as root costs: netevd's own measure of each run (the
// audit log's duration_ms, from asking to the exit status) for a hook that
// does nothing, unprivileged and privileged, on the same events in the same
// run, in the booted package container with the real systemd (the privileged
// one is a transient unit). Needs root, systemd-nspawn, the package test's
// rootfs and the .deb (`npm run package`).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import { isRoot, tempDir } from "../test/helpers/tmp";
import { summarize, table, writeResults } from "./stats";

const ROUNDS = 40;
const root = join(__dirname, "..");
const dist = join(root, "dist");
const rootfs = process.env.NETEVD_ROOTFS ?? "/var/cache/netevd-test/rootfs";
const deb = () => readdirSync(dist).find((f) => /^netevd_.*_amd64\.deb$/.test(f));
const canBoot =
  isRoot && spawnSync("sh", ["-c", "command -v systemd-nspawn"]).status === 0 && existsSync(rootfs);

describe.runIf(canBoot)("privileged hooks", () => {
  it("a hook that does nothing: unprivileged vs privileged (transient unit), same events", () => {
    if (!deb()) spawnSync("npm", ["run", "package"], { cwd: root, stdio: "inherit" });
    const pkg = deb();
    if (!pkg) throw new Error("no .deb in dist/: npm run package");
    const input = tempDir();
    mkdirSync(join(input, "pkg"));
    copyFileSync(join(dist, pkg), join(input, "pkg", pkg));
    writeFileSync(join(input, "rounds"), String(ROUNDS));
    const out = join(tempDir(), "out");
    const r = spawnSync(
      join(root, "test", "packaging", "container", "boot-run.sh"),
      [
        "-r",
        rootfs,
        "-o",
        out,
        "-t",
        "300",
        "-i",
        input,
        join(root, "test", "packaging", "container", "bench-privileged.sh"),
      ],
      { encoding: "utf8" },
    );
    const audit = join(out, "audit.jsonl");
    if (r.status !== 0 || !existsSync(audit))
      throw new Error(`container run failed (${r.status}): ${r.stdout}${r.stderr}`);
    const entries = readFileSync(audit, "utf8")
      .split("\n")
      .filter(Boolean)
      .map(
        (l) => JSON.parse(l) as { action: string; script?: string; duration_ms?: number; exit_code?: number },
      );
    const durations = (name: string) =>
      entries
        .filter((e) => e.action === "script.run" && e.script?.endsWith(name) && e.exit_code === 0)
        .map((e) => e.duration_ms ?? NaN);
    const plain = summarize(durations("/10-plain"));
    const priv = summarize(durations("/20-root"));
    const floorFile = join(out, "systemd-run.us");
    const floor = existsSync(floorFile)
      ? readFileSync(floorFile, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => Number(l) / 1000)
      : [];
    const rows = [
      { scenario: "hook run (exit 0)", subject: "unprivileged (netevd's user)", summary: plain },
      { scenario: "hook run (exit 0)", subject: "privileged (transient unit)", summary: priv },
      {
        scenario: "hook run (exit 0)",
        subject: "systemd-run --wait, as root (floor)",
        summary: summarize(floor),
      },
    ];
    console.log(table(rows));
    console.log(`privileged adds ${(priv.median - plain.median).toFixed(1)} ms (median)`);
    // Where a privileged run's time goes, as the executor measured it (the rest: the request and the reply).
    const timing = existsSync(join(out, "timing.jsonl"))
      ? readFileSync(join(out, "timing.jsonl"), "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, string>)
      : [];
    const phases = [
      ["the executor's checks", "NETEVD_TIMING_CHECKS"],
      ["StartTransientUnit answered", "NETEVD_TIMING_START"],
      ["its start job (the unit runs)", "NETEVD_TIMING_JOB"],
      ["the run, until systemd says it ended", "NETEVD_TIMING_RUN"],
      ["reading its result", "NETEVD_TIMING_COLLECT"],
    ].map(([subject, field]) => ({
      scenario: "privileged run, by phase",
      subject: subject as string,
      summary: summarize(timing.map((t) => Number(t[field as string]))),
    }));
    if (timing.length) console.log(table(phases));
    writeResults("bench-privileged.json", { rounds: ROUNDS, rows, phases });
  });
});
