// The netevd configuration for one reading, as YAML with a comment on each
// value naming where it came from. netevd's defaults are written out where
// network-broker's differed (emit_json), so nothing changes silently.
import { formatDiagnostic } from "../src/config/diagnostic";
import { loadConfigBytes } from "../src/config/load";
import type { Interpretation, Reading, ReadingKey } from "./interpret";

const q = (s: string) => JSON.stringify(s);
const list = (l: string[]) => `[${l.map(q).join(", ")}]`;

export function translate(i: Interpretation, mode: "actual" | "intent", source: string, dir: string): string {
  const r: Reading = mode === "actual" ? i.actual : i.intent;
  const from = (field: ReadingKey, fallback: string): string => {
    const s = i.sources[field];
    const differs = i.differences.some((d) => d.key === s?.key);
    if (!s) return `# ${fallback}`;
    const where = `${s.key}=${JSON.stringify(s.value)}${s.line ? ` (line ${s.line})` : ""}`;
    return differs && mode === "actual"
      ? `# ${where}: what network-broker did with it (see the report)`
      : `# ${where}`;
  };
  const lines = [
    `# netevd configuration written by netevd-migrate from ${source}`,
    `# Reading: ${mode === "actual" ? "what network-broker actually did with that file (--intent: what the file means)" : "what the file means (--intent); network-broker itself did otherwise where the report says so"}.`,
    `# Scripts: ${dir}/*.d were copied to netevd's directories; see the report.`,
    "system:",
    `  log_level: ${r.logLevel} ${from("logLevel", "network-broker's default (info)")}`,
    // Only Generator= fixes a backend; without it, netevd follows the host's manager (report: notes).
    i.sources.backend
      ? `  backend: ${r.backend} ${from("backend", "")}`
      : `  backend: auto # Generator unset: network-broker's default was systemd-networkd; auto uses it where it runs and follows the host's manager elsewhere`,
    "monitoring:",
    ...(r.interfaces === null
      ? [`  interfaces: [] ${from("interfaces", "Links unset: every link (as network-broker)")}`]
      : r.interfaces.length === 0
        ? [
            `  interfaces: [] ${from("interfaces", "")}`,
            '  exclude: ["*"] # the value matched no link: nothing is watched',
          ]
        : [`  interfaces: ${list(r.interfaces)} ${from("interfaces", "")}`]),
    "routing:",
    `  policy_rules: ${list(r.policy)} ${from("policy", "RoutingPolicyRules unset: none")}`,
    "  # network-broker's tables were 9999 + ifindex; netevd's are table_base + ifindex",
    "  table_base: 200",
    ...(r.policy.length === 0
      ? []
      : mode === "actual"
        ? ["  ipv6: false # network-broker's policy routing was IPv4 only (see the report)"]
        : ["  ipv6: true # netevd's default: IPv6 addresses too; network-broker's was IPv4 only"]),
    "backends:",
    "  systemd_networkd:",
    `    emit_json: ${r.emitJson} ${from("emitJson", "EmitJSON unset: network-broker's default is false (netevd's is true)")}`,
    "  dhclient:",
    `    use_dns: ${r.useDns} ${from("useDns", "UseDNS unset: false")}`,
    `    use_domain: ${r.useDomain} ${from("useDomain", "UseDomain unset: false")}`,
    `    use_hostname: ${r.useHostname} ${from("useHostname", "UseHostname unset: false")}`,
    "scripts:",
    "  # As the packaged configuration: the copied scripts run as a user of their own, which",
    "  # cannot reach netevd's sockets or signal it (netevd-scripts(7)); without it, as system.user.",
    "  user: netevd-hook",
    "",
  ];
  return lines.join("\n");
}

/** The written YAML must pass `netevd validate`; a failure here is a bug in the tool. */
export function validateYaml(text: string): string[] {
  const r = loadConfigBytes("netevd.yaml", Buffer.from(text));
  return r.config ? [] : r.diagnostics.map(formatDiagnostic);
}
