// Policy routing against the real kernel, in fresh namespaces: H (netevd) has
// h1 and h2 in the same subnet behind router R (a bridge), which also routes
// to client C. After each step `ip -j rule` and the policy tables of
// `ip -j route show table all` are compared with the expected set exactly.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, ipJson } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

interface JRule {
  priority: number;
  src?: string;
  dst?: string;
  table: string;
  protocol?: string;
}
interface JRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string;
}

const sysctl = (ns: string, kv: string) => execFileSync("ip", ["netns", "exec", ns, "sysctl", "-qw", kv]);

/** "prio from|to ADDR table T proto P" lines, sorted, for every rule of the namespace (v4 or v6). */
function rules(ns: string, v6 = false): string[] {
  return ipJson<JRule[]>(ns, ...(v6 ? ["-6"] : []), "rule", "show")
    .map((r) => {
      const sel = r.src && r.src !== "all" ? `from ${r.src}` : r.dst ? `to ${r.dst}` : "all";
      return `${r.priority} ${sel} table ${r.table}${r.protocol ? ` proto ${r.protocol}` : ""}`;
    })
    .sort();
}

/** Every route of table T (both families): "dst [via gw] dev D proto P". */
function tableRoutes(ns: string, table: number): string[] {
  const v6 = (): JRoute[] => {
    try {
      return ipJson<JRoute[]>(ns, "-6", "route", "show", "table", String(table));
    } catch {
      return []; // "FIB table does not exist": no IPv6 route was ever in it
    }
  };
  return [...ipJson<JRoute[]>(ns, "route", "show", "table", String(table)), ...v6()]
    .map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ""} dev ${r.dev} proto ${r.protocol ?? "?"}`)
    .sort();
}

/** Routes with netevd's protocol anywhere. */
function ownedRoutes(ns: string): string[] {
  return [
    ...ipJson<JRoute[]>(ns, "route", "show", "table", "all"),
    ...ipJson<JRoute[]>(ns, "-6", "route", "show", "table", "all"),
  ]
    .filter((r) => r.protocol === "177" || r.protocol === "netevd")
    .map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ""} dev ${r.dev} table ${r.table}`)
    .sort();
}

const txPackets = (ns: string, dev: string) =>
  ipJson<{ stats64: { tx: { packets: number } } }[]>(ns, "-s", "link", "show", dev)[0]!.stats64.tx.packets;

function topology() {
  const h = createNetns();
  const r = createNetns();
  const c = createNetns();
  ip(r, "link", "add", "br0", "type", "bridge");
  ip(r, "link", "set", "br0", "up");
  ip(r, "addr", "add", "10.50.0.1/24", "dev", "br0");
  ip(r, "-6", "addr", "add", "2001:db8:50::1/64", "dev", "br0", "nodad");
  for (const n of ["1", "2", "3"]) {
    ip(h, "link", "add", `h${n}`, "type", "veth", "peer", "name", `h${n}p`, "netns", r);
    ip(r, "link", "set", `h${n}p`, "master", "br0");
    ip(r, "link", "set", `h${n}p`, "up");
    ip(h, "link", "set", `h${n}`, "up");
  }
  ip(r, "link", "add", "rc", "type", "veth", "peer", "name", "c0", "netns", c);
  ip(r, "addr", "add", "10.60.0.1/24", "dev", "rc");
  ip(r, "link", "set", "rc", "up");
  ip(c, "addr", "add", "10.60.0.2/24", "dev", "c0");
  ip(c, "link", "set", "c0", "up");
  ip(c, "route", "add", "default", "via", "10.60.0.1");
  sysctl(r, "net.ipv4.ip_forward=1");
  // ARP per interface on the multi-homed host, as one configures it there.
  sysctl(h, "net.ipv4.conf.all.arp_ignore=1");
  sysctl(h, "net.ipv4.conf.all.arp_announce=2");
  // Reverse-path filtering off (new namespaces inherit the host's IPv4 settings): the
  // test sees where replies leave, instead of strict rp_filter dropping the asymmetric case.
  for (const k of ["all", "h1", "h2", "h3"]) sysctl(h, `net.ipv4.conf.${k}.rp_filter=0`);
  ip(h, "addr", "add", "10.50.0.11/24", "dev", "h1");
  ip(h, "addr", "add", "10.50.0.12/24", "dev", "h2");
  ip(h, "route", "add", "default", "via", "10.50.0.1", "dev", "h1", "metric", "100");
  ip(h, "route", "add", "default", "via", "10.50.0.1", "dev", "h2", "metric", "200");
  const idx = Object.fromEntries(
    ipJson<{ ifindex: number; ifname: string }[]>(h, "link", "show").map((l) => [l.ifname, l.ifindex]),
  );
  return { h, r, c, idx };
}

