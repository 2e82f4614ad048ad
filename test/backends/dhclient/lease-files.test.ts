// The lease-file watcher sees every way dhclient changes a file: append,
// in-place truncate-and-rewrite (same inode), rename over, removal, and a
// directory that appears later.
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FileLeases, LeaseFiles } from "../../../src/backends/dhclient/lease-files";
import { getLogger } from "../../../src/log/logger";
import { waitFor } from "../../helpers/proc";
import { tempDir } from "../../helpers/tmp";

const block = (ifname: string, addr: string) =>
  `lease {\n  interface "${ifname}";\n  fixed-address ${addr};\n  option routers 10.0.0.1;\n}\n`;

let watcher: LeaseFiles | undefined;
afterEach(() => watcher?.close());

function watch(patterns: string[]) {
  const seen: { file: string; leases: FileLeases }[] = [];
  watcher = new LeaseFiles({
    patterns,
    log: getLogger("test"),
    onChange: (file, leases) => seen.push({ file, leases }),
    debounceMs: 20,
    pollMs: 50,
  });
  watcher.start();
  const last = () => seen.at(-1)?.leases.get("eth0/4")?.address;
  return { seen, last };
}

describe("lease file watching", () => {
  it("reads existing files at start, then appends, truncate+rewrite in place, rename over, removal", async () => {
    const dir = tempDir();
    const file = join(dir, "dhclient.eth0.leases");
    writeFileSync(file, block("eth0", "10.0.0.10"));
    writeFileSync(join(dir, "unrelated.txt"), "x");
    const { seen, last } = watch([join(dir, "dhclient.*.leases")]);
    expect(last()).toBe("10.0.0.10");

    appendFileSync(file, block("eth0", "10.0.0.11"));
    expect(await waitFor(() => last() === "10.0.0.11", 3000)).toBe(true);

    // A half-written block appended: once the file has been read again, the previous complete one still counts.
    const reads = seen.length;
    appendFileSync(file, 'lease {\n  interface "eth0";\n  fixed-address 10.0.0.99;\n');
    expect(await waitFor(() => seen.length > reads, 3000)).toBe(true);
    expect(last()).toBe("10.0.0.11");

    const inode = statSync(file).ino;
    writeFileSync(file, block("eth0", "10.0.0.12")); // O_TRUNC: same inode
    expect(statSync(file).ino).toBe(inode);
    expect(await waitFor(() => last() === "10.0.0.12", 3000)).toBe(true);

    writeFileSync(`${file}.tmp`, block("eth0", "10.0.0.13"));
    renameSync(`${file}.tmp`, file);
    expect(await waitFor(() => last() === "10.0.0.13", 3000)).toBe(true);

    rmSync(file);
    expect(await waitFor(() => seen.at(-1)?.leases.size === 0, 3000)).toBe(true);
    expect(seen.every((s) => s.file === file)).toBe(true);
  });

  it("picks up a directory created after start", async () => {
    const base = tempDir();
    const dir = join(base, "later");
    const { last } = watch([join(dir, "dhclient.leases")]);
    mkdirSync(dir);
    writeFileSync(join(dir, "dhclient.leases"), block("eth0", "10.0.0.20"));
    expect(await waitFor(() => last() === "10.0.0.20", 3000)).toBe(true);
  });
});
