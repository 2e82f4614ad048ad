// The Prometheus rules netevd ships (packaging/prometheus/netevd-rules.yml), by
// Prometheus's own promtool: they load, and for every alert synthetic series
// make it fire, for exactly the series in trouble, and healthy series leave it
// silent. The expected annotations are the rule's own with the labels filled
// in, so a changed text needs no second copy here. A new alert without cases
// fails the coverage check.
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { tempDir } from "../helpers/tmp";

const RULES = join(__dirname, "../../packaging/prometheus/netevd-rules.yml");

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}
const groups = (parse(readFileSync(RULES, "utf8")) as { groups: { rules: Rule[] }[] }).groups;
const alerts = new Map(groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => [r.alert!, r])));

const A = 'instance="a:9179",job="netevd"';
const B = 'instance="b:9179",job="netevd"';

interface Case {
  alert: string;
  /** Series and their values (promtool's expanding notation), one sample a minute. */
  series: Record<string, string>;
  at: string;
  /** The alerts expected then: their labels besides alertname and severity, and $value where used. */
  firing: { labels: Record<string, string>; value?: string }[];
}

/** Per alert: a case where it fires for the troubled host only (a healthy host beside it), then one where all is well. */
const CASES: Case[] = [
  {
    alert: "NetevdHookFailing",
    series: {
      [`netevd_script_failing{${A},script="10-vpn"}`]: "1x5",
      [`netevd_script_failing{${A},script="20-ok"}`]: "0x5",
      [`netevd_script_failing{${B},script="10-vpn"}`]: "0x5",
    },
    at: "3m",
    firing: [{ labels: { instance: "a:9179", script: "10-vpn" } }],
  },
  {
    alert: "NetevdHookFailing",
    // Failed once, succeeded at the next run: over.
    series: { [`netevd_script_failing{${A},script="10-vpn"}`]: "1 1 0 0 0" },
    at: "4m",
    firing: [],
  },
  {
    alert: "NetevdHookTimingOut",
    series: {
      [`netevd_script_runs_total{${A},result="timeout",script="10-slow"}`]: "0 0 1 1 1",
      [`netevd_script_runs_total{${B},result="success",script="10-slow"}`]: "0+5x4",
    },
    at: "4m",
    firing: [{ labels: { instance: "a:9179", script: "10-slow" } }],
  },
  {
    alert: "NetevdHookTimingOut",
    series: { [`netevd_script_runs_total{${A},result="timeout",script="10-slow"}`]: "3x40" },
    at: "40m",
    firing: [],
  },
  {
    alert: "NetevdPrivilegedRefusals",
    series: {
      [`netevd_privileged_refusals_total{${A}}`]: "0 0 2 2",
      [`netevd_privileged_refusals_total{${B}}`]: "0x3",
    },
    at: "3m",
    firing: [{ labels: { instance: "a:9179" } }],
  },
  {
    alert: "NetevdPrivilegedRefusals",
    series: { [`netevd_privileged_refusals_total{${A}}`]: "0x20" },
    at: "20m",
    firing: [],
  },
  {
    alert: "NetevdNetlinkOverruns",
    series: {
      [`netevd_netlink_overruns_total{${A},netns=""}`]: "0 1 1",
      [`netevd_netlink_overruns_total{${B},netns=""}`]: "0 0 0",
    },
    at: "2m",
    firing: [{ labels: { instance: "a:9179" } }],
  },
  {
    alert: "NetevdNetlinkOverruns",
    series: { [`netevd_netlink_overruns_total{${A},netns=""}`]: "4x30" },
    at: "30m",
    firing: [],
  },
  {
    alert: "NetevdResyncsFrequent",
    series: {
      [`netevd_netlink_resyncs_total{${A},netns=""}`]: "0+1x60",
      [`netevd_netlink_resyncs_total{${B},netns=""}`]: "0x60",
    },
    at: "60m",
    firing: [{ labels: { instance: "a:9179" } }],
  },
  {
    alert: "NetevdResyncsFrequent",
    series: { [`netevd_netlink_resyncs_total{${A},netns=""}`]: "0+1x5 5x55" },
    at: "60m",
    firing: [],
  },
  {
    alert: "NetevdEventLoopLag",
    series: {
      [`netevd_event_loop_lag_seconds{${A},quantile="0.99"}`]: "0.9x10",
      [`netevd_event_loop_lag_seconds{${B},quantile="0.99"}`]: "0.01x10",
    },
    at: "7m",
    firing: [{ labels: { instance: "a:9179" } }],
  },
  {
    alert: "NetevdEventLoopLag",
    // A spike shorter than 5 minutes.
    series: { [`netevd_event_loop_lag_seconds{${A},quantile="0.99"}`]: "0.01 0.9 0.9 0.01x7" },
    at: "9m",
    firing: [],
  },
  {
    alert: "NetevdEventsDropped",
    series: {
      [`netevd_events_discarded_total{${A},reason="bound",netns=""}`]: "0 0 7",
      [`netevd_events_discarded_total{${B},reason="coalesced",netns=""}`]: "0+50x2",
    },
    at: "2m",
    firing: [{ labels: { instance: "a:9179" } }],
  },
  {
    alert: "NetevdEventsDropped",
    series: { [`netevd_events_discarded_total{${A},reason="coalesced",netns=""}`]: "0+50x20" },
    at: "20m",
    firing: [],
  },
  {
    alert: "NetevdEventsCoalescedMany",
    series: {
      [`netevd_events_discarded_total{${A},reason="coalesced",netns=""}`]: "0+600x40",
      [`netevd_events_discarded_total{${B},reason="coalesced",netns=""}`]: "0+6x40",
    },
    at: "40m",
    firing: [{ labels: { instance: "a:9179" } }],
  },
  {
    alert: "NetevdEventsCoalescedMany",
    series: { [`netevd_events_discarded_total{${A},reason="coalesced",netns=""}`]: "0+6x40" },
    at: "40m",
    firing: [],
  },
  {
    alert: "NetevdRestarting",
    series: {
      [`netevd_start_time_seconds{${A}}`]: "100 100 400 400 700 700 1000",
      [`netevd_start_time_seconds{${B}}`]: "100x6",
    },
    at: "6m",
    firing: [{ labels: { instance: "a:9179" }, value: "3" }],
  },
  {
    alert: "NetevdRestarting",
    // One restart (an upgrade) is no alert.
    series: { [`netevd_start_time_seconds{${A}}`]: "100 100 400x4" },
    at: "6m",
    firing: [],
  },
  {
    alert: "NetevdBackendNotRunning",
    series: {
      [`netevd_backend_info{${A},backend="NetworkManager",mode="configured",running="false"}`]: "1x10",
      [`netevd_backend_info{${B},backend="NetworkManager",mode="configured",running="true"}`]: "1x10",
    },
    at: "6m",
    firing: [{ labels: { instance: "a:9179", backend: "NetworkManager" } }],
  },
  {
    alert: "NetevdBackendNotRunning",
    series: {
      [`netevd_backend_info{${A},backend="systemd-networkd",mode="auto",running="true"}`]: "1x10",
    },
    at: "6m",
    firing: [],
  },
  {
    alert: "NetevdMetricsDown",
    series: { [`up{${A}}`]: "0x10", [`up{${B}}`]: "1x10" },
    at: "6m",
    firing: [{ labels: { instance: "a:9179", job: "netevd" } }],
  },
  {
    alert: "NetevdMetricsDown",
    series: { [`up{${A}}`]: "1x10" },
    at: "6m",
    firing: [],
  },
  {
    alert: "NetevdMetricsAbsent",
    series: { 'up{instance="c:9100",job="node"}': "1x15" },
    at: "12m",
    firing: [{ labels: { job: "netevd" } }],
  },
  {
    alert: "NetevdMetricsAbsent",
    series: { [`up{${A}}`]: "1x15" },
    at: "12m",
    firing: [],
  },
];

