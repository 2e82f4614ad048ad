// A fleet's central journal in small: systemd-journal-remote listening over
// HTTP on the loopback of a namespace of its own, fed by systemd-journal-upload
// from a journal directory (a container's, a host's), as journal-upload feeds
// it from each host of a fleet. Returns the directory journal-remote wrote,
// for journalctl -D.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { createNetns, ip } from "./netns";
import { waitFor } from "./proc";
import { tempDir } from "./tmp";

const PORT = 19532;

export async function shipJournal(journalDir: string): Promise<string> {
  const ns = createNetns();
  ip(ns, "link", "set", "lo", "up");
  const out = tempDir();
  const remote = spawn(
    "ip",
    [
      "netns",
      "exec",
      ns,
      "/lib/systemd/systemd-journal-remote",
      `--listen-http=${PORT}`,
      "--split-mode=none",
      `--output=${join(out, "remote.journal")}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  remote.stderr.on("data", (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  try {
    // Until journal-remote listens: an upload that cannot connect fails at once.
    let upload = "";
    const uploaded = await waitFor(() => {
      const r = spawnSync(
        "ip",
        [
          "netns",
          "exec",
          ns,
          "/lib/systemd/systemd-journal-upload",
          "--follow=no",
          `--url=http://127.0.0.1:${PORT}`,
          `--directory=${journalDir}`,
        ],
        { encoding: "utf8", timeout: 60_000 },
      );
      upload = r.stdout + r.stderr;
      return r.status === 0;
    }, 15_000);
    if (!uploaded) throw new Error(`systemd-journal-upload failed: ${upload}\njournal-remote: ${log}`);
    return out;
  } finally {
    remote.kill("SIGTERM");
    if (remote.exitCode === null && remote.signalCode === null)
      await new Promise((r) => remote.once("exit", r));
  }
}
