// Two readings of network-broker's file: what network-broker actually did with
// it, and what the file evidently means. Every key where they differ is
// reported with both values; the translation follows one of them.
import { nearest } from "../src/util/suggest";
import { BROKER_KEYS, type BrokerKey, brokerBool, findKey, LOG_LEVELS, SECTION_NAMES } from "./model";
import type { Entry, ReadResult } from "./read";

export interface Reading {
  logLevel: string;
  backend: "systemd-networkd" | "dhclient" | "NetworkManager";
  /** null: every link. */
  interfaces: string[] | null;
  policy: string[];
  emitJson: boolean;
  useDns: boolean;
  useDomain: boolean;
  useHostname: boolean;
}

export type ReadingKey = keyof Reading;

export interface Difference {
  /** network-broker's key, e.g. "[Network] Links". */
  key: string;
  line: number | null;
  actual: unknown;
  intent: unknown;
  why: string;
}

export interface KeyUse {
  key: string;
  line: number | null;
  value: unknown;
}

export interface Interpretation {
  actual: Reading;
  intent: Reading;
  differences: Difference[];
  warnings: string[];
  /** Things with no netevd equivalent, or behaviour that changes after migration. */
  notes: string[];
  /** Where each reading key came from (for comments in the written YAML). */
  sources: Partial<Record<ReadingKey, KeyUse>>;
  /** network-broker would have exited at start with this file (a value its type conversion refused). */
  crashed: KeyUse[];
}

const BROKER_DEFAULTS: Reading = {
  logLevel: "info",
  backend: "systemd-networkd",
  interfaces: null,
  policy: [],
  emitJson: false,
  useDns: false,
  useDomain: false,
  useHostname: false,
};

/** A scalar as network-broker's string getter saw it; tables and lists are "". */
const scalar = (v: unknown): string =>
  typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : "";

const label = (k: BrokerKey) => `[${SECTION_NAMES[k.section]}] ${k.name}`;

/** network-broker's Generator rule: empty or containing "systemd-networkd" → networkd, anything else → dhclient. */
function generatorActual(v: string): Reading["backend"] {
  return v === "" || v.includes("systemd-networkd") ? "systemd-networkd" : "dhclient";
}

function generatorIntent(v: string): Reading["backend"] {
  const t = v.trim();
  if (t === "" || t.includes("systemd-networkd")) return "systemd-networkd";
  if (/^network-?manager$/i.test(t) || /^nm$/i.test(t)) return "NetworkManager";
  if (/dhclient/i.test(t)) return "dhclient";
  return (
    (nearest(t, ["systemd-networkd", "dhclient", "NetworkManager"]) as Reading["backend"] | undefined) ??
    "dhclient"
  );
}

/** A link list as written: whitespace-separated (network-broker), commas tolerated (warned), or a YAML/TOML list. */
function listIntent(v: unknown, key: string, warnings: string[]): string[] {
  if (Array.isArray(v)) return v.map(String).filter(Boolean);
  const s = scalar(v);
  if (s.includes(","))
    warnings.push(`${key}: comma-separated list "${s}"; network-broker split on whitespace only`);
  return s.split(/[\s,]+/).filter(Boolean);
}

/**
 * network-broker's matching: strings.Contains(value, ifname) against the links present.
 * A list value (YAML/TOML array) reached it as "" through viper's GetString.
 */
function listActual(v: unknown, present: string[] | null): { names: string[] | null; empty: boolean } {
  const s = scalar(v);
  if (s === "") return { names: null, empty: true };
  if (present === null) return { names: s.split(/\s+/).filter(Boolean), empty: false };
  return { names: present.filter((n) => s.includes(n)), empty: false };
}

/** The network-broker (v0.3.1) source that decides each policy-routing fact, quoted. */
const POLICY_SKIPPED =
  'network-broker skips policy rules when netlink.LinkList() returns at most 2 links, lo counted (pkg/network/routing_policy_rule.go: "links, err := netlink.LinkList()" then "if len(links) <= 2 { return nil }"); that list';
const POLICY_NOT_BUILT =
  'network-broker built the per-link tables and rules only in its systemd-networkd listener (pkg/listeners/networkd.go: "network.ConfigureNetwork(n.LinksByIndex[index], n)", on OperationalState routable)';
const IPV4_ONLY =
  'pkg/network/routing_policy_rule.go lists and adds rules with netlink.FAMILY_V4 and /32 masks: "netlink.RuleList(netlink.FAMILY_V4)", "net.CIDRMask(32, 32)"';