function config(dir: string, extra = "") {
  const path = join(dir, "netevd.yaml");
  writeFileSync(
    path,
    `system: { backend: none, user: nobody }\nscripts: { dir: ${dir} }\nrouting: { policy_rules: ["h*"]${extra} }\n`,
  );
  return path;
}

const KERNEL_RULES = ["0 all table local", "32766 all table main", "32767 all table default"];

describe.runIf(canNetns)("policy routing (real kernel)", () => {
  it("multi-homed replies leave by the link they came in on; gateway later; restarts; stale rules; user entries survive", async () => {
    const { h, c, idx } = topology();
    const [t1, t2, t3] = [200 + idx.h1!, 200 + idx.h2!, 200 + idx.h3!];
    const dir = tempDir();
    const cfg = config(dir);
    // A user's own rule and route in netevd's table for h2: never touched.
    ip(h, "rule", "add", "from", "10.99.0.1", "lookup", String(t2), "priority", "500");
    ip(h, "route", "add", "10.99.0.0/24", "dev", "h2", "table", String(t2));
    // (ip -j leaves out the "boot" protocol: "?")
    const user = { rule: `500 from 10.99.0.1 table ${t2}`, route: "10.99.0.0/24 dev h2 proto ?" };

    // Without policy routing the reply to a ping that came in on h2 leaves through h1.
    const ping = () =>
      execFileSync("ip", ["netns", "exec", c, "ping", "-c", "5", "-i", "0.2", "-W", "1", "10.50.0.12"]);
    let [tx1, tx2] = [txPackets(h, "h1"), txPackets(h, "h2")];
    ping();
    expect(txPackets(h, "h1") - tx1).toBeGreaterThanOrEqual(5);
    expect(txPackets(h, "h2") - tx2).toBeLessThan(5);

    let d = startDaemon(h, cfg);
    const expectedRules = (links: [string, number][]) =>
      [
        ...KERNEL_RULES,
        user.rule,
        ...links.flatMap(([a, t]) => [
          `10000 from ${a} table ${t} proto 177`,
          `10001 to ${a} table ${t} proto 177`,
        ]),
      ].sort();
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      expect(rules(h)).toEqual(
        expectedRules([
          ["10.50.0.11", t1],
          ["10.50.0.12", t2],
        ]),
      );
      expect(tableRoutes(h, t1)).toEqual([
        "10.50.0.0/24 dev h1 proto 177",
        "default via 10.50.0.1 dev h1 proto 177",
      ]);
      expect(tableRoutes(h, t2)).toEqual(
        ["10.50.0.0/24 dev h2 proto 177", "default via 10.50.0.1 dev h2 proto 177", user.route].sort(),
      );
      // Now the reply leaves through h2, the link the request came in on.
      [tx1, tx2] = [txPackets(h, "h1"), txPackets(h, "h2")];
      ping();
      expect(txPackets(h, "h2") - tx2).toBeGreaterThanOrEqual(5);
      expect(txPackets(h, "h1") - tx1).toBeLessThan(5);

      // h3: the address first, the gateway once the table has its first route (the DHCP order): the table is completed.
      ip(h, "addr", "add", "10.50.0.13/24", "dev", "h3");
      expect(await waitFor(() => tableRoutes(h, t3).length === 1)).toBe(true);
      expect(tableRoutes(h, t3)).toEqual(["10.50.0.0/24 dev h3 proto 177"]);
      ip(h, "route", "add", "default", "via", "10.50.0.1", "dev", "h3", "metric", "300");
      expect(await waitFor(() => tableRoutes(h, t3).length === 2)).toBe(true);
      expect(tableRoutes(h, t3)).toEqual([
        "10.50.0.0/24 dev h3 proto 177",
        "default via 10.50.0.1 dev h3 proto 177",
      ]);
      const three = expectedRules([
        ["10.50.0.11", t1],
        ["10.50.0.12", t2],
        ["10.50.0.13", t3],
      ]);
      expect(rules(h)).toEqual(three);

      // A gateway change replaces the route.
      ip(h, "route", "replace", "default", "via", "10.50.0.2", "dev", "h3", "metric", "300");
      expect(await waitFor(() => tableRoutes(h, t3).includes("default via 10.50.0.2 dev h3 proto 177"))).toBe(
        true,
      );
      expect(tableRoutes(h, t3)).toEqual([
        "10.50.0.0/24 dev h3 proto 177",
        "default via 10.50.0.2 dev h3 proto 177",
      ]);
      // An address removed takes its rules.
      ip(h, "addr", "del", "10.50.0.13/24", "dev", "h3");
      expect(await waitFor(() => rules(h).length === three.length - 2)).toBe(true);
      expect(tableRoutes(h, t3)).toEqual([]);
      // (The kernel flushed h3's routes, main's default via h3 too, with its last address.)
      ip(h, "addr", "add", "10.50.0.13/24", "dev", "h3");
      expect(await waitFor(() => rules(h).length === three.length)).toBe(true);
      expect(tableRoutes(h, t3)).toEqual(["10.50.0.0/24 dev h3 proto 177"]);

      // kill -9 leaves the entries; a new netevd finds them: no duplicates, no errors.
      d.child.kill("SIGKILL");
      await d.exit;
      d = startDaemon(h, cfg);
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      expect(rules(h)).toEqual(three);
      expect(d.output()).not.toMatch(/"level":"error"|policy routing: added/);

      // kill -9, delete h3, start again: h3's stale rules are gone.
      d.child.kill("SIGKILL");
      await d.exit;
      ip(h, "link", "del", "h3");
      expect(rules(h)).toEqual(three); // the kernel keeps rules of a deleted link
      d = startDaemon(h, cfg);
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      expect(rules(h)).toEqual(
        expectedRules([
          ["10.50.0.11", t1],
          ["10.50.0.12", t2],
        ]),
      );
      expect(ownedRoutes(h)).toEqual(
        [
          `10.50.0.0/24 dev h1 table ${t1}`,
          `default via 10.50.0.1 dev h1 table ${t1}`,
          `10.50.0.0/24 dev h2 table ${t2}`,
          `default via 10.50.0.1 dev h2 table ${t2}`,
        ].sort(),
      );

      // Stop: netevd's entries go, the user's stay.
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
      expect(rules(h)).toEqual([...KERNEL_RULES, user.rule].sort());
      expect(tableRoutes(h, t2)).toEqual([user.route]);
      expect(ownedRoutes(h)).toEqual([]);
    } finally {
      d.child.kill("SIGKILL");
    }
  });

  it("IPv6: rules and routes per v6 address; ipv6: false on reload removes them", async () => {
    const { h, idx } = topology();
    const t2 = 200 + idx.h2!;
    ip(h, "-6", "addr", "add", "2001:db8:50::12/64", "dev", "h2", "nodad");
    ip(h, "-6", "route", "add", "default", "via", "2001:db8:50::1", "dev", "h2");
    const dir = tempDir();
    const cfg = config(dir);
    const d = startDaemon(h, cfg);
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      const v6 = [
        `10000 from 2001:db8:50::12 table ${t2} proto 177`,
        `10001 to 2001:db8:50::12 table ${t2} proto 177`,
      ];
      expect(rules(h, true).filter((r) => r.includes("proto 177"))).toEqual(v6);
      expect(tableRoutes(h, t2)).toEqual(
        [
          "10.50.0.0/24 dev h2 proto 177",
          "default via 10.50.0.1 dev h2 proto 177",
          "2001:db8:50::/64 dev h2 proto 177",
          "default via 2001:db8:50::1 dev h2 proto 177",
        ].sort(),
      );
      config(dir, ", ipv6: false");
      d.child.kill("SIGHUP");
      expect(await waitFor(() => rules(h, true).every((r) => !r.includes("proto 177")))).toBe(true);
      expect(tableRoutes(h, t2)).toEqual([
        "10.50.0.0/24 dev h2 proto 177",
        "default via 10.50.0.1 dev h2 proto 177",
      ]);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  });

  it("refuses a table id of 254 with an error naming table_base and adds nothing; --dry-run changes nothing", async () => {
    const { h, idx } = topology();
    const dir = tempDir();
    const path = join(dir, "netevd.yaml");
    writeFileSync(
      path,
      `system: { backend: none, user: nobody }\nscripts: { dir: ${dir} }\nrouting: { policy_rules: [h2], table_base: ${254 - idx.h2!} }\n`,
    );
    const d = startDaemon(h, path);
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      expect(d.output()).toMatch(
        /routing\.table_base: link h2: table 254 \(table_base \d+ \+ ifindex \d+\) is reserved/,
      );
      expect(rules(h)).toEqual(KERNEL_RULES);
      expect(ownedRoutes(h)).toEqual([]);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
    const dry = startDaemon(h, config(dir), {}, ["--dry-run"]);
    try {
      expect(await waitFor(() => dry.output().includes("ready:")), dry.output()).toBe(true);
      expect(dry.output()).toContain(
        `dry run: would add rule from 10.50.0.12 lookup ${200 + idx.h2!} priority 10000`,
      );
      expect(rules(h)).toEqual(KERNEL_RULES);
      expect(ownedRoutes(h)).toEqual([]);
    } finally {
      dry.child.kill("SIGKILL");
    }
  });
  it("writes an audit line for each rule and route it adds or removes and each script it runs", async () => {
    const { h, idx } = topology();
    const dir = tempDir();
    const logs = join(dir, "logs");
    mkdirSync(logs, { mode: 0o777 });
    chmodSync(logs, 0o777);
    writeScript(join(dir, "routable.d"), "10-ok", "exit 3");
    const path = join(dir, "netevd.yaml");
    writeFileSync(
      path,
      `system: { backend: none, user: nobody }\nscripts: { dir: ${dir}, run_startup_triggers: true }\nrouting: { policy_rules: [h2] }\naudit: { enabled: true, path: ${logs}/audit.jsonl }\nmonitoring: { interfaces: [h2] }\n`,
    );
    const d = startDaemon(h, path);
    const entries = () =>
      existsSync(join(logs, "audit.jsonl"))
        ? readFileSync(join(logs, "audit.jsonl"), "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [];
    try {
      // The startup script may finish while the reconciler is still adding the rules.
      const settled = () =>
        entries().some((e) => e.action === "script.run") &&
        entries().filter((e) => e.action === "rule.add").length >= 2;
      expect(await waitFor(settled), d.output()).toBe(true);
      const t2 = 200 + idx.h2!;
      expect(
        entries()
          .filter((e) => e.action === "rule.add")
          .map((e) => e.detail),
      ).toEqual([
        `rule from 10.50.0.12 lookup ${t2} priority 10000`,
        `rule to 10.50.0.12 lookup ${t2} priority 10001`,
      ]);
      expect(entries().filter((e) => e.action === "route.add")).toHaveLength(2);
      expect(entries().find((e) => e.action === "script.run")).toMatchObject({
        link: "h2",
        event: "routable",
        exit_code: 3,
        timed_out: false,
      });
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
      expect(entries().filter((e) => e.action === "rule.delete")).toHaveLength(2);
    } finally {
      d.child.kill("SIGKILL");
    }
  });
});
