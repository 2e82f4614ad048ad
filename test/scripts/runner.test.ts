// The runner end to end: events in, scripts run with the documented environment.
import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realBinding } from "../../src/native/real";
import { ScriptRunner } from "../../src/scripts/runner";
import { netevdStyle } from "../../src/scripts/styles/netevd";
import { nmDispatcherStyle } from "../../src/scripts/styles/nm-dispatcher";
import { runnerSettings } from "../../src/scripts/settings";
import { ConfigSchema } from "../../src/config/schema";
import { makeEvent } from "../helpers/events";
import { captureLogs } from "../helpers/logs";
import { alive, waitFor } from "../helpers/proc";
import { isRoot, tempDir, writeScript } from "../helpers/tmp";

function runner(dir: string, over: Partial<ConstructorParameters<typeof ScriptRunner>[0]> = {}) {
  return new ScriptRunner({
    binding: realBinding(),
    dir,
    timeoutMs: 10_000,
    maxParallel: 8,
    emitJson: true,
    parentEnv: { LANG: "C.UTF-8", HOME: "/root" },
    ...over,
  });
}

function readEnv(file: string): Record<string, string> {
  // `env -0` keeps multi-line values (DHCP_LEASE, JSON) intact.
  return Object.fromEntries(
    readFileSync(file, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
}

describe.runIf(isRoot)("script runner", () => {
  const logs = captureLogs();

  it("gives scripts exactly the documented variables", async () => {
    const dir = tempDir();
    const out = join(dir, "env");
    writeScript(join(dir, "routable.d"), "10-dump", `env -0 > ${out}`);
    const report = await runner(dir).dispatch(makeEvent());
    expect(report.results.map((r) => r.exitCode)).toEqual([0]);
    const env = readEnv(out);
    const { JSON: json, DHCP_LEASE: lease, PWD: _pwd, SHLVL: _shlvl, _: _u, ...rest } = env;
    expect(rest).toEqual({
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      LANG: "C.UTF-8",
      LINK: "eth1",
      LINKINDEX: "3",
      STATE: "routable",
      EVENT: "routable",
      BACKEND: "dhclient",
      ADDRESSES: "192.168.1.100 2001:db8::5",
      GATEWAY: "192.168.1.1",
      DNS: "192.168.1.1",
      DOMAINS: "example.lan",
      DHCP_ADDRESS: "192.168.1.100",
      DHCP_GATEWAY: "192.168.1.1",
      DHCP_DNS: "192.168.1.1 9.9.9.9",
      DHCP_DOMAIN: "example.lan",
      DHCP_HOSTNAME: "host1",
    });
    expect(lease).toBe('lease {\n  interface "eth1";\n}');
    expect(JSON.parse(json as string)).toEqual({
      schema: "netevd.event.v1",
      event: "routable",
      time: "2026-11-22T05:00:00.123Z",
      backend: "dhclient",
      netns: null,
      netns_action: null,
      link: {
        name: "eth1",
        index: 3,
        mac: "52:54:00:12:34:56",
        mtu: 1500,
        kind: "veth",
        operstate: "up",
        carrier: true,
      },
      state: { operational: "routable", administrative: null, carrier: null, address: null, online: null },
      addresses: [
        { address: "192.168.1.100", prefix_length: 24, family: "ipv4", scope: "global" },
        { address: "fe80::1", prefix_length: 64, family: "ipv6", scope: "link" },
        { address: "2001:db8::5", prefix_length: 64, family: "ipv6", scope: "global" },
      ],
      gateway: "192.168.1.1",
      gateway6: null,
      dns: ["192.168.1.1"],
      domains: ["example.lan"],
      dhcp: {
        address: "192.168.1.100",
        gateway: "192.168.1.1",
        dns: ["192.168.1.1", "9.9.9.9"],
        domain: "example.lan",
        hostname: "host1",
        lease_seconds: 86400,
        server: "192.168.1.1",
      },
      dhcp_change: null,
      route: null,
    });
  });

  it("never lets a DHCP host name like $(reboot) reach a script", async () => {
    const dir = tempDir();
    const out = join(dir, "env");
    const marker = join(dir, "pwned");
    writeScript(
      join(dir, "routable.d"),
      "10-careless",
      `env -0 > ${out}\neval "echo $DHCP_HOSTNAME" > /dev/null`,
    );
    const base = makeEvent();
    const hostile = `$(touch ${marker})`;
    const event = makeEvent({
      dhcp: {
        ...(base.dhcp as NonNullable<typeof base.dhcp>),
        hostname: hostile,
        domain: "ok.lan;reboot",
        dns: ["1.1.1.1", "`reboot`"],
      },
    });
    const report = await runner(dir).dispatch(event);
    expect(report.results[0]?.exitCode).toBe(0);
    const env = readEnv(out);
    expect(env.DHCP_HOSTNAME).toBeUndefined();
    expect(env.DHCP_DOMAIN).toBeUndefined();
    expect(env.DHCP_DNS).toBe("1.1.1.1");
    expect(JSON.parse(env.JSON as string).dhcp.hostname).toBeNull();
    expect(Object.values(env).some((v) => v.includes("reboot") || v.includes("touch"))).toBe(false);
    expect(existsSync(marker)).toBe(false);
    const dropped = logs
      .filter((l) => l.msg.startsWith("dropped a value from the network"))
      .map((l) => l.msg);
    expect(dropped.sort()).toEqual([
      `dropped a value from the network: dhcp.dns[1] "\`reboot\`": not an IP address`,
      `dropped a value from the network: dhcp.domain[0] "ok.lan;reboot": not an RFC 1123 name`,
      `dropped a value from the network: dhcp.hostname "$(touch ${marker})": not an RFC 1123 name`,
    ]);
  });

  it("completes an event (prepare: the manager's DNS) only when it has scripts to run", async () => {
    const dir = tempDir();
    const out = join(dir, "dns");
    writeScript(join(dir, "routable.d"), "10-dns", `echo "$DNS" > ${out}`);
    const r = runner(dir);
    const asked: string[] = [];
    const prepare = (e: ReturnType<typeof makeEvent>) => {
      asked.push(e.event);
      return Promise.resolve({ ...e, dns: ["192.0.2.53"] });
    };
    await r.dispatch(makeEvent({ event: "routes" }), null, prepare);
    await r.dispatch(makeEvent({ event: "routable" }), null, prepare);
    await r.dispatch(makeEvent({ event: "routable" }), ["other-script"], prepare);
    expect(asked).toEqual(["routable"]);
    expect(readFileSync(out, "utf8")).toBe("192.0.2.53\n");
  });

  it("runs one link's events in order and different links' events at the same time", async () => {
    const dir = tempDir();
    const log = join(dir, "log");
    // Each run appends "start"/"end" with the link and event; a slow first event shows ordering.
    writeScript(
      join(dir, "carrier.d"),
      "10-slow",
      `echo "start $LINK $EVENT $(date +%s%N)" >> ${log}; sleep 1; echo "end $LINK $EVENT $(date +%s%N)" >> ${log}`,
    );
    writeScript(
      join(dir, "routable.d"),
      "10-fast",
      `echo "start $LINK $EVENT $(date +%s%N)" >> ${log}; echo "end $LINK $EVENT $(date +%s%N)" >> ${log}`,
    );
    const r = runner(dir);
    const eth1 = makeEvent().link;
    const eth2 = { ...eth1, name: "eth2", index: 4 };
    await Promise.all([
      r.dispatch(makeEvent({ event: "carrier", link: eth1 })),
      r.dispatch(makeEvent({ event: "routable", link: eth1 })),
      r.dispatch(makeEvent({ event: "carrier", link: eth2 })),
    ]);
    const entries = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" "))
      .map(([what, link, event, ns]) => ({
        what,
        link,
        event,
        t: Number(BigInt(ns as string) / 1_000_000n),
      }));
    const at = (what: string, link: string, event: string) =>
      entries.find((e) => e.what === what && e.link === link && e.event === event)?.t as number;
    // eth1: routable starts only after carrier ended.
    expect(at("start", "eth1", "routable")).toBeGreaterThanOrEqual(at("end", "eth1", "carrier"));
    // eth2's slow script overlaps eth1's slow script.
    expect(at("start", "eth2", "carrier")).toBeLessThan(at("end", "eth1", "carrier"));
  });

  it("keeps at most max_parallel links running at once", async () => {
    const dir = tempDir();
    const log = join(dir, "log");
    writeScript(
      join(dir, "carrier.d"),
      "10",
      `echo "+ $(date +%s%N)" >> ${log}; sleep 0.3; echo "- $(date +%s%N)" >> ${log}`,
    );
    const r = runner(dir, { maxParallel: 2 });
    const link = makeEvent().link;
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        r.dispatch(makeEvent({ event: "carrier", link: { ...link, name: `eth${i}`, index: i } })),
      ),
    );
    const marks = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" "))
      .sort((a, b) => (BigInt(a[1] as string) < BigInt(b[1] as string) ? -1 : 1));
    let running = 0;
    let peak = 0;
    for (const [sign] of marks) {
      running += sign === "+" ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(2);
  });

  it("goes on after a failing script and warns once per skipped file", async () => {
    const dir = tempDir();
    const d = join(dir, "routable.d");
    writeScript(d, "10-fails", "exit 7");
    writeScript(d, "20-runs", "exit 0");
    writeScript(d, "30-unsafe", "exit 0", 0o777);
    const r = runner(dir);
    const first = await r.dispatch(makeEvent());
    await r.dispatch(makeEvent());
    expect(first.results.map((x) => [x.name, x.exitCode])).toEqual([
      ["10-fails", 7],
      ["20-runs", 0],
    ]);
    const warnings = logs.filter((l) => l.msg.startsWith("skipping"));
    expect(warnings.map((w) => w.msg)).toEqual([
      `skipping ${d}/30-unsafe: group-or-other-writable: mode 0777 is writable by group or others`,
    ]);
    expect(logs.some((l) => l.msg === `${d}/10-fails exited with status 7` && l.link === "eth1")).toBe(true);
  });

  it("lists instead of running in dry-run mode", async () => {
    const dir = tempDir();
    const marker = join(dir, "ran");
    writeScript(join(dir, "routable.d"), "10", `touch ${marker}`);
    const report = await runner(dir, { dryRun: true }).dispatch(makeEvent());
    expect(report.results).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    expect(logs.some((l) => l.msg === `dry run: would run ${dir}/routable.d/10`)).toBe(true);
  });

  it("ends running scripts' process groups on stop()", async () => {
    const dir = tempDir();
    const pidFile = join(dir, "child");
    writeScript(join(dir, "routable.d"), "10", `sleep 300 & echo $! > ${pidFile}; wait`);
    const r = runner(dir, { killGraceMs: 500 });
    const done = r.dispatch(makeEvent());
    expect(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8") !== "")).toBe(true);
    await r.stop();
    const report = await done;
    expect(report.results[0]?.signal).toBe("SIGTERM");
    const child = Number(readFileSync(pidFile, "utf8"));
    expect(await waitFor(() => !alive(child), 3000)).toBe(true);
  });
});