export function interpret(read: ReadResult, presentLinks: string[] | null): Interpretation {
  const warnings: string[] = [];
  const notes: string[] = [];
  const differences: Difference[] = [];
  const crashed: KeyUse[] = [];
  const sources: Interpretation["sources"] = {};

  // Sections merge case-insensitively (viper lowercases keys); [Network] and [network] both present is ambiguous.
  const spellings = new Map<string, Set<string>>();
  for (const e of read.entries) {
    const s = spellings.get(e.section.toLowerCase()) ?? new Set();
    s.add(e.section);
    spellings.set(e.section.toLowerCase(), s);
  }
  for (const [, set] of spellings)
    if (set.size > 1)
      warnings.push(
        `sections ${[...set].map((s) => `[${s}]`).join(" and ")} are one section to network-broker (keys are case-insensitive); their keys were merged and which one won was undefined: check the result`,
      );

  // Each known key's last value (actual: only in its own section; intent: misplaced and misspelt keys too).
  const actualVals = new Map<BrokerKey, Entry>();
  const intentVals = new Map<BrokerKey, Entry>();
  const seen = new Map<string, Entry>();
  for (const e of read.entries) {
    const id = `${e.section.toLowerCase()}|${e.key.toLowerCase()}`;
    const dup = seen.get(id);
    if (dup)
      warnings.push(
        `${e.key} is set twice in [${e.section}] (lines ${dup.line ?? "?"} and ${e.line ?? "?"}); the last one counts`,
      );
    seen.set(id, e);
    const known = findKey(e.key);
    const where = e.section === "" ? "at the top level" : `in [${e.section}]`;
    if (known && known.section === e.section.toLowerCase()) {
      actualVals.set(known, e);
      intentVals.set(known, e);
      continue;
    }
    if (known) {
      warnings.push(
        `${e.key} ${where} (line ${e.line ?? "?"}) belongs in [${SECTION_NAMES[known.section]}]; network-broker ignored it there`,
      );
      intentVals.set(known, e);
      continue;
    }
    const guess = nearest(
      e.key,
      BROKER_KEYS.map((k) => k.name),
    );
    const guessKey = guess ? findKey(guess) : undefined;
    if (guessKey) {
      warnings.push(
        `unknown key ${e.key} ${where} (line ${e.line ?? "?"}); did you mean ${label(guessKey)}? network-broker ignored it`,
      );
      intentVals.set(guessKey, e);
    } else warnings.push(`unknown key ${e.key} ${where} (line ${e.line ?? "?"}); network-broker ignored it`);
  }

  const actual: Reading = { ...BROKER_DEFAULTS };
  const intent: Reading = { ...BROKER_DEFAULTS };
  const parsed = read.syntaxError === null;
  const use = (k: BrokerKey, e: Entry): KeyUse => ({ key: label(k), line: e.line, value: e.value });

  for (const k of BROKER_KEYS) {
    const a = parsed ? actualVals.get(k) : undefined;
    const i = intentVals.get(k);
    const name = k.name.toLowerCase();
    if (k.type === "bool") {
      const field = (
        {
          emitjson: "emitJson",
          usedns: "useDns",
          usedomain: "useDomain",
          usehostname: "useHostname",
        } as const
      )[name as "emitjson"];
      if (a) {
        const b = brokerBool(a.value);
        if (b.ok) actual[field] = b.value;
        else {
          crashed.push(use(k, a));
          if (b.meant !== null) actual[field] = b.meant;
        }
      }
      if (i) {
        const b = brokerBool(i.value);
        intent[field] = b.ok ? b.value : (b.meant ?? false);
        if (!b.ok && b.meant === null)
          warnings.push(`${label(k)}: ${JSON.stringify(i.value)} is not a boolean; read as false`);
        sources[field] = use(k, i);
      }
    } else if (name === "loglevel") {
      if (a) actual.logLevel = LOG_LEVELS[scalar(a.value).toLowerCase()] ?? "info";
      if (i) {
        const v = scalar(i.value).toLowerCase();
        intent.logLevel = LOG_LEVELS[v] ?? LOG_LEVELS[nearest(v, Object.keys(LOG_LEVELS)) ?? ""] ?? "info";
        sources.logLevel = use(k, i);
      }
    } else if (name === "logformat") {
      if (i)
        notes.push(
          `${label(k)}=${JSON.stringify(i.value)} has no netevd key: netevd logs to the journal with priorities under systemd, text on a terminal, and JSON with --log-format json`,
        );
    } else if (name === "generator") {
      if (a) actual.backend = generatorActual(scalar(a.value));
      if (i) {
        intent.backend = generatorIntent(scalar(i.value));
        sources.backend = use(k, i);
      }
    } else if (name === "links" || name === "routingpolicyrules") {
      const field = name === "links" ? "interfaces" : "policy";
      if (a) {
        const r = listActual(a.value, presentLinks);
        if (field === "interfaces") actual.interfaces = r.empty ? null : (r.names ?? []);
        else actual.policy = r.empty ? [] : (r.names ?? []);
        // mapstructure cannot decode a list into the string field
        // (pkg/conf/conf.go: `Links string \`mapstructure:"Links"\``), so
        // `viper.Unmarshal(&c)` failed, conf.Parse returned nil and
        // network-broker stopped at start.
        if (Array.isArray(a.value)) {
          crashed.push(use(k, a));
          // As for a crashing boolean: the values meant, never run.
          const meant = a.value.map(String).filter(Boolean);
          if (field === "interfaces") actual.interfaces = meant;
          else actual.policy = meant;
        } else if (scalar(a.value) !== "" && scalar(a.value).trim() === "")
          warnings.push(`${label(k)} is only whitespace: network-broker matched no link with it`);
      }
      if (i) {
        const list = listIntent(i.value, label(k), warnings);
        if (field === "interfaces")
          intent.interfaces = list.length || scalar(i.value) === "" ? (list.length ? list : null) : [];
        else intent.policy = list;
        sources[field] = use(k, i);
      }
    }
  }

  // Why network-broker had no policy routing although the file names links.
  let policyWhy: string | undefined;
  if (parsed && actual.policy.length && actual.backend === "dhclient") {
    policyWhy = `${POLICY_NOT_BUILT}; under Generator="${scalar(actualVals.get(findKey("Generator") as BrokerKey)?.value)}" it ran its dhclient listener, which never calls it, so the rules (if any) pointed at empty tables`;
    actual.policy = [];
  }
  // It counted netlink.LinkList(), lo included: only a host with one link besides lo was skipped.
  if (parsed && presentLinks !== null && presentLinks.length + 1 <= 2 && actual.policy.length) {
    policyWhy = `${POLICY_SKIPPED} returned ${presentLinks.length + 1} links here (lo and ${presentLinks.length} more): no rules were added; netevd does not skip`;
    actual.policy = [];
  }
  if (intent.policy.length)
    notes.push(
      `network-broker's policy routing was IPv4 only (${IPV4_ONLY}): where the translation keeps policy rules it says routing.ipv6: false; with --intent, routing.ipv6: true (netevd's default) also routes each link's IPv6 addresses`,
    );
  // Generator only mattered for the listener: use_* were honoured by the dhclient listener only.
  for (const [field, key] of [
    ["useDns", "UseDNS"],
    ["useDomain", "UseDomain"],
    ["useHostname", "UseHostname"],
  ] as const) {
    if (intent[field] && intent.backend !== "dhclient")
      notes.push(`${key} applies to the dhclient backend only, in netevd as in network-broker`);
  }
  if (!sources.backend)
    notes.push(
      "Generator= is unset: network-broker used systemd-networkd on every host; netevd is given backend: auto, which is systemd-networkd where networkd runs and otherwise whatever manages the host (NetworkManager, dhclient or the kernel alone), so scripts also run on a host networkd does not manage",
    );
  notes.push(
    "network-broker 0.3 and 0.3.1 skipped link scripts when the link had no DHCP lease file (static addresses); netevd runs them",
  );

  // Every key where the readings differ, with both values and why.
  const why = (field: ReadingKey): string => {
    if (!parsed)
      return `network-broker could not parse the file (${read.syntaxError?.message}) and ran on its defaults`;
    const c = crashed.find((u) => u.key === sources[field]?.key);
    if (c && Array.isArray(c.value))
      return `network-broker stopped at start on ${c.key}=${JSON.stringify(c.value)}: a list does not decode into its string field, viper.Unmarshal failed and conf.Parse returned nil (pkg/conf/conf.go)`;
    if (c)
      return `network-broker stopped at start on ${c.key}=${JSON.stringify(c.value)} (not a boolean it accepts: 1 t T TRUE true True 0 f F FALSE false False)`;
    if (field === "policy" && policyWhy) return policyWhy;
    if (field === "interfaces" || field === "policy")
      return "network-broker matched link names as substrings of the value against the links present (strings.Contains)";
    if (field === "backend")
      return 'network-broker ran its dhclient listener for any Generator not containing "systemd-networkd"';
    return "network-broker ignored this key where it is (misplaced or misspelt) or could not read its value";
  };
  for (const field of Object.keys(BROKER_DEFAULTS) as ReadingKey[]) {
    if (JSON.stringify(actual[field]) === JSON.stringify(intent[field])) continue;
    differences.push({
      key: sources[field]?.key ?? field,
      line: sources[field]?.line ?? null,
      actual: actual[field],
      intent: intent[field],
      why: why(field),
    });
  }
  return { actual, intent, differences, warnings, notes, sources, crashed };
}
