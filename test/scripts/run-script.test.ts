// Real processes: process groups, timeouts, output handling.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getLogger } from "../../src/log/logger";
import { realBinding } from "../../src/native/real";
import { MAX_LINE_BYTES, MAX_OUTPUT_LINES, runScript } from "../../src/scripts/run-script";
import { captureLogs } from "../helpers/logs";
import { alive, waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

const log = getLogger("test");
const binding = realBinding();

describe("running one script", () => {
  const logs = captureLogs();

  it("reports exit status and duration, with exactly the environment given and stdin /dev/null", async () => {
    const dir = tempDir();
    const out = join(dir, "out");
    const script = writeScript(
      dir,
      "s",
      `env > ${out}.env; readlink /proc/self/fd/0 > ${out}.stdin; ps -o pgid= -p $$ > ${out}.pgid; echo $$ > ${out}.pid; exit 3`,
    );
    const r = await runScript("s", script, {
      binding,
      env: { PATH: "/usr/bin:/bin", LINK: "eth0" },
      timeoutMs: 10_000,
      log,
    });
    expect(r.exitCode).toBe(3);
    expect(r.timedOut).toBe(false);
    expect(r.durationMs).toBeGreaterThan(0);
    const env = readFileSync(`${out}.env`, "utf8").trim().split("\n").sort();
    expect(
      env.filter((l) => !l.startsWith("PWD=") && !l.startsWith("SHLVL=") && !l.startsWith("_=")),
    ).toEqual(["LINK=eth0", "PATH=/usr/bin:/bin"]);
    expect(readFileSync(`${out}.stdin`, "utf8").trim()).toBe("/dev/null");
    // Its own process group: the script leads it.
    expect(readFileSync(`${out}.pgid`, "utf8").trim()).toBe(readFileSync(`${out}.pid`, "utf8").trim());
  });

  it("kills the whole group on timeout: a sleeping grandchild does not survive", async () => {
    const dir = tempDir();
    const pidFile = join(dir, "grandchild");
    // The grandchild ignores SIGTERM, so only the SIGKILL after the grace time ends it.
    const script = writeScript(
      dir,
      "hang",
      `sh -c 'trap "" TERM; echo $$ > ${pidFile}; exec sleep 300' & wait`,
    );
    const started = Date.now();
    const r = await runScript("hang", script, {
      binding,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 500,
      killGraceMs: 1000,
      log,
    });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGTERM");
    expect(existsSync(pidFile)).toBe(true);
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(await waitFor(() => !alive(grandchild))).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(logs.some((l) => l.msg.includes("sent SIGKILL"))).toBe(true);
  });

  it("logs output line by line, caps long lines and the number of lines, escapes control characters", async () => {
    const dir = tempDir();
    const long = "x".repeat(MAX_LINE_BYTES + 10);
    const script = writeScript(
      dir,
      "chatty",
      // The pause lets stderr's line arrive before stdout's flood fills the line budget (two pipes, no order between them).
      `echo first; echo oops >&2; sleep 0.3; printf '\\033[31mred\\n'; echo ${long}; i=0; while [ $i -lt ${MAX_OUTPUT_LINES + 50} ]; do echo line$i; i=$((i+1)); done; printf 'no newline'`,
    );
    const r = await runScript("chatty", script, {
      binding,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 10_000,
      log,
    });
    expect(r.exitCode).toBe(0);
    expect(r.outputTruncated).toBe(true);
    const lines = logs.filter((l) => l.script === "chatty" && l.stream);
    const stdout = lines.filter((l) => l.stream === "stdout");
    expect(lines.filter((l) => l.stream === "stderr")).toMatchObject([{ msg: "oops", level: "warn" }]);
    expect(stdout[0]).toMatchObject({ msg: "first", level: "info" });
    expect(stdout[1]?.msg).toBe("\\x1b[31mred");
    expect(stdout[2]?.msg).toBe(`${"x".repeat(MAX_LINE_BYTES)} […]`);
    expect(stdout[3]?.msg).toBe("xxxxxxxxxx");
    expect(lines).toHaveLength(MAX_OUTPUT_LINES);
    expect(logs.filter((l) => l.msg.includes(`output beyond ${MAX_OUTPUT_LINES} lines`))).toHaveLength(1);
  });

  it("does not wait for a background job the script left running", async () => {
    const dir = tempDir();
    const pidFile = join(dir, "bg");
    const script = writeScript(dir, "bg", `sleep 30 & echo $! > ${pidFile}; echo done`);
    const started = Date.now();
    const r = await runScript("bg", script, {
      binding,
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 10_000,
      log,
    });
    expect(r.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(logs.some((l) => l.msg === "done")).toBe(true);
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
  });

  it("reports a script that cannot start", async () => {
    const dir = tempDir();
    const script = writeScript(dir, "noexec", "#!/nonexistent/interpreter\n");
    const r = await runScript("noexec", script, {
      binding,
      env: {},
      timeoutMs: 1000,
      log,
    });
    expect(r.exitCode).toBeNull();
    expect(r.spawnError).toMatch(/ENOENT/);
  });

  it("runs a script without a #! line with /bin/sh, as execvp does, and reports the signal that ended one", async () => {
    const dir = tempDir();
    const plain = join(dir, "plain");
    writeFileSync(plain, 'echo "plain $1"\n', { mode: 0o755 });
    const r = await runScript("plain", plain, {
      binding,
      env: { PATH: "/usr/bin:/bin" },
      args: ["arg"],
      timeoutMs: 5000,
      log,
    });
    expect(r).toMatchObject({ exitCode: 0, signal: null });
    expect(logs.filter((l) => l.msg.startsWith("plain")).map((l) => l.msg)).toEqual(["plain arg"]);
    const killed = await runScript("killed", writeScript(dir, "killed", "kill -USR1 $$"), {
      binding,
      env: {},
      timeoutMs: 5000,
      log,
    });
    expect(killed).toMatchObject({ exitCode: null, signal: "SIGUSR1", timedOut: false });
  });
});
