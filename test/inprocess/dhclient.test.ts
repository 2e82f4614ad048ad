// The link state machine under dhclient, in process: link states from the
// fake kernel, leases from lease files dhclient would write (watched for real).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { address, defaultRoute, type InProcess, useInProcess, link } from "../helpers/in-process";

const lease = (addr: string, dns: string) =>
  `lease {\n  interface "dh0";\n  fixed-address ${addr};\n  option routers 10.213.3.1;\n  option domain-name-servers ${dns};\n  expire never;\n}\n`;

describe("in process: backend dhclient", () => {
  const daemon = useInProcess();
  let d: InProcess;

  it("routable waits for the lease naming its address, runs once with DHCP_*, again when a renewal brings new data", async () => {
    d = await daemon.start({ backend: "dhclient", events: ["routable"], links: [link(2, "dh0")] });
    const file = join(d.dir, "dhclient.dh0.leases");
    d.kernel.changeAddress("new", address(2, "10.213.3.50"));
    d.kernel.changeRoute("new", defaultRoute(2, "10.213.3.1"));
    await d.settle();
    expect(d.ran("routable")).toEqual([]); // dhclient writes the lease after setting the address
    writeFileSync(file, lease("10.213.3.50", "10.213.3.1"));
    await d.until(() => d.ran("routable").length === 1);
    expect(d.ran("routable")[0]?.env).toMatchObject({
      DHCP_ADDRESS: "10.213.3.50",
      DHCP_GATEWAY: "10.213.3.1",
      DHCP_DNS: "10.213.3.1",
      GATEWAY: "10.213.3.1",
    });
    // A renewal with the same data runs nothing; new DNS servers run routable again.
    writeFileSync(file, lease("10.213.3.50", "10.213.3.1") + lease("10.213.3.50", "10.213.3.1"));
    writeFileSync(file, lease("10.213.3.50", "10.213.3.1") + lease("10.213.3.50", "10.213.3.9"));
    await d.until(() => d.ran("routable").length === 2);
    expect(d.ran("routable")[1]?.env.DHCP_DNS).toBe("10.213.3.9");
  });

  it("a routable link whose lease never comes runs routable after the wait (2 s), without DHCP_*", async () => {
    d = await daemon.start({ backend: "dhclient", events: ["routable"], links: [link(2, "dh0")] });
    d.kernel.changeAddress("new", address(2, "10.213.3.60"));
    await d.settle();
    expect(d.ran("routable")).toEqual([]);
    await d.settle(500);
    expect(d.ran("routable").map((r) => [r.env.ADDRESSES, r.env.DHCP_ADDRESS])).toEqual([
      ["10.213.3.60", undefined],
    ]);
  });
});
