// Real network peers for tests (run in the test's own namespaces): systemd-networkd,
// NetworkManager (extracted by scripts/fetch-peers), dnsmasq + isc-dhclient,
// systemd-resolved (extracted) and systemd-hostnamed, each in the test's own
// network namespace with private mounts, on a private system bus. Nothing
// touches the host's interfaces, /run, resolv.conf or host name. Every process
// started here is killed after the test, even when it fails.
//
// Pitfalls this encodes: /sys must be read-only or
// networkd and NM wait for udev forever; /run is not private under
// `ip netns exec`, so a tmpfs goes over /run/systemd first; `mount -n` keeps
// libmount from writing /run/mount on the host; the bus must know every uid
// that connects (resolved's systemd-resolve); dnsmasq needs --no-ping or the
// first lease takes 3 s; NM needs dns=none, rc-manager=unmanaged and a UTS
// namespace; hostnamed needs a UTS namespace and an overlay on /etc.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { startDaemon } from "./daemon";
import { busConfig } from "./dbus";
import { createNetns, ip, veth } from "./netns";
import { waitFor } from "./proc";
import { tempDir } from "./tmp";

const PEERS_ROOT = process.env.NETEVD_PEERS_ROOT ?? "/var/cache/netevd-test/peers-root";
const NM_LD = [join(PEERS_ROOT, "usr/lib/x86_64-linux-gnu"), join(PEERS_ROOT, "lib/x86_64-linux-gnu")].join(
  ":",
);
const RESOLVE_UID = 990;

/** What the real-peer tests need on this machine (scripts/setup installs and fetches it). */
export const havePeers =
  process.getuid?.() === 0 &&
  existsSync("/lib/systemd/systemd-networkd") &&
  existsSync("/lib/systemd/systemd-hostnamed") &&
  existsSync(join(PEERS_ROOT, "usr/sbin/NetworkManager")) &&
  existsSync(join(PEERS_ROOT, "lib/systemd/systemd-resolved")) &&
  ["/usr/sbin/dnsmasq", "/sbin/dhclient"].every((p) => existsSync(p));

export interface Peer {
  name: string;
  child: ChildProcess;
  log: () => string;
}

const started: Peer[] = [];
afterEach(async () => {
  const peers = started.splice(0).reverse();
  for (const p of peers) p.child.kill("SIGKILL");
  await Promise.all(
    peers.map((p) =>
      p.child.exitCode === null && p.child.signalCode === null
        ? new Promise((r) => p.child.once("exit", r))
        : Promise.resolve(),
    ),
  );
});

function launch(name: string, argv: string[], env: NodeJS.ProcessEnv = {}): Peer {
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 1 << 20) out = out.slice(-(1 << 19));
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const peer = { name, child, log: () => out };
  started.push(peer);
  return peer;
}

/**
 * /sys read-only (or networkd waits for udev forever), a private /run/systemd
 * (ip netns exec does not make /run private), and networkd's state directory
 * shared with whoever reads it (networkctl, networkd-dispatcher).
 */
const networkdMounts = (netif: string) => `mount -n -o remount,bind,ro /sys
mount -n -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir /run/systemd/netif
mount -n --bind ${netif} /run/systemd/netif`;

/** A shell command run in the namespace with its own mounts (ip netns exec gives a private mount ns). */
function inNs(ns: string, script: string): string[] {
  return ["ip", "netns", "exec", ns, "sh", "-c", `set -e\n${script}`];
}

export class PeerEnv {
  readonly dir = tempDir("netevd-peers-");
  busAddress = "";
  private bus: Peer | undefined;
  private passwd = "";
  private group = "";

