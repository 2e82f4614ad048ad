// Hooks written for the Rust netevd, run from /etc/netevd-style directories in
// style netevd-rust: its flat JSON (read with jq, as its users did), EVENT
// new/del in routes.d, DHCP_SUBNET_MASK, HOME and USER; netevd's own
// variables alongside.
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, ifindexOf } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

const LEASE = `lease {
  interface "rs0";
  fixed-address 10.213.9.20;
  option subnet-mask 255.255.255.0;
  option routers 10.213.9.1;
  option dhcp-lease-time 120;
  option domain-name-servers 10.213.9.1;
  renew 0 2099/11/22 04:00:00;
  rebind 0 2099/11/22 05:00:00;
  expire 0 2099/11/22 05:01:00;
}
`;

function envOf(path: string): Record<string, string> {
  const kv = readFileSync(path, "utf8").split("\0").filter(Boolean);
  return Object.fromEntries(kv.map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)]));
}

describe.runIf(canNetns)("style netevd-rust", () => {
  it("gives routable.d the flat JSON, DHCP_SUBNET_MASK, HOME/USER; routes.d EVENT new and del", async () => {
    const ns = createNetns();
    ip(ns, "link", "add", "rs0", "type", "veth", "peer", "name", "rs0p");
    ip(ns, "link", "set", "rs0p", "up");
    ip(ns, "link", "set", "rs0", "up");
    const rs0 = ifindexOf(ns, "rs0");
    const dir = tempDir();
    const leases = tempDir();
    const out = tempDir();
    chmodSync(out, 0o777);
    writeScript(
      join(dir, "routable.d"),
      "10-record",
      `env -0 > ${out}/routable.t && mv ${out}/routable.t ${out}/routable`,
    );
    writeScript(
      join(dir, "routable.d"),
      "20-jq",
      `echo "$JSON" | jq -r '"\\(.ifname) \\(.ifindex) \\(.oper_state) \\(.addresses | join(","))"' > ${out}/jq`,
    );
    writeScript(join(dir, "routes.d"), "10-record", `echo "$EVENT $ROUTE_DST" >> ${out}/routes`);
    const config = join(dir, "netevd.yaml");
    writeFileSync(
      config,
      `system: { backend: dhclient, user: nobody }
scripts: { dir: ${dir}, style: netevd-rust }
backends: { dhclient: { lease_files: ["${leases}/dhclient.*.leases"] } }
`,
    );
    const d = startDaemon(ns, config);
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      ip(ns, "addr", "add", "10.213.9.20/24", "dev", "rs0");
      ip(ns, "route", "add", "default", "via", "10.213.9.1", "dev", "rs0");
      writeFileSync(join(leases, "dhclient.rs0.leases"), LEASE);
      expect(await waitFor(() => readdirSync(out).includes("routable")), d.output()).toBe(true);
      const env = envOf(join(out, "routable"));
      const nobody = readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith("nobody:"))!
        .split(":");
      expect(env).toMatchObject({
        LINK: "rs0",
        LINKINDEX: String(rs0),
        STATE: "routable",
        DHCP_SUBNET_MASK: "255.255.255.0",
        DHCP_ADDRESS: "10.213.9.20",
        USER: "nobody",
        LOGNAME: "nobody",
        HOME: nobody[5],
      });
      const json = JSON.parse(env.JSON!) as Record<string, unknown>;
      expect(json).toMatchObject({
        ifindex: rs0,
        ifname: "rs0",
        oper_state: "routable",
        gateway: "10.213.9.1",
      });
      expect(Object.keys(json)[0]).toBe("ifindex");
      expect(json).not.toHaveProperty("schema");
      const jq = () => (readdirSync(out).includes("jq") ? readFileSync(join(out, "jq"), "utf8") : "");
      expect(await waitFor(() => jq().endsWith("\n"))).toBe(true);
      expect(jq().trim()).toMatch(/^rs0 \d+ routable 10\.213\.9\.20(,|$)/);

      ip(ns, "route", "add", "10.213.99.0/24", "via", "10.213.9.1", "dev", "rs0");
      ip(ns, "route", "del", "10.213.99.0/24", "via", "10.213.9.1", "dev", "rs0");
      const routes = () =>
        readdirSync(out).includes("routes") ? readFileSync(join(out, "routes"), "utf8") : "";
      expect(await waitFor(() => routes().includes("del 10.213.99.0/24")), routes() + d.output()).toBe(true);
      expect(routes()).toContain("new 10.213.99.0/24\n");
      expect(routes()).not.toMatch(/^(add|routes) /m);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 30_000);
});
