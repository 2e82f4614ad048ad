import { readFileSync } from "node:fs";
import { join } from "node:path";

export const NETLINK_FIXTURES = join(__dirname, "..", "fixtures", "netlink");

/** Datagrams of a captured dump (scripts/capture-netlink-fixtures.mjs: each prefixed with its u32 length). */
export function fixtureDatagrams(name: string): Buffer[] {
  const bytes = readFileSync(join(NETLINK_FIXTURES, `${name}.bin`));
  const out: Buffer[] = [];
  for (let off = 0; off < bytes.length;) {
    const len = bytes.readUInt32LE(off);
    out.push(bytes.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

/** A checked-in fixture file's path, relative to test/fixtures. */
export function fixture(name: string): string {
  return join(__dirname, "..", "fixtures", name);
}
