// networkd-dispatcher hooks run by netevd (style networkd-dispatcher), side by
// side with networkd-dispatcher itself (Debian's package, the ground truth)
// on REAL systemd-networkd: the same hook directory, the same link coming up,
// each hook's variables and json compared.
import { chmodSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ip } from "../helpers/netns";
import { besideNetworkdDispatcher, havePeers, ND0_STATIC, networkdTopology } from "../helpers/peers";
import { waitFor } from "../helpers/proc";
import { tempDir, writeScript } from "../helpers/tmp";

/** The variables networkd-dispatcher sets (it also passes its own environment on, which differs by design). */
const ITS = [
  "IFACE",
  "STATE",
  "ESSID",
  "ADDR",
  "IP_ADDRS",
  "IP6_ADDRS",
  "AdministrativeState",
  "OperationalState",
];

function records(out: string, who: string, state: string): Record<string, string>[] {
  return (
    readdirSync(out)
      // Only finished records: "X.t" is one a hook is still writing (it renames it when done).
      .filter((f) => f.startsWith(`${who}.${state}.`) && !f.endsWith(".t"))
      .map((f) => {
        const env = readFileSync(join(out, f), "utf8").split("\0").filter(Boolean);
        return Object.fromEntries(
          env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
        );
      })
  );
}

/** Real networkd with nd0 static, a hook directory (root's) and an output directory anyone may write. */
async function setup() {
  const t = await networkdTopology({ "10-nd0.network": ND0_STATIC });
  const hooks = tempDir();
  chmodSync(hooks, 0o755);
  const out = tempDir();
  chmodSync(out, 0o777);
  return { ...t, hooks, out };
}

