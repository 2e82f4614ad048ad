import type { Command } from "commander";
import { DhclientLeases } from "../../backends/dhclient/dhclient";
import { readNetworkdLease } from "../../backends/networkd/leases";
import { chooseBackend } from "../../backends/host-manager";
import { probeHost } from "../../backends/host-manager-watch";
import type { Config } from "../../config/schema";
import { EXIT, FatalError } from "../../errors";
import { eventJson, type NetworkEvent } from "../../events/event";
import {
  type Backend,
  isManagerBackend,
  KERNEL_STATES,
  NETWORKD_ADMINISTRATIVE,
  NETWORKD_OPERATIONAL,
  NM_DEVICE_STATES,
} from "../../events/names";
import { KernelState } from "../../kernel/state";
import { buildEvent } from "../../links/event-builder";
import type { LinkProperties } from "../../links/link-table";
import { getLogger } from "../../log/logger";
import { realBinding } from "../../native/real";
import { EventFilters } from "../../filters/apply";
import { selects } from "../../scripts/discover";
import { ScriptRunner } from "../../scripts/runner";
import { runnerSettings } from "../../scripts/settings";
import { networkctlStatus } from "../../system/networkctl";
import { basename } from "node:path";
import { contextOf, requireConfig } from "../context";
import { renderData, renderTable } from "../output";

const is = (list: readonly string[], name: string) => list.includes(name);

/** What the manager would report of a link that entered `event`. */
function enteredProps(event: string, backend: Backend): LinkProperties | undefined {
  if (backend === "systemd-networkd") {
    if (is(NETWORKD_OPERATIONAL, event)) return { OperationalState: event };
    if (is(NETWORKD_ADMINISTRATIVE, event)) return { AdministrativeState: event };
  }
  if (backend === "NetworkManager" && is(NM_DEVICE_STATES, event)) return { DeviceState: event };
  return undefined;
}

/** The link's current lease, from the same files the daemon reads. */
function currentLease(
  config: Config,
  backend: Backend,
  link: { name: string; index: number },
  event: string,
) {
  // networkd's DHCPv6 lease is in its DescribeLink, which netevd test does not ask for.
  if (backend === "systemd-networkd")
    return event === "dhcp6-change" ? null : (readNetworkdLease(link.index)?.info ?? null);
  if (backend !== "dhclient") return null;
  const leases = new DhclientLeases({
    leaseFiles: config.backends.dhclient.lease_files,
    log: getLogger("dhclient"),
    onChange: () => undefined,
  });
  leases.start();
  const lease = leases.forLink(link.name)?.info ?? null;
  leases.close();
  return lease;
}

/** The configured backend, or under `auto` the one that manages this host now (as the daemon chooses). */
async function backendOf(config: Config): Promise<Backend> {
  const b = config.system.backend;
  if (b !== "auto") return b;
  return chooseBackend(await probeHost(config.backends.dhclient.lease_files, getLogger("backend"))).backend;
}

/**
 * The event the daemon would build if the link entered `eventName` now: the
 * kernel's tables read once (one netlink dump), then the daemon's own builder.
 */
async function eventFor(eventName: string, linkName: string, config: Config): Promise<NetworkEvent> {
  const kernel = new KernelState(realBinding(), { log: getLogger("kernel") });
  await kernel.start();
  try {
    const link = [...kernel.links.values()].find((l) => l.name === linkName);
    if (!link) throw new FatalError(`netevd test: no link named "${linkName}"`, EXIT.FAILURE);
    const backend = await backendOf(config);
    const managed = isManagerBackend(backend);
    const lease = currentLease(config, backend, link, eventName);
    const event = buildEvent(
      eventName,
      link,
      null,
      { tables: kernel.tables, backend, managed },
      enteredProps(eventName, backend),
      lease,
    );
    // networkd's DHCPv4 lease event as it would run now: the lease there is was acquired, none was lost.
    if (backend === "systemd-networkd" && eventName === "dhcp4-change")
      return { ...event, dhcpChange: lease ? "acquired" : "lost" };
    // Under the kernel-derived backends the event is the state it names.
    return !managed && is(KERNEL_STATES, eventName)
      ? { ...event, state: { ...event.state, operational: eventName } }
      : event;
  } finally {
    kernel.close();
  }
}

