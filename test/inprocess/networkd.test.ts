// The link state machine under systemd-networkd, in process: networkd's
// property changes arrive at the BackendSink seam (what the D-Bus adapter
// turns PropertiesChanged into), the kernel's facts from the fake kernel.
import { describe, expect, it } from "vitest";
import { address, type InProcess, useInProcess, link } from "../helpers/in-process";

describe("in process: backend systemd-networkd", () => {
  const daemon = useInProcess();
  let d: InProcess;

  const start = (events: string[]) =>
    daemon.start({
      backend: "systemd-networkd",
      events,
      links: [link(2, "nd0")],
      // networkd's first reading: states, not events.
      enumerate: (sink) =>
        sink.link(2, "nd0", { OperationalState: "degraded", AdministrativeState: "configuring" }, true),
    });

  it("each new OperationalState and AdministrativeState runs its scripts once; the first reading is not an event", async () => {
    d = await start(["carrier", "degraded", "configuring", "configured"]);
    const sink = d.sink();
    expect(d.runs()).toEqual([]);
    sink.link(2, "nd0", { OperationalState: "carrier" }, false);
    sink.link(2, "nd0", { AdministrativeState: "configured" }, false);
    sink.link(2, "nd0", { AdministrativeState: "configured" }, false);
    await d.settle();
    expect(d.runs().map((r) => [r.event, r.link, r.env.BACKEND])).toEqual([
      ["carrier", "nd0", "systemd-networkd"],
      ["configured", "nd0", "systemd-networkd"],
    ]);
    expect(d.ran("configured")[0]?.env).toMatchObject({ STATE: "configured" });
  });

  it("routable waits for the kernel's address (at most 0.5 s), runs once with it, again on a new global address", async () => {
    d = await start(["routable"]);
    const sink = d.sink();
    sink.link(2, "nd0", { OperationalState: "routable" }, false);
    await d.settle();
    expect(d.ran("routable")).toEqual([]); // the signal overtook the kernel's message
    d.kernel.changeAddress("new", address(2, "10.213.1.2"));
    await d.settle();
    expect(d.ran("routable").map((r) => r.env.ADDRESSES)).toEqual(["10.213.1.2"]);
    d.kernel.changeAddress("new", address(2, "10.213.1.3"));
    await d.settle();
    expect(d.ran("routable").map((r) => r.env.ADDRESSES)).toEqual(["10.213.1.2", "10.213.1.2 10.213.1.3"]);
    // routable without an address ever: after the wait it runs all the same.
    sink.link(2, "nd0", { OperationalState: "degraded" }, false);
    d.kernel.changeAddress("del", address(2, "10.213.1.2"));
    d.kernel.changeAddress("del", address(2, "10.213.1.3"));
    await d.settle();
    sink.link(2, "nd0", { OperationalState: "routable" }, false);
    await d.settle(100);
    expect(d.ran("routable")).toHaveLength(3);
  });

  it("networkd's own state runs manager.d with no link", async () => {
    d = await start(["manager"]);
    d.sink().manager({ OperationalState: "degraded" }, false);
    d.sink().manager({ OperationalState: "routable" }, false);
    d.sink().manager({ OperationalState: "routable" }, false);
    await d.settle();
    expect(d.ran("manager").map((r) => [r.link, r.env.LINKINDEX])).toEqual([
      ["", "0"],
      ["", "0"],
    ]);
  });

  it("a signal for a link the kernel has not shown yet waits for its name (no placeholder); one never shown is dropped", async () => {
    d = await start(["off", "carrier"]);
    const sink = d.sink();
    // networkd's signals carry the ifindex only, and can overtake the kernel's RTM_NEWLINK.
    sink.link(7, null, { OperationalState: "off" }, false);
    sink.link(7, null, { OperationalState: "carrier" }, false);
    await d.settle();
    expect(d.runs()).toEqual([]);
    d.kernel.setLink(link(7, "nd7"));
    await d.settle();
    expect(d.runs().map((r) => [r.event, r.link, r.env.LINKINDEX])).toEqual([
      ["off", "nd7", "7"],
      ["carrier", "nd7", "7"],
    ]);
    sink.link(9, null, { OperationalState: "off" }, false);
    await d.settle(300);
    expect(d.runs().filter((r) => r.env.LINKINDEX === "9")).toEqual([]);
    expect(d.runs().some((r) => /^if\d+$/.test(r.link))).toBe(false);
  });
});
