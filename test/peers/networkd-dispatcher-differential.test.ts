// The same scenario under networkd-dispatcher (Debian's, the ground truth) and
// under netevd's networkd-dispatcher style, side by side on REAL
// systemd-networkd: a link created, coming up, given addresses and a gateway
// that is removed again, a burst of addresses, taken down, deleted and created
// again. A probe hook in every state's directory records each run; per link,
// both must have run the same states, as often, in the same order, with the
// same IFACE. Each phase ends on a state both must run, so nothing here waits
// for time.
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NETWORKD_ADMINISTRATIVE, NETWORKD_OPERATIONAL } from "../../src/events/names";
import { ip } from "../helpers/netns";
import { besideNetworkdDispatcher, havePeers, networkdTopology } from "../helpers/peers";
import { waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

const DT0 = `[Match]
Name=dt0
[Network]
Address=10.214.0.2/24
LinkLocalAddressing=no
IPv6AcceptRA=no
`;

interface Run {
  who: "nd" | "netevd";
  at: bigint;
  IFACE: string;
  STATE: string;
  AdministrativeState: string;
  OperationalState: string;
  IP_ADDRS: string;
}

function runs(out: string): Run[] {
  return readdirSync(out)
    .filter((f) => !f.endsWith(".t"))
    .map((f): Run => {
      const env = Object.fromEntries(
        readFileSync(join(out, f), "utf8")
          .split("\0")
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      );
      return {
        who: env.BACKEND ? "netevd" : "nd",
        at: BigInt(f.split(".")[1] ?? "0"),
        IFACE: env.IFACE ?? "",
        STATE: env.STATE ?? "",
        AdministrativeState: env.AdministrativeState ?? "",
        OperationalState: env.OperationalState ?? "",
        IP_ADDRS: env.IP_ADDRS ?? "",
      };
    })
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

const show = (all: Run[]) =>
  all
    .map((r) => `${r.who} ${r.IFACE} ${r.STATE} (${r.OperationalState} ${r.AdministrativeState})`)
    .join("\n");

/** Per link, the states one dispatcher ran, in order. */
function sequences(all: Run[], who: Run["who"]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of all.filter((x) => x.who === who)) (out[r.IFACE] ??= []).push(r.STATE);
  return out;
}

describe.runIf(havePeers)("networkd-dispatcher style, differentially against networkd-dispatcher", () => {
  it("runs the same states per link, as often and in the same order, through a link's whole life", async () => {
    const { client, server, env } = await networkdTopology({ "10-dt0.network": DT0 });
    const hooks = tempDir();
    chmodSync(hooks, 0o755);
    const out = tempDir();
    chmodSync(out, 0o777);
    for (const state of [...NETWORKD_OPERATIONAL, ...NETWORKD_ADMINISTRATIVE]) {
      mkdirSync(join(hooks, `${state}.d`), { mode: 0o755 });
      writeScript(
        join(hooks, `${state}.d`),
        "10-probe",
        `who=nd; [ -n "$BACKEND" ] && who=netevd
f=${out}/$who.$(date +%s%N).$$; env -0 > $f.t; mv $f.t $f`,
      );
    }
    const d = await besideNetworkdDispatcher(env, client, hooks);
    /** Both ran `state` for dt0 at least `n` times. */
    const both = async (state: string, n = 1) => {
      const ok = await waitFor(() => {
        const all = runs(out).filter((r) => r.IFACE === "dt0" && r.STATE === state);
        return ["nd", "netevd"].every((w) => all.filter((r) => r.who === w).length >= n);
      }, 30_000);
      expect(ok, `${state} ×${n}: ${show(runs(out))}\n${d.output()}`).toBe(true);
    };
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      const create = () => {
        ip(client, "link", "add", "dt0", "type", "veth", "peer", "name", "dt0p", "netns", server);
        ip(server, "link", "set", "dt0p", "up");
      };
      // Created and up: networkd configures it; carrier comes from the far end.
      create();
      await both("routable");
      await both("configured");
      // An address, a gateway added and removed, a burst: the states stay.
      ip(client, "addr", "add", "10.214.1.2/24", "dev", "dt0");
      ip(client, "route", "add", "default", "via", "10.214.0.1", "dev", "dt0");
      ip(client, "route", "del", "default", "via", "10.214.0.1", "dev", "dt0");
      const batch = join(tempDir(), "burst");
      writeFileSync(
        batch,
        Array.from({ length: 200 }, (_, i) => `addr add 10.215.${i}.2/24 dev dt0\n`).join(""),
      );
      ip(client, "-b", batch);
      // Down, then deleted: networkd's last signals come after the kernel's.
      ip(client, "link", "set", "dt0", "down");
      await both("off");
      ip(client, "link", "del", "dt0");
      await both("linger");
      // Created again (a new ifindex), down, deleted: the second linger ends the
      // scenario (networkd's signals come in order, and both handle them in order).
      create();
      await both("routable", 2);
      ip(client, "link", "set", "dt0", "down");
      ip(client, "link", "del", "dt0");
      await both("linger", 2);

      const all = runs(out);
      const nd = sequences(all, "nd");
      const ours = sequences(all, "netevd");
      expect(ours, show(all)).toEqual(nd);
      // No placeholder names: every run names a real link.
      expect(all.filter((r) => !/^(dt0|nd0|lo)$/.test(r.IFACE))).toEqual([]);
      // Each run's variables name the states networkctl showed: never empty.
      for (const r of all.filter((x) => x.who === "netevd"))
        expect([r.STATE, r.AdministrativeState, r.OperationalState].includes(""), show([r])).toBe(false);
      // The last routable run of each: the same address list under both.
      const lastRoutable = (who: Run["who"]) =>
        all.filter((r) => r.who === who && r.STATE === "routable" && r.IFACE === "dt0").at(-1)?.IP_ADDRS;
      expect(lastRoutable("netevd")).toBe(lastRoutable("nd"));
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 180_000);
});
