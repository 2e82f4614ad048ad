// NetworkManager's VPN connections: vpn-up when one reaches ACTIVATED, vpn-down
// when one that was up reaches DISCONNECTED or FAILED (VPN.Connection's
// VpnStateChanged; NetworkManager reports its internal "deactivating" as still
// activated). The event belongs to the VPN's own interface (tun0 …), else to its
// parent device, and carries the view NetworkManager hands nm-dispatcher: the VPN
// connection's profile, the parent device, the VPN's IP configuration (vpn-up only).
import type { NmIpConfig, NmView } from "../../events/event";
import { networkOf } from "../../netlink/ip";
import type { Logger } from "../../log/logger";
import { connection, deviceDetails, type GetAll, ipConfig, withoutSearches } from "./details";
import { NM, str } from "./names";

export const VPN_CONNECTION = `${NM}.VPN.Connection`;
const ACTIVE = `${NM}.Connection.Active`;

/** NMVpnConnectionState. */
const VPN_ACTIVATED = 5;
const VPN_FAILED = 6;
const VPN_DISCONNECTED = 7;

/** VPNs remembered as up, at most (each is forgotten at its vpn-down). */
const MAX_VPNS = 256;

export interface VpnOptions {
  getAll: GetAll;
  log: Logger;
  /** The device NetworkManager names by path, as the backend knows it. */
  device: (path: string) => { path: string; name: string; ifindex: number } | undefined;
  /** The kernel's link holding this address now (its ifindex and name). */
  holder: (address: string) => { index: number; name: string } | undefined;
  /** Sends the event of that link; its details are `view` (the backend's details(ifindex, event)). */
  send: (ifindex: number, event: "vpn-up" | "vpn-down", view: NmView) => void;
}

interface UpVpn {
  ifindex: number;
  view: NmView;
}

export class VpnConnections {
  private readonly up = new Map<string, UpVpn>();
  /** Per VPN, its signals handled one after another (a quick down waits for its up's reading). */
  private readonly chain = new Map<string, Promise<void>>();

  constructor(private readonly opts: VpnOptions) {}

  /** A VpnStateChanged signal. */
  stateChanged(path: string, state: number): void {
    if (state === VPN_ACTIVATED) this.queue(path, () => this.activated(path, false));
    else if (state === VPN_FAILED || state === VPN_DISCONNECTED) this.queue(path, () => this.down(path));
  }

  /** At (re)enumeration: VPNs already up are remembered (their vpn-down will run), without an event. */
  async enumerate(activeConnections: string[]): Promise<void> {
    const seen = new Set<string>();
    for (const path of activeConnections) {
      try {
        if ((await this.opts.getAll(path, ACTIVE)).Vpn?.value !== true) continue;
        const state = Number((await this.opts.getAll(path, VPN_CONNECTION)).VpnState?.value ?? 0);
        if (state !== VPN_ACTIVATED) continue;
        seen.add(path);
        // In the VPN's queue: a down signalled meanwhile runs after this reading, and finds it.
        if (!this.up.has(path)) {
          this.queue(path, () => this.activated(path, true));
          await this.chain.get(path);
        }
      } catch (err) {
        this.opts.log.debug(`VPN ${path} vanished: ${(err as Error).message}`);
      }
    }
    // Those gone while netevd was not watching (NetworkManager restarted) went down unseen.
    for (const path of this.up.keys()) if (!seen.has(path)) this.up.delete(path);
  }

  private queue(path: string, job: () => Promise<void>): void {
    const next: Promise<void> = (this.chain.get(path) ?? Promise.resolve())
      .then(job)
      .catch((err: Error) => this.opts.log.debug(`VPN ${path}: ${err.message}`))
      .finally(() => {
        if (this.chain.get(path) === next) this.chain.delete(path);
      });
    this.chain.set(path, next);
  }

  private async activated(path: string, initial: boolean): Promise<void> {
    const { getAll } = this.opts;
    const ac = await getAll(path, ACTIVE);
    const parent = this.opts.device(((ac.Devices?.value ?? []) as string[])[0] ?? "/");
    if (!parent) {
      this.opts.log.debug(`VPN ${str(ac, "Id")} has no parent device netevd knows; ignored`);
      return;
    }
    const ip4 = await ipConfig(getAll, str(ac, "Ip4Config", "/"), 4);
    const ip6 = await ipConfig(getAll, str(ac, "Ip6Config", "/"), 6);
    const own = await this.ownLink([...(ip4?.addresses ?? []), ...(ip6?.addresses ?? [])], parent.ifindex);
    const device = (await deviceDetails(getAll, parent)).nm!;
    const view: NmView = {
      ...device,
      connection: await connection(getAll, path),
      vpn: {
        ipIface: own?.name ?? null,
        ip4: ip4 && vpnOwn(withoutSearches(ip4)),
        ip6: ip6 && vpnOwn(withoutSearches(ip6)),
      },
    };
    const ifindex = own?.index ?? parent.ifindex;
    this.up.set(path, { ifindex, view });
    if (this.up.size > MAX_VPNS) this.up.delete(this.up.keys().next().value!);
    if (!initial) this.opts.send(ifindex, "vpn-up", view);
  }

  /**
   * The interface the VPN's addresses are on when it is not the parent device
   * (a tunnel's): NetworkManager's VPN_IP_IFACE. NetworkManager signals
   * ACTIVATED once the addresses are configured; the kernel's word of them may
   * reach netevd a moment later.
   */
  private async ownLink(
    addresses: { address: string }[],
    parent: number,
  ): Promise<{ index: number; name: string } | undefined> {
    for (let i = 0; addresses.length && i < 20; i++) {
      for (const a of addresses) {
        const link = this.opts.holder(a.address);
        if (link) return link.index === parent ? undefined : link;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  }

  private down(path: string): Promise<void> {
    const vpn = this.up.get(path);
    if (!vpn) return Promise.resolve();
    this.up.delete(path);
    // NetworkManager dispatches vpn-down before it takes the VPN's routes off the parent
    // device: the device as it was while the VPN was up; no VPN configuration.
    this.opts.send(vpn.ifindex, "vpn-down", {
      ...vpn.view,
      vpn: { ipIface: vpn.view.vpn?.ipIface ?? null, ip4: null, ip6: null },
    });
    return Promise.resolve();
  }
}

/**
 * The VPN's own configuration out of its interface's: the D-Bus object shows
 * the interface's whole one, with what the kernel and NetworkManager add to any
 * address (IPv6 link-local addresses, the route to an address's network or to
 * its point-to-point peer); nm-dispatcher is given the VPN's alone.
 */
function vpnOwn(c: NmIpConfig): NmIpConfig {
  const addresses = c.addresses.filter((a) => !/^fe[89ab][0-9a-f]:/i.test(a.address));
  const dependent = (r: NmIpConfig["routes"][number]) =>
    (!r.nextHop || r.nextHop === "0.0.0.0" || r.nextHop === "::") &&
    (r.dest === "fe80::" ||
      c.addresses.some(
        (a) =>
          (a.peer !== undefined && r.dest === a.peer && r.prefix === (a.peer.includes(":") ? 128 : 32)) ||
          (r.prefix === a.prefix && r.dest === networkOf(a.address, a.prefix)),
      ));
  return { ...c, addresses, routes: c.routes.filter((r) => !dependent(r)) };
}
