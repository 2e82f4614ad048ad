// Namespaces coming and going: 100 created and deleted one after another, then
// a burst created and deleted without waiting. Every namespace netevd saw gets
// exactly `created` then `deleted`; afterwards the daemon holds as many fds as
// before (a socket left open would also keep the namespace alive), its memory
// is back near where it was, and netevd-privileged kept none of the sockets it
// handed over.
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, deleteNetns } from "../helpers/netns";
import { fdCount, rssMb, waitFor } from "../helpers/proc";
import { startExecutor } from "../helpers/privileged";
import { rootOnlyDir, tempDir, writeScript } from "../helpers/tmp";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");

describe.runIf(canNetns)("namespace churn", () => {
  it("delivers created and deleted in order for each of 100 namespaces and leaks nothing", async () => {
    const dir = rootOnlyDir();
    const out = tempDir();
    chmodSync(out, 0o777);
    const log = join(out, "netns");
    writeScript(join(dir, "netns.d"), "10-record", `echo "$NETNS $NETNS_ACTION" >> ${log}`);
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: none, user: nobody }
monitoring: { namespaces: ["nvt${process.pid}x*"] }
scripts: { dir: ${dir} }
`,
    );
    const executor = await startExecutor(dir, config);
    chmodSync(executor.socket, 0o666);
    const d = startDaemon(createNetns(), config, { NETEVD_PRIVILEGED_SOCKET: executor.socket });
    cleanups.push(() => d.child.kill("SIGKILL"));
    expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
    const pid = d.child.pid as number;
    const executorPid = executor.pid;
    const lines = () => read(log).split("\n").filter(Boolean);
    const cycle = async () => {
      const name = createNetns();
      const created = await waitFor(() => lines().includes(`${name} created`), 10_000);
      deleteNetns(name);
      return { name, created };
    };
    // Warm up (first sockets, first script runs), then measure.
    const names: string[] = [];
    for (let i = 0; i < 10; i++) names.push((await cycle()).name);
    expect(await waitFor(() => lines().length === 20), d.output()).toBe(true);
    // The last script's pipes and pidfd closed: the count holds still over two looks.
    let last = -1;
    expect(
      await waitFor(() => {
        const n = fdCount(pid);
        const still = n === last;
        last = n;
        return still;
      }),
    ).toBe(true);
    const fds0 = fdCount(pid);
    const rss0 = rssMb(pid);
    const executorFds0 = fdCount(executorPid);
    for (let i = 0; i < 100; i++) {
      const c = await cycle();
      expect(c.created, `${c.name}: no created event\n${d.output().slice(-2000)}`).toBe(true);
      names.push(c.name);
    }
    // A burst: created and deleted before netevd may even have looked.
    const burst = Array.from({ length: 20 }, () => createNetns());
    for (const name of burst) deleteNetns(name);
    expect(await waitFor(() => lines().length >= 220, 20_000), d.output().slice(-2000)).toBe(true);
    // Whatever the burst still brings: a namespace made after it is seen after it, and
    // then every netns event dispatched (logged) has its line.
    const marker = createNetns();
    expect(await waitFor(() => lines().includes(`${marker} created`), 10_000)).toBe(true);
    deleteNetns(marker);
    expect(await waitFor(() => lines().includes(`${marker} deleted`), 10_000)).toBe(true);
    const dispatched = () => (d.output().match(/"msg":"event netns"/g) ?? []).length;
    expect(
      await waitFor(() => lines().length === dispatched(), 10_000),
      `${lines().length} vs ${dispatched()}`,
    ).toBe(true);
    const seen = lines();
    for (const name of names) {
      expect(seen.filter((l) => l.startsWith(`${name} `))).toEqual([`${name} created`, `${name} deleted`]);
    }
    for (const name of burst) {
      const mine = seen.filter((l) => l.startsWith(`${name} `));
      expect([[], [`${name} created`, `${name} deleted`]]).toContainEqual(mine);
    }
    expect(await waitFor(() => fdCount(pid) <= fds0, 5_000), `fds ${fdCount(pid)} vs ${fds0}`).toBe(true);
    expect(fdCount(executorPid)).toBe(executorFds0);
    // Memory: a few MB of heap growth is the garbage collector's choice, not a leak per namespace.
    expect(rssMb(pid) - rss0).toBeLessThan(16);
    expect(d.output()).not.toMatch(/"level":"error"/);
  }, 180_000);
});