  /** A private system bus whose passwd knows resolved's user. */
  async startBus(): Promise<void> {
    this.passwd = join(this.dir, "passwd");
    this.group = join(this.dir, "group");
    const pw = readFileSync("/etc/passwd", "utf8");
    const gr = readFileSync("/etc/group", "utf8");
    writeFileSync(
      this.passwd,
      /^systemd-resolve:/m.test(pw)
        ? pw
        : `${pw}systemd-resolve:x:${RESOLVE_UID}:${RESOLVE_UID}:systemd Resolver:/:/usr/sbin/nologin\n`,
    );
    writeFileSync(
      this.group,
      /^systemd-resolve:/m.test(gr) ? gr : `${gr}systemd-resolve:x:${RESOLVE_UID}:\n`,
    );
    const socket = join(this.dir, "system_bus_socket");
    const conf = join(this.dir, "bus.conf");
    writeFileSync(conf, busConfig(socket));
    this.busAddress = `unix:path=${socket}`;
    execFileSync("rm", ["-f", socket]);
    this.bus = launch("dbus", [
      "unshare",
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      `mount -n --bind ${this.passwd} /etc/passwd && mount -n --bind ${this.group} /etc/group && exec dbus-daemon --config-file=${conf} --nofork --nopidfile`,
    ]);
    if (!(await waitFor(() => existsSync(socket), 5000)))
      throw new Error(`bus did not start: ${this.bus.log()}`);
  }

  /** Kills the bus and starts a new one on the same socket. */
  async restartBus(): Promise<void> {
    const old = this.bus;
    if (old) {
      old.child.kill("SIGKILL");
      if (old.child.exitCode === null && old.child.signalCode === null)
        await new Promise((r) => old.child.once("exit", r));
    }
    await this.startBus();
  }

  /** Waits until a name has an owner on the bus. */
  async waitName(name: string, ms = 15_000): Promise<void> {
    const ok = await waitFor(() => {
      try {
        execFileSync(
          "busctl",
          [
            `--address=${this.busAddress}`,
            "call",
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "GetNameOwner",
            "s",
            name,
          ],
          { stdio: "ignore" },
        );
        return true;
      } catch {
        return false;
      }
    }, ms);
    if (!ok) throw new Error(`${name} did not appear on the bus`);
  }

  busctl(...args: string[]): string {
    return execFileSync("busctl", [`--address=${this.busAddress}`, ...args], { encoding: "utf8" });
  }

  /** systemd-networkd in `ns` with these .network files. */
  async startNetworkd(ns: string, networks: Record<string, string>): Promise<Peer> {
    const conf = join(this.dir, `networkd-${ns}`);
    const netif = join(this.dir, `netif-${ns}`);
    mkdirSync(conf, { recursive: true });
    mkdirSync(netif, { recursive: true });
    chownSync(netif, uidOf("systemd-network"), 0);
    for (const [name, text] of Object.entries(networks)) writeFileSync(join(conf, name), text);
    const peer = launch(
      "networkd",
      inNs(
        ns,
        `${networkdMounts(netif)}
mount -n --bind ${conf} /etc/systemd/network
exec env -u NOTIFY_SOCKET SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console DBUS_SYSTEM_BUS_ADDRESS=${this.busAddress} /lib/systemd/systemd-networkd`,
      ),
    );
    await this.waitName("org.freedesktop.network1");
    return peer;
  }

  /**
   * networkd-dispatcher (Debian's python3 package) next to networkd in `ns`: it runs
   * `networkctl`, so it needs networkd's netns and /run/systemd/netif. Hook
   * directories and scripts must be root's and exactly 0755.
   */
  async startNetworkdDispatcher(ns: string, hooks: string): Promise<Peer> {
    const netif = join(this.dir, `netif-${ns}`);
    const peer = launch(
      "networkd-dispatcher",
      inNs(
        ns,
        `${networkdMounts(netif)}
exec env -u NOTIFY_SOCKET DBUS_SYSTEM_BUS_ADDRESS=${this.busAddress} /usr/bin/python3 /usr/bin/networkd-dispatcher -S ${hooks} -v`,
      ),
    );
    if (!(await waitFor(() => peer.log().includes("Startup complete"), 15_000)))
      throw new Error(`networkd-dispatcher did not start: ${peer.log()}`);
    return peer;
  }

  /** Shell lines giving a process in `ns` networkd's view of /run/systemd/netif (for networkctl). */
  networkdView(ns: string): string {
    return networkdMounts(join(this.dir, `netif-${ns}`));
  }

