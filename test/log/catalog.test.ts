// The shipped journal catalog: journalctl reads it, and every MESSAGE_ID
// netevd logs has its entry (a new id without one fails here).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MESSAGE_ID } from "../../src/log/message-ids";
import { tempDir } from "../helpers/tmp";

const catalog = join(__dirname, "..", "..", "systemd", "netevd.catalog");

describe("journal catalog", () => {
  it("journalctl --update-catalog takes it and lists an entry for every MESSAGE_ID", () => {
    const root = tempDir();
    mkdirSync(join(root, "usr/lib/systemd/catalog"), { recursive: true });
    mkdirSync(join(root, "var/lib/systemd/catalog"), { recursive: true });
    copyFileSync(catalog, join(root, "usr/lib/systemd/catalog/netevd.catalog"));
    execFileSync("journalctl", ["--root", root, "--update-catalog"]);
    const listed = execFileSync("journalctl", ["--root", root, "--list-catalog"], { encoding: "utf8" });
    const ids = listed
      .trim()
      .split("\n")
      .map((l) => l.split(" ")[0])
      .sort();
    expect(ids).toEqual(Object.values(MESSAGE_ID).sort());
    const failed = execFileSync("journalctl", ["--root", root, "--dump-catalog", MESSAGE_ID.scriptFailed], {
      encoding: "utf8",
    });
    // journalctl -x fills these from the message's own fields.
    for (const field of ["@NETEVD_SCRIPT@", "@NETEVD_EVENT@", "@INTERFACE@", "@NETEVD_EXIT_STATUS@"])
      expect(failed).toContain(field);
  });
});
