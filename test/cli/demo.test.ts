// `netevd demo`, the README's first command: a real link in a throwaway
// namespace, the daemon's events and what the hook received, and nothing left
// behind, also after Ctrl-C.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLI, netevd } from "../helpers/cli";
import { isRoot } from "../helpers/tmp";

const leftovers = (out: string) => {
  const ns = /namespace (netevd-demo-\d+)/.exec(out)?.[1];
  const dir = /and in (\/tmp\/netevd-demo-\w+):/.exec(out)?.[1];
  expect(ns).toBeDefined();
  expect(dir).toBeDefined();
  return { ns: existsSync(`/run/netns/${ns}`), dir: existsSync(dir as string) };
};

describe.runIf(isRoot)("netevd demo", () => {
  it("prints each event of a real veth link and the hook's own output, then removes everything", () => {
    const r = netevd(["demo"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    // The steps in order, each followed by the hooks it caused.
    const step = (cmd: string) => out.indexOf(`$ ip ${cmd}\n`);
    expect(step("link set nd0 up")).toBeGreaterThan(0);
    expect(out.slice(step("link set nd0 up"), step("address add 192.0.2.10/24 dev nd0"))).toContain(
      "event carrier on nd0",
    );
    expect(out).toContain("EVENT=routable LINK=nd0 LINKINDEX=");
    expect(out).toMatch(
      /EVENT=routable LINK=nd0 LINKINDEX=\d+ ADDRESSES='192\.0\.2\.10' GATEWAY='192\.0\.2\.1'/,
    );
    expect(out).toContain("ROUTE_ACTION=add ROUTE_DST=default ROUTE_GATEWAY='192.0.2.1' ROUTE_TABLE=254");
    expect(out).toContain("ROUTE_ACTION=del ROUTE_DST=192.0.2.0/24 ROUTE_GATEWAY='' ROUTE_TABLE=254");
    expect(out.slice(step("link set nd0 down"))).toContain("event off on nd0");
    // Hooks run unprivileged: no capabilities at all.
    expect(out).toContain("ran as nobody, CapEff: 0000000000000000");
    expect(out).not.toContain("(no event)");
    expect(leftovers(out)).toEqual({ ns: false, dir: false });
  });

  it("cleans up on Ctrl-C and exits 130", async () => {
    const child = spawn(process.execPath, [CLI, "demo"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let sent = false;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("netevd is running") && !sent) sent = child.kill("SIGINT");
    });
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code, out).toBe(130);
    expect(out).toMatch(/Removed netevd-demo-\d+ and/);
    expect(leftovers(out)).toEqual({ ns: false, dir: false });
  });

  it("refuses without root (77), touching nothing", () => {
    const r = spawnSync(
      "setpriv",
      ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI, "demo"],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(77);
    expect(r.stderr).toContain("netevd demo: makes a network namespace, so it needs root");
  });
});