  /**
   * dnsmasq serving DHCP (and DNS for peers.test) on `iface` in `ns`; the interface has `router`/24.
   * Its leases are kept in the test's directory: a dnsmasq started again gives the same address.
   */
  async startDnsmasq(ns: string, iface: string, net: string, opts: { dns?: string } = {}): Promise<Peer> {
    const leases = join(this.dir, `dnsmasq-${iface}.leases`);
    const peer = launch(
      `dnsmasq-${iface}`,
      inNs(
        ns,
        `exec dnsmasq --keep-in-foreground --conf-file=/dev/null --pid-file= --user=root --interface=${iface} --bind-interfaces --port=0 --no-ping \
--dhcp-range=${net}.100,${net}.150,255.255.255.0,2m --dhcp-option=option:router,${net}.1 \
--dhcp-option=option:dns-server,${opts.dns ?? `${net}.1`} --dhcp-option=option:domain-name,peers.test \
--dhcp-option=12,peer-given --dhcp-leasefile=${leases} --dhcp-authoritative --log-dhcp --log-facility=-`,
      ),
    );
    // It logs its DHCP range once it listens.
    if (!(await waitFor(() => peer.log().includes("DHCP, IP range"), 10_000)))
      throw new Error(`dnsmasq did not start: ${peer.log()}`);
    return peer;
  }

  /**
   * An OpenVPN server with a static key in `ns`, listening on UDP 1194: tun
   * `dev` gets 10.8.0.1, its peer 10.8.0.2. Returns the key's file (the
   * client's too).
   */
  async startOpenvpnServer(ns: string, dev: string): Promise<{ peer: Peer; key: string }> {
    const key = join(this.dir, "openvpn.key");
    const openvpn = join(PEERS_ROOT, "usr/sbin/openvpn");
    const env = { LD_LIBRARY_PATH: NM_LD };
    execFileSync(openvpn, ["--genkey", "secret", key], { env, stdio: "ignore" });
    const peer = launch(
      `openvpn-${dev}`,
      inNs(
        ns,
        `exec env LD_LIBRARY_PATH=${NM_LD} ${openvpn} --dev ${dev} --dev-type tun --proto udp --lport 1194 \
--ifconfig 10.8.0.1 10.8.0.2 --secret ${key} 0 --cipher AES-256-CBC --verb 3`,
      ),
    );
    if (!(await waitFor(() => peer.log().includes("UDPv4 link local"), 10_000)))
      throw new Error(`openvpn did not start: ${peer.log()}`);
    return { peer, key };
  }

  /**
   * dnsmasq serving DHCPv6 (addresses from fd13:1::/64, DNS servers `dns`) on `iface` in `ns`,
   * which gets fd13:1::1/64. IPv6 duplicate address detection is off in `namespaces`.
   */
  async startDnsmasq6(ns: string, iface: string, dns: string, namespaces: string[]): Promise<Peer> {
    for (const n of namespaces)
      execFileSync("ip", [
        "netns",
        "exec",
        n,
        "sh",
        "-c",
        "for f in /proc/sys/net/ipv6/conf/*/accept_dad; do echo 0 > $f; done",
      ]);
    if (!ip(ns, "-6", "addr", "show", "dev", iface).includes("fd13:1::1/64"))
      ip(ns, "addr", "add", "fd13:1::1/64", "dev", iface, "nodad");
    const leases = join(this.dir, `dnsmasq6-${iface}.leases`);
    const peer = launch(
      `dnsmasq6-${iface}`,
      inNs(
        ns,
        `exec dnsmasq --keep-in-foreground --conf-file=/dev/null --pid-file= --user=root --interface=${iface} --bind-interfaces --port=0 \
--dhcp-range=fd13:1::100,fd13:1::1ff,64,2m --dhcp-option=option6:dns-server,${dns} \
--dhcp-leasefile=${leases} --dhcp-authoritative --log-dhcp --log-facility=-`,
      ),
    );
    if (!(await waitFor(() => peer.log().includes("DHCPv6, IP range"), 10_000)))
      throw new Error(`dnsmasq (DHCPv6) did not start: ${peer.log()}`);
    return peer;
  }

