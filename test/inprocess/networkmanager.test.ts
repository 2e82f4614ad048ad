// The link state machine under NetworkManager, in process: device states,
// DHCP changes and the manager's events at the BackendSink seam; the kernel's
// operational state beside them.
import { describe, expect, it } from "vitest";
import { address, type InProcess, useInProcess, link } from "../helpers/in-process";

describe("in process: backend NetworkManager", () => {
  const daemon = useInProcess();
  let d: InProcess;

  const start = (events: string[]) =>
    daemon.start({
      backend: "NetworkManager",
      events,
      links: [link(2, "nm0")],
      // NetworkManager's first reading: a state, not an event.
      enumerate: (sink) => sink.link(2, "nm0", { DeviceState: "disconnected" }, true),
    });

  it("device states run their scripts; activated waits for the address; the kernel's routable runs once beside it", async () => {
    d = await start(["prepare", "activated", "disconnected", "routable"]);
    const sink = d.sink();
    sink.link(2, "nm0", { DeviceState: "prepare" }, false);
    sink.link(2, "nm0", { DeviceState: "activated" }, false);
    await d.settle();
    expect(d.runs().map((r) => r.event)).toEqual(["prepare"]);
    d.kernel.changeAddress("new", address(2, "10.213.5.2"));
    await d.settle();
    expect(d.runs().map((r) => [r.event, r.env.BACKEND])).toEqual([
      ["prepare", "NetworkManager"],
      ["routable", "NetworkManager"],
      ["activated", "NetworkManager"],
    ]);
    expect(d.ran("activated")[0]?.env).toMatchObject({ ADDRESSES: "10.213.5.2", STATE: "activated" });
    sink.link(2, "nm0", { DeviceState: "disconnected" }, false);
    await d.settle();
    expect(d.ran("disconnected", "nm0")).toHaveLength(1);
  });

  it("dhcp4-change for a link, hostname and connectivity-change for the manager; a removed device starts afresh", async () => {
    d = await start(["dhcp4-change", "hostname", "connectivity-change", "activated"]);
    const sink = d.sink();
    sink.event?.(2, "dhcp4-change");
    sink.event?.(0, "hostname", { Hostname: "host-a" });
    sink.event?.(0, "hostname", { Hostname: "host-a" });
    sink.event?.(0, "connectivity-change", { OnlineState: "full" });
    await d.settle();
    // The manager's events and a link's run in queues of their own: in order within each.
    expect(
      d
        .runs()
        .map((r) => [r.event, r.link])
        .sort(),
    ).toEqual([
      ["connectivity-change", ""],
      ["dhcp4-change", "nm0"],
      ["hostname", ""],
    ]);
    d.kernel.changeAddress("new", address(2, "10.213.5.2"));
    sink.link(2, "nm0", { DeviceState: "activated" }, false);
    await d.settle();
    sink.removed?.(2);
    sink.link(2, "nm0", { DeviceState: "activated" }, false);
    await d.settle();
    expect(d.ran("activated", "nm0")).toHaveLength(2);
  });
});
