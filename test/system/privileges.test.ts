// Real privilege drops in child processes, read back from /proc/self/status.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isRoot } from "../helpers/tmp";

const dist = join(__dirname, "..", "..", "dist", "src");
const NET_ADMIN = "0000000000001000";

/** A child node that drops privileges as the daemon does, then reports its own and a script's state. */
function run(grant: string[] = [], prefix: string[] = []) {
  const script = `
    const { realBinding } = require(${JSON.stringify(join(dist, "native", "real.js"))});
    const { dropPrivileges, grantScriptCapabilities } = require(${JSON.stringify(join(dist, "system", "privileges.js"))});
    const { getLogger, configureLogging } = require(${JSON.stringify(join(dist, "log", "logger.js"))});
    const { readFileSync } = require("node:fs");
    const { spawnSync } = require("node:child_process");
    configureLogging({ write: () => {} });
    const b = realBinding();
    const log = getLogger("test");
    const status = (text) => Object.fromEntries(text.split("\\n").filter((l) => /^(Uid|Gid|Cap\\w+):/.test(l)).map((l) => l.split(/:\\s+/)));
    dropPrivileges(b, { user: "nobody", keep: ["CAP_NET_ADMIN"], log });
    grantScriptCapabilities(b, ${JSON.stringify(grant)}, log);
    const self = status(readFileSync("/proc/self/status", "utf8"));
    // A "script": a plain executable started the way the runner starts scripts.
    const child = status(spawnSync("/bin/cat", ["/proc/self/status"], { encoding: "utf8", env: {} }).stdout);
    // CAP_NET_ADMIN in use: SO_RCVBUFFORCE beyond rmem_max only works with it.
    const h = b.openNetlink(0);
    const forced = h.setReceiveBuffer(64 * 1024 * 1024);
    console.log(JSON.stringify({ self, child, forced }));
  `;
  const r = spawnSync(
    prefix[0] ?? process.execPath,
    [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), "-e", script],
    {
      encoding: "utf8",
    },
  );
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as {
    self: Record<string, string>;
    child: Record<string, string>;
    forced: number;
  };
}

describe.runIf(isRoot)("privilege drop", () => {
  it("started as root: becomes the user with CAP_NET_ADMIN only; scripts get no capabilities", () => {
    const { self, child, forced } = run();
    expect(self.Uid).toBe("65534\t65534\t65534\t65534");
    expect(self.CapEff).toBe(NET_ADMIN);
    expect(self.CapPrm).toBe(NET_ADMIN);
    expect(self.CapInh).toBe("0000000000000000");
    expect(self.CapAmb).toBe("0000000000000000");
    expect(self.CapBnd).toBe(NET_ADMIN);
    expect(forced).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    expect(child.Uid).toBe("65534\t65534\t65534\t65534");
    expect(child.CapEff).toBe("0000000000000000");
    expect(child.CapPrm).toBe("0000000000000000");
  });

  it("started as the user with ambient CAP_NET_ADMIN (as systemd does): keeps it, clears the ambient set", () => {
    const setpriv = [
      "/usr/bin/setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "--inh-caps=+net_admin",
      "--ambient-caps=+net_admin",
    ];
    const { self, child } = run([], setpriv);
    expect(self.CapEff).toBe(NET_ADMIN);
    expect(self.CapAmb).toBe("0000000000000000");
    expect(self.CapInh).toBe("0000000000000000");
    expect(child.CapEff).toBe("0000000000000000");
  });

  it("gives scripts exactly scripts.ambient_capabilities, and only what netevd has", () => {
    const { child } = run(["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]);
    expect(child.CapEff).toBe(NET_ADMIN);
    expect(child.CapAmb).toBe(NET_ADMIN);
  });
});