  /** isc-dhclient on `iface` in `ns`, with a script that only sets the address and route (never resolv.conf). */
  startDhclient(ns: string, iface: string, leaseFile: string): Peer {
    const script = join(this.dir, "dhclient-script");
    writeFileSync(
      script,
      `#!/bin/sh
mask2len() { n=0; IFS=.; for o in $1; do case $o in 255) n=$((n+8));; 254) n=$((n+7));; 252) n=$((n+6));; 248) n=$((n+5));; 240) n=$((n+4));; 224) n=$((n+3));; 192) n=$((n+2));; 128) n=$((n+1));; esac; done; echo $n; }
case "$reason" in
  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT)
    ip -4 addr replace "$new_ip_address/$(mask2len "$new_subnet_mask")" dev "$interface"
    for r in $new_routers; do ip -4 route replace default via "$r" dev "$interface"; break; done ;;
  EXPIRE|FAIL|RELEASE|STOP) ip -4 addr flush dev "$interface" ;;
esac
exit 0
`,
    );
    chmodSync(script, 0o755);
    const conf = join(this.dir, "dhclient.conf");
    writeFileSync(
      conf,
      "request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name, dhcp-lease-time;\n",
    );
    return launch(
      `dhclient-${iface}`,
      inNs(
        ns,
        `exec dhclient -4 -d -v -cf ${conf} -lf ${leaseFile} -pf ${join(this.dir, `dhclient-${iface}.pid`)} -sf ${script} ${iface}`,
      ),
    );
  }

  /** systemd-resolved (extracted) in `ns`. */
  async startResolved(ns: string): Promise<Peer> {
    const run = join(this.dir, "resolve-run");
    mkdirSync(run, { recursive: true });
    chownSync(run, RESOLVE_UID, RESOLVE_UID);
    const resolv = join(this.dir, "resolved-resolv.conf");
    writeFileSync(resolv, "# private resolv.conf of the resolved test namespace\n");
    const conf = join(this.dir, "resolved.conf");
    writeFileSync(
      conf,
      "[Resolve]\nFallbackDNS=\nLLMNR=no\nMulticastDNS=no\nDNSSEC=no\nDNSStubListener=no\n",
    );
    const peer = launch(
      "resolved",
      inNs(
        ns,
        `mount -n -o remount,bind,ro /sys
mount -n -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir /run/systemd/resolve /run/systemd/resolved.conf.d /run/systemd/netif
mount -n --bind ${run} /run/systemd/resolve
cp ${conf} /run/systemd/resolved.conf.d/50-test.conf
mount -n --bind ${this.passwd} /etc/passwd
mount -n --bind ${this.group} /etc/group
mount -n --bind ${resolv} /etc/resolv.conf
exec env -u NOTIFY_SOCKET SYSTEMD_LOG_LEVEL=debug DBUS_SYSTEM_BUS_ADDRESS=${this.busAddress} ${PEERS_ROOT}/lib/systemd/systemd-resolved`,
      ),
    );
    await this.waitName("org.freedesktop.resolve1");
    return peer;
  }

  /** systemd-hostnamed in its own UTS namespace with an overlay on /etc (no static host name in it). */
  async startHostnamed(): Promise<Peer> {
    const upper = join(this.dir, "hostnamed-upper");
    const work = join(this.dir, "hostnamed-work");
    mkdirSync(upper, { recursive: true });
    mkdirSync(work, { recursive: true });
    const peer = launch("hostnamed", [
      "unshare",
      "-u",
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      `set -e
mount -n -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${work} /etc
rm -f /etc/hostname
hostname netevd-peers-start
mount -n -t tmpfs -o mode=0755 tmpfs /run/systemd
exec env -u NOTIFY_SOCKET DBUS_SYSTEM_BUS_ADDRESS=${this.busAddress} /lib/systemd/systemd-hostnamed`,
    ]);
    await this.waitName("org.freedesktop.hostname1");
    return peer;
  }

