// The whole daemon in this process, on the fake kernel: its configuration,
// kernel state, link states, dispatcher and script runner as in production;
// the kernel is FakeKernel (netlink messages the test makes), the network
// manager is a BackendSink the test calls (the signals the D-Bus adapters
// would turn into calls), scripts are recorded by the fake binding's
// spawnProcess and exit at once. No process is started, no namespace made;
// with vi.useFakeTimers() no test waits on the clock: settle() advances it.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, vi } from "vitest";
import type { Backend as Adapter, BackendSink } from "../../src/backends/types";
import { loadConfigFile } from "../../src/config/load";
import type { BackendInUse } from "../../src/daemon/backend-follow";
import { Daemon } from "../../src/daemon/daemon";
import type { Backend } from "../../src/events/names";
import type { Address } from "../../src/netlink/address";
import { AF_INET, AF_INET6 } from "../../src/netlink/constants";
import type { Link } from "../../src/netlink/link";
import type { Route } from "../../src/netlink/route";
import { FakeKernel } from "../doubles/fake-kernel";
import { tempDir } from "./tmp";

/** Taken before a test fakes the clock: the loop's own turn. */
const realSetImmediate = globalThis.setImmediate;

/** A link as the kernel reports it; `up` and `lowerUp` set its flags (IFF_UP, IFF_RUNNING, IFF_LOWER_UP). */
export const link = (index: number, name: string, over: Partial<Link> = {}): Link => {
  const l: Link = {
    index,
    name,
    type: 1,
    flags: 0,
    up: true,
    lowerUp: true,
    mtu: 1500,
    mac: `52:54:00:00:00:${index.toString(16).padStart(2, "0")}`,
    operstate: "up",
    carrier: true,
    master: null,
    kind: "veth",
    ...over,
  };
  const running = l.up && l.lowerUp;
  l.flags = 0x1002 | (l.up ? 0x1 : 0) | (running ? 0x40 : 0) | (l.lowerUp ? 0x10000 : 0);
  if (!running) l.operstate = l.up ? "lowerlayerdown" : "down";
  if (!l.lowerUp) l.carrier = false;
  return l;
};

export const address = (index: number, addr: string, over: Partial<Address> = {}): Address => ({
  family: addr.includes(":") ? AF_INET6 : AF_INET,
  index,
  prefixLength: 24,
  scope: 0,
  flags: 0x80,
  address: addr,
  peer: null,
  label: null,
  ...over,
});

/** A default route through `gateway` on link `oif`, in the main table. */
export const defaultRoute = (oif: number, gateway: string): Route => ({
  family: AF_INET,
  table: 254,
  protocol: 4,
  scope: 0,
  type: 1,
  tos: 0,
  flags: 0,
  dst: null,
  dstLength: 0,
  src: null,
  srcLength: 0,
  gateway,
  oif,
  priority: null,
  prefsrc: null,
});

/** One script run: its event, link and whole environment. */
interface Run {
  script: string;
  event: string;
  link: string;
  env: Record<string, string>;
}

const EVENT_PROPERTIES: Partial<Record<Backend, Adapter["eventProperties"]>> = {
  "systemd-networkd": ["OperationalState", "AdministrativeState"],
  NetworkManager: ["DeviceState"],
};

