// The link state machine with the kernel alone (backend none), in process.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { address, defaultRoute, type InProcess, inProcessDaemon, link } from "../helpers/in-process";

describe("in process: backend none", () => {
  let d: InProcess | undefined;
  beforeEach(() => vi.useFakeTimers());
  afterEach(async () => {
    await d?.stop();
    vi.useRealTimers();
  });

  it("carrier, routable with the address and gateway, again on a new gateway, off; the same state again runs nothing", async () => {
    d = await inProcessDaemon({ backend: "none", events: ["carrier", "routable", "off", "degraded"], links: [link(2, "ve0")] });
    expect(d.runs()).toEqual([]); // the states at start are not events
    d.kernel.setLink(link(2, "ve0", { up: false }));
    await d.settle();
    d.kernel.setLink(link(2, "ve0"));
    await d.settle();
    expect(d.ran("off", "ve0")).toHaveLength(1);
    expect(d.ran("carrier", "ve0")).toHaveLength(1);
    d.kernel.changeAddress("new", address(2, "192.0.2.5"));
    await d.settle();
    expect(d.ran("routable", "ve0").map((r) => r.env)).toEqual([
      expect.objectContaining({ LINK: "ve0", LINKINDEX: "2", STATE: "routable", BACKEND: "none", ADDRESSES: "192.0.2.5" }),
    ]);
    d.kernel.changeRoute("new", defaultRoute(2, "192.0.2.1"));
    await d.settle();
    expect(d.ran("routable", "ve0").map((r) => r.env.GATEWAY)).toEqual([undefined, "192.0.2.1"]);
    d.kernel.setLink(link(2, "ve0", { mtu: 1400 }));
    await d.settle();
    expect(d.ran("routable", "ve0")).toHaveLength(2);
  });
});