  /** The host name in a process's UTS namespace. */
  static utsHostname(pid: number): string {
    return execFileSync("nsenter", ["-t", String(pid), "-u", "hostname"], { encoding: "utf8" }).trim();
  }

  /**
   * NetworkManager (extracted) in `ns`, managing only `nm*` links, with these keyfile profiles.
   * With `dispatcherDir`, that directory is its /etc/NetworkManager/dispatcher.d: NetworkManager
   * calls its dispatcher only when that directory holds scripts.
   */
  async startNetworkManager(
    ns: string,
    profiles: Record<string, string>,
    /** `dns`: the [main] lines of NetworkManager's DNS handling (default: none, unmanaged resolv.conf). */
    opts: {
      dispatcherDir?: string;
      connectivity?: string;
      dns?: string;
      etcNetevd?: string;
      /** Its OpenVPN plugin (and openvpn) where the plugin looks for them. */
      openvpn?: boolean;
    } = {},
  ): Promise<Peer> {
    const conf = join(this.dir, "nm");
    const connections = join(conf, "system-connections");
    for (const d of ["conf.d", "empty", "system-connections", "run", "varlib"])
      mkdirSync(join(conf, d), { recursive: true });
    writeFileSync(
      join(conf, "NetworkManager.conf"),
      `[main]
plugins=keyfile
dhcp=internal
${opts.dns ?? "dns=none\nrc-manager=unmanaged"}
hostname-mode=none
auth-polkit=false
no-auto-default=*
systemd-resolved=false
[keyfile]
path=${connections}
unmanaged-devices=except:interface-name:nm*
[connectivity]
${opts.connectivity ?? "enabled=false"}
`,
    );
    chmodSync(connections, 0o700);
    for (const [name, text] of Object.entries(profiles)) {
      writeFileSync(join(connections, name), text);
      chmodSync(join(connections, name), 0o600);
    }
    const resolv = join(conf, "resolv.conf");
    writeFileSync(resolv, "# private resolv.conf of the NetworkManager test namespace\n");
    const peer = launch("NetworkManager", [
      "ip",
      "netns",
      "exec",
      ns,
      "unshare",
      "-u",
      "sh",
      "-c",
      `set -e
mount -n -o remount,bind,ro /sys
mount -n -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/NetworkManager && mount -n --bind ${conf}/run /run/NetworkManager
mount -n -t tmpfs -o mode=0755 tmpfs /var/lib
mkdir -p /var/lib/NetworkManager && mount -n --bind ${conf}/varlib /var/lib/NetworkManager
${opts.dispatcherDir ? this.dispatcherMount("nm", opts.dispatcherDir, opts.etcNetevd) : ""}
mount -n --bind ${resolv} /etc/resolv.conf
${opts.openvpn ? this.openvpnMounts() : ""}
exec env DBUS_SYSTEM_BUS_ADDRESS=${this.busAddress} LD_LIBRARY_PATH=${NM_LD} NM_OPENVPN_USER= NM_OPENVPN_GROUP= NM_OPENVPN_CHROOT= \
  ${PEERS_ROOT}/usr/sbin/NetworkManager --debug --log-level=INFO \
--config=${conf}/NetworkManager.conf --config-dir=${conf}/conf.d --system-config-dir=${conf}/empty \
--intern-config=/var/lib/NetworkManager/NetworkManager-intern.conf --state-file=/var/lib/NetworkManager/NetworkManager.state \
--pid-file=/run/NetworkManager/NetworkManager.pid`,
    ]);
    await this.waitName("org.freedesktop.NetworkManager");
    return peer;
  }

