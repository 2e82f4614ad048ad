// Under dhclient, a lease already on disk at start is part of the silent first
// sync: no routable.d at a (re)start unless run_startup_triggers asks for it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

const LEASE = `lease {
  interface "sl0";
  fixed-address 10.213.9.5;
  option subnet-mask 255.255.255.0;
  option domain-name-servers 10.213.9.1;
  expire never;
}
`;

describe.runIf(canNetns)("dhclient: a lease present at start", () => {
  for (const triggers of [false, true]) {
    it(`runs routable.d ${triggers ? "once, with DHCP_*, with" : "not at all without"} run_startup_triggers`, async () => {
      const ns = createNetns();
      veth(ns, "sl0", "sl1");
      ip(ns, "addr", "add", "10.213.9.5/24", "dev", "sl0");
      const dir = tempDir();
      const leases = tempDir();
      writeFileSync(join(leases, "dhclient.sl0.leases"), LEASE);
      recordingScripts(dir, ["routable", "off"]);
      const config = join(dir, "netevd.yaml");
      writeFileSync(
        config,
        `system: { backend: dhclient, user: nobody }\nmonitoring: { interfaces: [sl0] }\nscripts: { dir: ${dir}, run_startup_triggers: ${triggers} }\nbackends: { dhclient: { lease_files: ["${leases}/dhclient.*.leases"] } }\n`,
      );
      const d = startDaemon(ns, config);
      try {
        expect(await waitFor(() => d.output().includes("ready: ")), d.output()).toBe(true);
        if (triggers) {
          expect(await waitFor(() => recorded(dir, "routable", "sl0").length === 1), d.output()).toBe(true);
          expect(recorded(dir, "routable", "sl0")[0]).toMatchObject({ DHCP_ADDRESS: "10.213.9.5" });
        } else {
          // One link's scripts run in order: once off.d ran, a startup
          // routable.d would have run before it.
          ip(ns, "link", "set", "sl0", "down");
          expect(await waitFor(() => recorded(dir, "off", "sl0").length === 1), d.output()).toBe(true);
          expect(recorded(dir, "routable", "sl0")).toEqual([]);
        }
        d.child.kill("SIGTERM");
        expect(await d.exit).toBe(0);
      } finally {
        d.child.kill("SIGKILL");
      }
    });
  }
});