/** `netevd test EVENT --link NAME`: loaded when the command runs. */
export async function testEvent(eventName: string, opts: { link: string; dryRun?: boolean }, cmd: Command) {
  const ctx = contextOf(cmd);
  const { config } = requireConfig(ctx);
  const binding = realBinding();
  const runner = new ScriptRunner({
    ...runnerSettings(config, opts.dryRun === true),
    binding,
    styleContext: { networkctlStatus: networkctlStatus(binding) },
  });
  const event = await eventFor(eventName, opts.link, config);
  const plan = runner.plan(event);
  const directory = runner.eventDir(eventName);
  // The daemon's filters decide here too: what they ignore, or leave out, does not run.
  const decision = new EventFilters(config.filters).decide(plan.event, getLogger("filters"));
  const only = decision.run ? decision.only : [];
  const listing = {
    event: eventName,
    link: plan.event.link.name,
    directory,
    filter: decision.run ? null : `ignored by filters[${decision.filter}]`,
    scripts: plan.scripts.filter((s) => selects(only, s)).map((s) => s.path),
    skipped: plan.skipped.map((s) => ({ path: s.path, rule: s.rule, detail: s.detail })),
    dropped: plan.dropped,
    environment: plan.env,
    json: plan.env.JSON === undefined ? null : eventJson(plan.event),
    // Directories of other styles (scripts.directories, or scripts.dir in another style).
    styles: (await runner.planStyles(event)).map((p) => ({
      ...p,
      scripts: decision.run ? p.scripts.filter((path) => selects(only, { name: basename(path), path })) : [],
      skipped: p.skipped.map((s) => ({ path: s.path, rule: s.rule, detail: s.detail })),
    })),
  };
  if (opts.dryRun) {
    if (ctx.format === "table") ctx.out(planText(listing));
    else ctx.out(renderData(listing, ctx.format));
    return;
  }
  const report = await runner.dispatch(event, only);
  const results = report.results.map((r) => ({
    script: r.path,
    exit_code: r.exitCode,
    signal: r.signal,
    timed_out: r.timedOut,
    duration_ms: Math.round(r.durationMs),
    error: r.spawnError ?? null,
  }));
  if (ctx.format === "table") {
    ctx.out(
      results.length
        ? renderTable(results, [
            { header: "script", value: (r) => r.script },
            { header: "exit", value: (r) => r.exit_code ?? r.signal ?? r.error },
            { header: "timed out", value: (r) => (r.timed_out ? "yes" : "no") },
            { header: "ms", value: (r) => r.duration_ms },
          ])
        : listing.filter
          ? `no scripts run: the event is ${listing.filter}\n`
          : `no scripts in ${directory}\n`,
    );
  } else {
    ctx.out(renderData({ ...listing, results }, ctx.format));
  }
  if (results.some((r) => r.exit_code !== 0)) process.exitCode = EXIT.FAILURE;
}

interface Listing {
  directory: string;
  filter: string | null;
  scripts: string[];
  skipped: { path: string; rule: string; detail: string }[];
  environment: Record<string, string>;
}

function planText(
  p: Listing & { styles: (Omit<Listing, "filter"> & { style: string; arguments: string[] })[] },
): string {
  const lines: string[] = [];
  const section = (head: string, l: Listing, env: Record<string, string>) => {
    lines.push(head);
    const none = p.filter ? `  (none: the event is ${p.filter})` : "  (none)";
    lines.push(...(l.scripts.length ? l.scripts.map((s) => `  ${s}`) : [none]));
    for (const s of l.skipped) lines.push(`  skipped ${s.path}: ${s.rule}: ${s.detail}`);
    lines.push("Environment:");
    for (const key of Object.keys(env).sort()) lines.push(`  ${key}=${env[key]}`);
  };
  section(`Scripts in ${p.directory}, in order:`, p, p.environment);
  for (const s of p.styles) {
    // Only what the style adds or changes: netevd's own variables are listed above.
    const own = Object.fromEntries(Object.entries(s.environment).filter(([k, v]) => p.environment[k] !== v));
    const args = s.arguments.length
      ? `, arguments: ${s.arguments.map((a) => JSON.stringify(a)).join(" ")}`
      : "";
    section(
      `Scripts in ${s.directory} (style ${s.style}${args}), in order:`,
      { ...s, filter: p.filter },
      own,
    );
  }
  return `${lines.join("\n")}\n`;
}