  /**
   * NetworkManager's own dispatcher (extracted), kept running (--persist), with `dir`
   * as its /etc/NetworkManager/dispatcher.d: the ground truth of what its scripts get.
   */
  async startNmDispatcher(ns: string, dir: string, etcNetevd?: string): Promise<Peer> {
    const peer = launch(
      "nm-dispatcher",
      inNs(
        ns,
        `${this.dispatcherMount("nm-dispatcher", dir, etcNetevd)}
exec env DBUS_SYSTEM_BUS_ADDRESS=${this.busAddress} LD_LIBRARY_PATH=${NM_LD} ${PEERS_ROOT}/usr/lib/NetworkManager/nm-dispatcher --persist --debug`,
      ),
    );
    await this.waitName("org.freedesktop.nm_dispatcher");
    return peer;
  }

  /** Shell lines giving this mount namespace `dir` as /etc/NetworkManager/dispatcher.d (an overlay: the host's /etc is untouched). */
  /** With `etcNetevd`, that directory is /etc/netevd too (where netevd-migrate moves scripts). */
  private dispatcherMount(who: string, dir: string, etcNetevd?: string): string {
    const upper = join(this.dir, `${who}-etc-upper`);
    const work = join(this.dir, `${who}-etc-work`);
    mkdirSync(upper, { recursive: true });
    mkdirSync(work, { recursive: true });
    return `mount -n -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${work} /etc
mkdir -p /etc/NetworkManager/dispatcher.d
mount -n --bind ${dir} /etc/NetworkManager/dispatcher.d${
      etcNetevd ? `\nmkdir -p /etc/netevd\nmount -n --bind ${etcNetevd} /etc/netevd` : ""
    }`;
  }

  /**
   * Shell lines giving this mount namespace the OpenVPN plugin and openvpn at
   * the paths compiled into the plugin (overlays: the host's /usr is
   * untouched). openvpn runs the plugin's helper with its own variables only,
   * so each program is a wrapper that gives it the libraries and the bus.
   */
  private openvpnMounts(): string {
    const lib = join(this.dir, "openvpn-lib");
    const sbin = join(this.dir, "openvpn-sbin");
    mkdirSync(join(lib, "NetworkManager/VPN"), { recursive: true });
    mkdirSync(sbin, { recursive: true });
    const name = "NetworkManager/VPN/nm-openvpn-service.name";
    writeFileSync(join(lib, name), readFileSync(join(PEERS_ROOT, "usr/lib", name)));
    const wrap = (path: string, target: string) => {
      writeFileSync(
        path,
        `#!/bin/sh\nexec /usr/bin/env LD_LIBRARY_PATH=${NM_LD} DBUS_SYSTEM_BUS_ADDRESS=${this.busAddress} ${target} "$@"\n`,
      );
      chmodSync(path, 0o755);
    };
    for (const program of ["nm-openvpn-service", "nm-openvpn-service-openvpn-helper"])
      wrap(join(lib, "NetworkManager", program), join(PEERS_ROOT, "usr/lib/NetworkManager", program));
    wrap(join(sbin, "openvpn"), join(PEERS_ROOT, "usr/sbin/openvpn"));
    return `mount -n -t overlay overlay -o lowerdir=${lib}:/usr/lib /usr/lib
mount -n -t overlay overlay -o lowerdir=${sbin}:/usr/sbin /usr/sbin`;
  }

  /** nmcli (extracted), a plain D-Bus client. */
  nmcli(...args: string[]): string {
    return execFileSync(join(PEERS_ROOT, "usr/bin/nmcli"), args, {
      encoding: "utf8",
      env: { PATH: process.env.PATH, DBUS_SYSTEM_BUS_ADDRESS: this.busAddress, LD_LIBRARY_PATH: NM_LD },
    });
  }
}

/** nd0 with a static address, gateway, DNS server and domain (the peer end is 10.213.1.1). */
export const ND0_STATIC = `[Match]
Name=nd0
[Network]
Address=10.213.1.2/24
Gateway=10.213.1.1
DNS=10.213.1.1
Domains=static.peers.test
LinkLocalAddressing=no
IPv6AcceptRA=no
`;

/**
 * The networkd setup of the real-peer tests and the benchmark: netevd's side
 * (client) with nd0, the far side (server) with nd0p at 10.213.1.1/24 (down),
 * a private bus and real networkd configured with `networks`.
 */