describe.runIf(havePeers)("networkd-dispatcher style against networkd-dispatcher", () => {
  it("gives routable.d and configured.d hooks what networkd-dispatcher gives; carrier.d runs as under 2.2", async () => {
    const { client, server, env, hooks, out } = await setup();
    for (const state of ["routable", "configured", "carrier"]) {
      mkdirSync(join(hooks, `${state}.d`), { mode: 0o755 });
      writeScript(
        join(hooks, `${state}.d`),
        "10-record",
        `who=nd; [ -n "$BACKEND" ] && who=netevd
f=${out}/$who.${state}.$$; env -0 > $f.t; mv $f.t $f`,
      );
    }
    // As its users write them: Python reading os.environ and the json.
    writeScript(
      join(hooks, "routable.d"),
      "20-python",
      `#!/usr/bin/python3
import json, os
who = "netevd" if os.environ.get("BACKEND") else "nd"
data = json.loads(os.environ["json"])
with open("${out}/py." + who, "w") as f:
    f.write(" ".join([os.environ["IFACE"], os.environ["IP_ADDRS"], os.environ["OperationalState"],
                      os.environ["AdministrativeState"], data["State"], " ".join(data["Address"])]))
`,
    );
    const d = await besideNetworkdDispatcher(env, client, hooks);
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      ip(server, "link", "set", "nd0p", "up");
      const both = (state: string) =>
        waitFor(
          () => records(out, "nd", state).length >= 1 && records(out, "netevd", state).length >= 1,
          15_000,
        );
      expect(await both("routable"), d.output()).toBe(true);
      expect(await both("configured"), d.output()).toBe(true);
      for (const state of ["routable", "configured"]) {
        const real = records(out, "nd", state).at(-1)!;
        const ours = records(out, "netevd", state).at(-1)!;
        // networkd-dispatcher gave the other state as it was when the state's signal came;
        // netevd gives it as it is when the event runs (after the kernel has the address), so
        // a routable event may see "configured" where networkd-dispatcher saw "configuring".
        const other = state === "routable" ? "AdministrativeState" : "OperationalState";
        const pick = (r: Record<string, string>) =>
          Object.fromEntries(ITS.filter((k) => k !== other).map((k) => [k, r[k]]));
        expect(pick(ours)).toEqual(pick(real));
        expect(ours).toMatchObject({
          IFACE: "nd0",
          STATE: state,
          IP_ADDRS: "10.213.1.2",
          OperationalState: "routable",
        });
        const json = (r: Record<string, string>) => JSON.parse(r.json!) as Record<string, unknown>;
        expect(json(ours).State).toBe(`${ours.OperationalState} (${ours.AdministrativeState})`);
        const same = ours[other] === real[other];
        if (same) {
          expect(json(ours)).toEqual(json(real));
          // Written as Python's json.dumps(sort_keys=True) writes it.
          expect(ours.json).toBe(real.json);
        } else {
          const { State: _a, [other]: _b, ...rest } = json(ours);
          const { State: _c, [other]: _d, ...restReal } = json(real);
          expect(rest).toEqual(restReal);
        }
        // netevd's own variables are there too.
        expect(ours).toMatchObject({ LINK: "nd0", BACKEND: "systemd-networkd" });
      }
      expect(await waitFor(() => readdirSync(out).includes("py.netevd"))).toBe(true);
      // The Python hook prints the routable run's AdministrativeState too: the same difference
      // as above (configuring at the signal, configured by the time netevd's event runs).
      const adminAsRun = (t: string) => t.replace(/\bconfigur(ing|ed)\b/g, "configur…");
      expect(adminAsRun(readFileSync(join(out, "py.netevd"), "utf8"))).toBe(
        adminAsRun(readFileSync(join(out, "py.nd"), "utf8")),
      );
      // networkd-dispatcher 2.2 (this machine's) runs carrier.d, and so does the style by default.
      expect(await both("carrier"), d.output()).toBe(true);
      expect(records(out, "netevd", "carrier")).toHaveLength(records(out, "nd", "carrier").length);
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 60_000);

  it("gives a hook that reads $json networkd-dispatcher's json byte for byte; a hook that reads neither json nor DNS runs without them", async () => {
    const { client, server, env, hooks, out } = await setup();
    // No `env`: this directory's only hook reads json (and the two names that tell who ran it).
    writeScript(
      join(hooks, "routable.d"),
      "10-json",
      `who=nd; [ -n "$BACKEND" ] && who=netevd
printf %s "$json" > ${out}/json.$who.t && mv ${out}/json.$who.t ${out}/json.$who`,
    );
    writeScript(
      join(hooks, "configured.d"),
      "10-iface",
      `who=nd; [ -n "$BACKEND" ] && who=netevd
printf '%s %s' "$IFACE" "$STATE" > ${out}/iface.$who`,
    );
    const d = await besideNetworkdDispatcher(env, client, hooks);
    try {
      expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
      ip(server, "link", "set", "nd0p", "up");
      const files = ["json.nd", "json.netevd", "iface.nd", "iface.netevd"];
      expect(await waitFor(() => files.every((f) => readdirSync(out).includes(f)), 15_000), d.output()).toBe(
        true,
      );
      const real = readFileSync(join(out, "json.nd"), "utf8");
      const ours = readFileSync(join(out, "json.netevd"), "utf8");
      expect(JSON.parse(ours)).toMatchObject({ Address: ["10.213.1.2"], OperationalState: "routable" });
      // Byte for byte; the AdministrativeState networkd-dispatcher saw at the signal may still
      // be "configuring" where netevd, running the event a moment later, sees "configured".
      const asRun = (text: string) => text.replace(/\bconfigur(ing|ed)\b/g, "configur…");
      if (JSON.parse(ours).AdministrativeState === JSON.parse(real).AdministrativeState)
        expect(ours).toBe(real);
      else expect(asRun(ours)).toBe(asRun(real));
      expect(readFileSync(join(out, "iface.netevd"), "utf8")).toBe(
        readFileSync(join(out, "iface.nd"), "utf8"),
      );
      d.child.kill("SIGTERM");
      expect(await d.exit).toBe(0);
    } finally {
      d.child.kill("SIGKILL");
    }
  }, 60_000);
});