describe.runIf(isRoot)("script runner with nm-dispatcher style", () => {
  it("runs up in name order, does not wait for a no-wait.d script, and gives down to a device that was up", async () => {
    const dir = tempDir();
    const nm = tempDir();
    const out = join(dir, "order");
    writeScript(join(nm, "no-wait.d"), "10-slow", `sleep 2; echo "slow $2" >> ${out}`);
    symlinkSync("no-wait.d/10-slow", join(nm, "10-slow"));
    writeScript(nm, "20-fast", `echo "fast $1 $2 $NM_DISPATCHER_ACTION" >> ${out}`);
    const r = runner(dir, { directories: [{ paths: [nm], style: nmDispatcherStyle() }] });
    const e = (event: string) => makeEvent({ event, backend: "NetworkManager" });
    const up = await r.dispatch(e("activated"));
    // Only the waited-for script is in the report; it ran before the slow one ended.
    expect(up.results.map((x) => x.name)).toEqual(["20-fast"]);
    expect(readFileSync(out, "utf8")).toBe("fast eth1 up up\n");
    expect(await waitFor(() => readFileSync(out, "utf8").includes("slow up"), 5000)).toBe(true);
    // A device that was never up gets no "down"; one that was up does.
    await r.dispatch(
      makeEvent({ event: "disconnected", backend: "NetworkManager", link: { ...e("x").link, index: 9 } }),
    );
    await r.dispatch(e("disconnected"));
    expect(await waitFor(() => readFileSync(out, "utf8").includes("slow down"), 5000)).toBe(true);
    expect(readFileSync(out, "utf8").match(/fast \S+ down/g)).toEqual(["fast eth1 down"]);
  });

  it("runs another namespace's events in netevd's own layout only, never in a dispatcher's", async () => {
    const dir = tempDir();
    const nm = tempDir();
    const out = join(dir, "ran");
    writeScript(join(dir, "activated.d"), "10-own", `echo "own $NETNS" >> ${out}`);
    writeScript(nm, "10-nm", `echo "nm $1 $2" >> ${out}`);
    const r = runner(dir, {
      directories: [
        { paths: [dir], style: netevdStyle },
        { paths: [nm], style: nmDispatcherStyle() },
      ],
    });
    // Same ifindex as a device NetworkManager has up: the dispatcher's memory must not mix them.
    await r.dispatch(makeEvent({ event: "activated", backend: "NetworkManager" }));
    const other = await r.dispatch({
      ...makeEvent({ event: "activated", backend: "none" }),
      netns: "tenant-1",
    });
    expect(other.results.map((x) => x.name)).toEqual(["10-own"]);
    expect(readFileSync(out, "utf8").split("\n").filter(Boolean)).toEqual([
      "own ",
      "nm eth1 up",
      "own tenant-1",
    ]);
  });
});

