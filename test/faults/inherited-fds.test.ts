// Whatever descriptors the daemon inherited (a pipe or file its starter left
// open) never reach a hook: hooks start with fds 0, 1 and 2 only. Without the
// close at spawn, the hook sees the marker file open at fd 251.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

const readIfThere = (f: string) => {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return "";
  }
};

describe.runIf(canNetns)("descriptors a hook gets", () => {
  it("only 0, 1 and 2, whatever the daemon inherited", async () => {
    const ns = createNetns();
    veth(ns, "fd0", "fd1", { up: false });
    const dir = tempDir();
    const marker = join(dir, "inherited-marker");
    writeFileSync(marker, "");
    const out = join(dir, "fds");
    // The hook's descriptors as ls sees them, ls being the hook (exec): its own is the directory it reads.
    writeScript(join(dir, "degraded.d"), "50-fds", `#!/bin/sh\nexec ls -l /proc/self/fd > ${out}\n`);
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: root }\nmonitoring: { interfaces: [fd0] }\nscripts: { dir: ${dir} }\n`,
    );
    // As a starter that leaks a descriptor would: the marker file open at fd 251 (bash: dash takes one digit).
    const d = startDaemon(
      ns,
      config,
      {},
      [],
      undefined,
      `exec bash -c 'exec 251<${marker}; exec "$@"' leak "$@"`,
    );
    expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
    ip(ns, "link", "set", "fd1", "up");
    ip(ns, "link", "set", "fd0", "up");
    // ls writes its listing at its exit: the file is complete once it holds fd 2's line.
    expect(await waitFor(() => / 2 -> /.test(readIfThere(out))), d.output()).toBe(true);
    const fds = [...readIfThere(out).matchAll(/ (\d+) -> (.*)$/gm)].map((m) => [Number(m[1]), m[2]] as const);
    expect(fds.filter(([, target]) => target === marker)).toEqual([]);
    expect(fds.filter(([fd, target]) => fd > 2 && !/^\/proc\/\d+\/fd$/.test(target ?? ""))).toEqual([]);
    d.child.kill("SIGTERM");
    expect(await d.exit).toBe(0);
  });
});
