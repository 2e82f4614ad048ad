// A daemon that stays uid 0 (system.user: root, as in a container with only
// CAP_NET_ADMIN): uid 0 gets the whole bounding set back at every exec, so
// its scripts are spawned from a thread lowered to the ambient set under
// no_new_privs. Without that they ran with every capability.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recorded, recordingScripts, startDaemon } from "../helpers/daemon";
import { canNetns, createNetns, ip, veth } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

async function scriptCapEff(ambient: string[]): Promise<{ capEff: string; daemon: string }> {
  const ns = createNetns();
  veth(ns, "ve0", "ve1");
  const dir = tempDir();
  recordingScripts(dir, ["routable"]);
  const config = join(dir, "netevd.yaml");
  writeFileSync(
    config,
    `system: { backend: none, user: root }\nscripts: { dir: ${dir}, ambient_capabilities: [${ambient.join(", ")}] }\napi: { socket: ${dir}/api.sock }\n`,
  );
  const d = startDaemon(ns, config);
  expect(await waitFor(() => d.output().includes("ready:")), d.output()).toBe(true);
  ip(ns, "addr", "add", "192.0.2.30/24", "dev", "ve0");
  expect(await waitFor(() => recorded(dir, "routable", "ve0").length > 0), d.output()).toBe(true);
  const capEff = (recorded(dir, "routable", "ve0")[0] as Record<string, string>).CAPEFF as string;
  d.child.kill("SIGTERM");
  await d.exit;
  return { capEff, daemon: d.output() };
}

describe.runIf(canNetns)("system.user: root", () => {
  it("the daemon keeps only CAP_NET_ADMIN, and its scripts run with no capabilities", async () => {
    const { capEff, daemon } = await scriptCapEff([]);
    expect(daemon).toContain("keeping CAP_NET_ADMIN");
    expect(capEff).toBe("CapEff:\t0000000000000000");
  });

  it("scripts.ambient_capabilities still reach the scripts", async () => {
    const { capEff } = await scriptCapEff(["CAP_NET_ADMIN"]);
    expect(capEff).toBe("CapEff:\t0000000000001000");
  });
});