describe.runIf(isRoot)("script runner on reload", () => {
  it("takes a directory's new settings (ignore_states), and keeps an unchanged directory's memory", async () => {
    const dir = tempDir();
    const nd = tempDir();
    writeScript(join(nd, "carrier.d"), "10-carrier", "true");
    const config = (ignore: string) =>
      ConfigSchema.parse({
        system: { backend: "systemd-networkd" },
        scripts: {
          dir,
          directories: [{ path: nd, style: "networkd-dispatcher", ...(ignore ? JSON.parse(ignore) : {}) }],
        },
      });
    const r = new ScriptRunner({ ...runnerSettings(config(""), false), binding: realBinding() });
    const carrier = makeEvent({ event: "carrier", backend: "systemd-networkd" });
    // networkd-dispatcher 2.2 and later ignore nothing; an old install's list is written out.
    expect((await r.dispatch(carrier)).results.map((x) => x.name)).toEqual(["10-carrier"]);
    r.update(runnerSettings(config('{"ignore_states": ["carrier", "degraded"]}'), false));
    expect((await r.dispatch(carrier)).results).toEqual([]);
  });
});

describe.runIf(isRoot)("script runner: variables that cost, only for hooks that may read them", () => {
  /** A runner over a networkd-dispatcher directory, counting `networkctl status` and the manager lookups. */
  function counting(hooks: Record<string, string>) {
    const dir = tempDir();
    const nd = tempDir();
    for (const [name, body] of Object.entries(hooks)) writeScript(join(nd, "routable.d"), name, body);
    const config = ConfigSchema.parse({
      system: { backend: "systemd-networkd" },
      scripts: { dir, directories: [{ path: nd, style: "networkd-dispatcher" }] },
    });
    const status = [] as string[];
    const r = new ScriptRunner({
      ...runnerSettings(config, false),
      binding: realBinding(),
      styleContext: {
        networkctlStatus: (name) => {
          status.push(name);
          return Promise.resolve(
            `● 3: ${name}\n                     Link File: n/a\n                       Address: 192.0.2.9\n                                fe80::1\n`,
          );
        },
      },
    });
    const details = [] as boolean[];
    const prepare = (e: ReturnType<typeof makeEvent>, read: boolean) => {
      details.push(read);
      return Promise.resolve(e);
    };
    const run = () => r.dispatch(makeEvent({ backend: "systemd-networkd" }), null, prepare);
    return { run, status, details };
  }

  it("runs networkctl and asks the manager only when a hook may read json or DNS", async () => {
    const quiet = counting({ "10-iface": `[ "$IFACE" = eth1 ] && : > ${tempDir()}/ran` });
    expect((await quiet.run()).results.map((x) => x.exitCode)).toEqual([0]);
    expect(quiet.status).toEqual([]);
    expect(quiet.details).toEqual([false]);

    const out = join(tempDir(), "json");
    const reads = counting({ "10-iface": "true", "20-json": `printf %s "$json" > ${out}` });
    expect((await reads.run()).results.map((x) => x.exitCode)).toEqual([0, 0]);
    expect(reads.status).toEqual(["eth1"]);
    expect(reads.details).toEqual([false]);
    // networkctl's Address list, as networkd-dispatcher's json has it (fe80:: is kept in json).
    expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({ Address: ["192.0.2.9", "fe80::1"] });

    const dns = counting({ "10-dns": 'echo "$DNS" >/dev/null' });
    await dns.run();
    expect(dns.details).toEqual([true]);
    expect(dns.status).toEqual([]);
  });
});