export interface InProcess {
  kernel: FakeKernel;
  /** Where the manager's signals arrive (networkd, NetworkManager). */
  sink: () => BackendSink;
  dir: string;
  /** Scripts run so far, in order. */
  runs: () => Run[];
  /** Runs of one event (and link). */
  ran: (event: string, link?: string) => Run[];
  /** Lets every queued message, event and script go through: the fake clock moves `ms` on. */
  settle: (ms?: number) => Promise<void>;
  /** Settles until `cond` holds (a file watch's event comes on the real loop); fails after 200 rounds. */
  until: (cond: () => boolean) => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * Starts the daemon with `backend` pinned, `events` directories holding one
 * script each, and `yaml` added to the configuration; `links` are in the
 * kernel before it starts. Call vi.useFakeTimers() first.
 */
export async function inProcessDaemon(o: {
  backend: Backend;
  events: string[];
  links?: Link[];
  /** More of the configuration (not system: or scripts:). */
  yaml?: string;
  /** More keys of scripts: ("run_startup_triggers: true"). */
  scripts?: string;
  /** The manager's first reading, as its adapter reports it while the daemon starts. */
  enumerate?: (sink: BackendSink) => void;
}): Promise<InProcess> {
  const kernel = new FakeKernel();
  // As the root that starts it: every capability; it then becomes nobody with CAP_NET_ADMIN.
  const all = (1n << 41n) - 1n;
  kernel.binding.caps = { effective: all, permitted: all, inheritable: 0n };
  for (const l of [link(1, "lo", { type: 772, kind: null }), ...(o.links ?? [])]) kernel.setLink(l);
  const dir = tempDir();
  for (const e of o.events) {
    mkdirSync(join(dir, `${e}.d`), { recursive: true });
    writeFileSync(join(dir, `${e}.d`, "50-record"), "#!/bin/sh\n");
    chmodSync(join(dir, `${e}.d`, "50-record"), 0o755);
  }
  const config = join(dir, "netevd.yaml");
  writeFileSync(
    config,
    `system: { backend: ${o.backend}, user: nobody }\n` +
      // dhclient's lease files, where the test writes them.
      `backends: { dhclient: { lease_files: ["${dir}/dhclient.*.leases"] } }\n` +
      `scripts: { dir: ${dir}${o.scripts ? `, ${o.scripts}` : ""} }\napi: { socket: ${dir}/api.sock }\n${o.yaml ?? ""}`,
  );
  let sink: BackendSink | undefined;
  const use: BackendInUse = { backend: o.backend, auto: false, reason: "configured", problem: null };
  const daemon = new Daemon({
    configPath: config,
    configExplicit: true,
    dryRun: false,
    binding: kernel.binding,
    env: {},
    seams: {
      loadConfig: (path, explicit) => loadConfigFile(path, explicit),
      adapter: (backend, s) => {
        const eventProperties = EVENT_PROPERTIES[backend];
        if (!eventProperties) return undefined;
        sink = s;
        return {
          eventProperties,
          start: () => {
            o.enumerate?.(s);
            return Promise.resolve();
          },
          details: () => Promise.resolve(null),
          stop() {},
        };
      },
      follow: () => ({ start: () => Promise.resolve(use), now: () => use, stop() {} }),
    },
  });
  const settle = async (ms = 10) => {
    // Netlink deliveries, script exits and the runner's queues each take turns of the loop:
    // the fake clock moves on, and the real loop turns (file watches, sockets).
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(ms);
      await new Promise((r) => realSetImmediate(r));
    }
  };
  const starting = daemon.start();
  await settle();
  await starting;
  const runs = (): Run[] =>
    [...kernel.binding.spawned.values()].map((p) => {
      const env = Object.fromEntries(
        p.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      );
      return { script: p.argv.at(-1) ?? p.file, event: env.EVENT ?? "", link: env.LINK ?? "", env };
    });
  return {
    kernel,
    sink: () => {
      if (!sink) throw new Error(`the ${o.backend} backend has no manager to signal`);
      return sink;
    },
    dir,
    runs,
    ran: (event, l) => runs().filter((r) => r.event === event && (l === undefined || r.link === l)),
    settle,
    until: async (cond) => {
      for (let i = 0; i < 200 && !cond(); i++) await settle();
      if (!cond()) throw new Error("the condition never held");
    },
    stop: async () => {
      const stopping = daemon.stop();
      await settle();
      await stopping;
    },
  };
}

/**
 * For a describe block: the clock faked for each test, and the daemon its
 * test started (start()) stopped after it.
 */
export function useInProcess(): { start: typeof inProcessDaemon } {
  let running: InProcess | undefined;
  beforeEach(() => vi.useFakeTimers());
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    vi.useRealTimers();
  });
  return {
    start: async (o) => {
      running = await inProcessDaemon(o);
      return running;
    },
  };
}