export async function networkdTopology(networks: Record<string, string>) {
  const client = createNetns();
  const server = createNetns();
  const nd0 = veth(client, "nd0", "nd0p", { peerNs: server, up: false });
  ip(server, "addr", "add", "10.213.1.1/24", "dev", "nd0p");
  const env = new PeerEnv();
  await env.startBus();
  const networkd = await env.startNetworkd(client, networks);
  return { client, server, nd0, env, networkd };
}

function uidOf(user: string): number {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user}`);
  return Number(line.split(":")[2]);
}

/**
 * networkd-dispatcher and netevd (the same directory in style
 * networkd-dispatcher) side by side beside networkd in `ns`: returns netevd.
 */
export async function besideNetworkdDispatcher(env: PeerEnv, ns: string, hooks: string) {
  await env.startNetworkdDispatcher(ns, hooks);
  const config = join(tempDir(), "netevd.yaml");
  writeFileSync(
    config,
    `system: { backend: systemd-networkd, user: nobody }
scripts:
  dir: ${tempDir()}
  directories: [{ path: ${hooks}, style: networkd-dispatcher }]
`,
  );
  return startDaemon(
    ns,
    config,
    { DBUS_SYSTEM_BUS_ADDRESS: env.busAddress },
    [],
    undefined,
    env.networkdView(ns),
  );
}

/** A keyfile profile for NetworkManager: an Ethernet link with a static IPv4 address and gateway. */
export function nmStaticProfile(p: {
  id: string;
  uuid: string;
  iface: string;
  address: string;
  gateway: string;
  dns?: string;
  autoconnect?: boolean;
}): string {
  return `[connection]
id=${p.id}
uuid=${p.uuid}
type=ethernet
interface-name=${p.iface}
autoconnect=${p.autoconnect === false ? "false" : "true"}
[ipv4]
method=manual
address1=${p.address},${p.gateway}
${p.dns ? `dns=${p.dns};\n` : ""}[ipv6]
method=disabled
`;
}

/**
 * A static-key OpenVPN profile (NetworkManager's OpenVPN plugin) for the
 * server of startOpenvpnServer at `remote`: the tunnel's DNS server and search
 * domain, never the default route, no IPv6.
 */
export function nmOpenvpnProfile(p: { id: string; uuid: string; remote: string; key: string }): string {
  return `[connection]
id=${p.id}
uuid=${p.uuid}
type=vpn
autoconnect=false
[vpn]
service-type=org.freedesktop.NetworkManager.openvpn
connection-type=static-key
remote=${p.remote}
static-key=${p.key}
static-key-direction=1
local-ip=10.8.0.2
remote-ip=10.8.0.1
dev-type=tun
cipher=AES-256-CBC
[ipv4]
method=auto
never-default=true
dns=10.8.0.1;
dns-search=vpn.peers.test;
[ipv6]
method=disabled
`;
}

/**
 * A client namespace (NetworkManager's: nm1, left down for it to manage) and a
 * server namespace (nm1p, up, with `serverAddress` when given) joined by a veth.
 */
export function nmPair(serverAddress?: string): { client: string; server: string } {
  const client = createNetns();
  const server = createNetns();
  veth(client, "nm1", "nm1p", { peerNs: server, up: false });
  if (serverAddress) ip(server, "addr", "add", serverAddress, "dev", "nm1p");
  ip(server, "link", "set", "nm1p", "up");
  return { client, server };
}

/**
 * netevd.yaml for the NetworkManager tests: user nobody, debug log, scripts
 * from `directories` in order (each `[path, style]`). Returns its path.
 */
export function nmDaemonConfig(directories: [string, string][]): string {
  const config = join(tempDir(), "netevd.yaml");
  const dirs = directories.map(([path, style]) => `{ path: ${path}, style: ${style} }`).join(", ");
  writeFileSync(
    config,
    `system: { backend: NetworkManager, user: nobody, log_level: debug }
scripts:
  dir: ${tempDir()}
  directories: [${dirs}]
`,
  );
  return config;
}