/** The rule's annotation with the labels (and $value) filled in, as Prometheus renders it. */
function rendered(text: string, labels: Record<string, string>, value?: string): string {
  return text
    .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, k: string) => labels[k] ?? "")
    .replace(/\{\{ \$value \}\}/g, value ?? "");
}

function promtoolTests(): unknown {
  return {
    rule_files: ["netevd-rules.yml"],
    evaluation_interval: "1m",
    tests: CASES.map((c) => {
      const rule = alerts.get(c.alert)!;
      return {
        interval: "1m",
        input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
        alert_rule_test: [
          {
            eval_time: c.at,
            alertname: c.alert,
            exp_alerts: c.firing.map((f) => ({
              exp_labels: { ...rule.labels, ...f.labels },
              exp_annotations: Object.fromEntries(
                Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, rendered(v, f.labels, f.value)]),
              ),
            })),
          },
        ],
      };
    }),
  };
}

describe("the shipped Prometheus rules", () => {
  it("pass promtool check rules", () => {
    const r = spawnSync("promtool", ["check", "rules", RULES], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  it("every alert has a summary, a description and its manual section, and a firing and a silent case", () => {
    for (const [name, rule] of alerts) {
      expect(Object.keys(rule.annotations ?? {}).sort(), name).toEqual(["description", "manual", "summary"]);
      expect(rule.labels?.severity, name).toMatch(/^(critical|warning|info)$/);
      const cases = CASES.filter((c) => c.alert === name);
      expect(
        cases.some((c) => c.firing.length > 0),
        `${name} fires`,
      ).toBe(true);
      expect(
        cases.some((c) => c.firing.length === 0),
        `${name} stays silent`,
      ).toBe(true);
    }
    expect(new Set(CASES.map((c) => c.alert))).toEqual(new Set(alerts.keys()));
  });

  it("pass promtool test rules: each alert fires for the troubled series only, and not on healthy ones", () => {
    const dir = tempDir();
    copyFileSync(RULES, join(dir, "netevd-rules.yml"));
    writeFileSync(join(dir, "tests.yml"), stringify(promtoolTests()));
    const r = spawnSync("promtool", ["test", "rules", join(dir, "tests.yml")], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });
});
