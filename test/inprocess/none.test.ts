// The link state machine with the kernel alone (backend none), in process:
// netlink messages from the fake kernel, scripts recorded, the clock faked.
import { describe, expect, it } from "vitest";
import { address, defaultRoute, type InProcess, useInProcess, link } from "../helpers/in-process";

describe("in process: backend none", () => {
  const daemon = useInProcess();
  let d: InProcess;

  it("off, carrier, routable with its address, again on a new gateway; the same state again runs nothing", async () => {
    d = await daemon.start({
      backend: "none",
      events: ["carrier", "routable", "off"],
      links: [link(2, "ve0")],
    });
    expect(d.runs()).toEqual([]); // the states at start are not events
    d.kernel.setLink(link(2, "ve0", { up: false }));
    await d.settle();
    d.kernel.setLink(link(2, "ve0"));
    await d.settle();
    expect(d.runs().map((r) => r.event)).toEqual(["off", "carrier"]);
    d.kernel.changeAddress("new", address(2, "192.0.2.5"));
    await d.settle();
    expect(d.ran("routable", "ve0").map((r) => r.env)).toEqual([
      expect.objectContaining({
        LINK: "ve0",
        LINKINDEX: "2",
        STATE: "routable",
        BACKEND: "none",
        ADDRESSES: "192.0.2.5",
      }),
    ]);
    d.kernel.changeRoute("new", defaultRoute(2, "192.0.2.1"));
    await d.settle();
    expect(d.ran("routable", "ve0").map((r) => r.env.GATEWAY)).toEqual([undefined, "192.0.2.1"]);
    d.kernel.setLink(link(2, "ve0", { mtu: 1400 }));
    await d.settle();
    expect(d.ran("routable")).toHaveLength(2);
  });

  it("a burst on a busy link: its re-runs fold into one, which a later state supersedes; the running one ends", async () => {
    d = await daemon.start({ backend: "none", events: ["routable", "off"], links: [link(2, "ve0")] });
    d.kernel.binding.autoExit = undefined; // scripts run until the test ends them
    const endAll = async () => {
      for (const pid of d.kernel.binding.spawned.keys()) d.kernel.binding.exit(pid, 0);
      await d.settle();
    };
    d.kernel.changeAddress("new", address(2, "192.0.2.5"));
    await d.settle();
    expect(d.ran("routable", "ve0")).toHaveLength(1); // running
    // 50 addresses while it runs: re-runs wait, folded into one that will carry them all.
    for (let i = 1; i <= 50; i++) d.kernel.changeAddress("new", address(2, `198.51.100.${i}`));
    await d.settle();
    expect(d.ran("routable", "ve0")).toHaveLength(1);
    await endAll();
    expect(d.ran("routable", "ve0")).toHaveLength(2);
    expect(d.ran("routable", "ve0")[1]!.env.ADDRESSES?.split(" ")).toHaveLength(32); // the variable's bound
    // Again, but the link goes down before the waiting re-run starts: it never runs.
    for (let i = 51; i <= 60; i++) d.kernel.changeAddress("new", address(2, `198.51.100.${i}`));
    await d.settle();
    d.kernel.setLink(link(2, "ve0", { up: false }));
    await d.settle();
    await endAll();
    await endAll();
    expect(d.runs().map((r) => r.event)).toEqual(["routable", "routable", "off"]);
  });

  it("degraded for link-local only; a tentative global address is not routable yet; no-carrier", async () => {
    d = await daemon.start({
      backend: "none",
      events: ["degraded", "routable", "no-carrier"],
      links: [link(2, "ve0")],
    });
    d.kernel.changeAddress("new", address(2, "fe80::1", { prefixLength: 64, scope: 253 }));
    await d.settle();
    expect(d.ran("degraded", "ve0")).toHaveLength(1);
    d.kernel.changeAddress("new", address(2, "2001:db8::1", { prefixLength: 64, flags: 0x40 }));
    await d.settle();
    expect(d.ran("routable")).toEqual([]);
    d.kernel.changeAddress("new", address(2, "2001:db8::1", { prefixLength: 64 }));
    await d.settle();
    expect(d.ran("routable", "ve0").map((r) => r.env.ADDRESSES)).toEqual(["2001:db8::1"]);
    d.kernel.setLink(link(2, "ve0", { lowerUp: false }));
    await d.settle();
    expect(d.ran("no-carrier", "ve0")).toHaveLength(1);
  });

  it("routes runs per route with ROUTE_*; an excluded link runs nothing; a deleted link is forgotten", async () => {
    d = await daemon.start({
      backend: "none",
      events: ["routes", "routable", "carrier"],
      links: [link(2, "ve0"), link(3, "skip0")],
      yaml: "monitoring: { exclude: [skip*] }\n",
    });
    d.kernel.changeAddress("new", address(3, "198.51.100.3"));
    d.kernel.changeAddress("new", address(2, "192.0.2.5"));
    d.kernel.changeRoute("new", defaultRoute(2, "192.0.2.1"));
    await d.settle();
    expect(d.ran("routes", "ve0").map((r) => [r.env.ROUTE_ACTION, r.env.ROUTE_GATEWAY])).toEqual([
      ["add", "192.0.2.1"],
    ]);
    expect(d.runs().filter((r) => r.link === "skip0")).toEqual([]);
    d.kernel.removeLink(2);
    await d.settle();
    const before = d.runs().length;
    d.kernel.setLink(link(2, "ve0"));
    await d.settle();
    // A new link of the same index starts afresh: its first state is an event again.
    expect(
      d
        .runs()
        .slice(before)
        .map((r) => [r.event, r.link]),
    ).toEqual([["carrier", "ve0"]]);
  });

  it("run_startup_triggers: the current states run once at start", async () => {
    d = await daemon.start({
      backend: "none",
      events: ["carrier"],
      links: [link(2, "ve0"), link(3, "ve1")],
      scripts: "run_startup_triggers: true",
    });
    await d.settle();
    expect(
      d
        .ran("carrier")
        .map((r) => r.link)
        .sort(),
    ).toEqual(["ve0", "ve1"]);
  });
});
