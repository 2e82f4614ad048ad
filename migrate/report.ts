// The migration report: one object (netevd.migrate.v1, documented in
// netevd-migrate(8)), printed as text for people or as JSON for tools.
import type { Difference, KeyUse } from "./interpret";
import type { StaleRule } from "./stale-rules";
import type { Finding, HookFacts } from "./scripts";
import type { WriteState } from "./apply";

export const REPORT_SCHEMA = "netevd.migrate.v1";

export interface Report {
  schema: typeof REPORT_SCHEMA;
  mode: "dry-run" | "apply";
  reading: "actual" | "intent";
  source: { file: string; format: string; dir: string; shadowed: string[]; searched: string[] } | null;
  links_present: string[] | null;
  syntax_error: { message: string; line: number | null } | null;
  crashed: KeyUse[];
  differences: Difference[];
  warnings: string[];
  notes: string[];
  config: {
    path: string;
    state: WriteState | null;
    backup: string | null;
    refused: string | null;
    yaml: string;
  } | null;
  directories: { name: string; source: string; target: string | null; problem: string | null }[];
  scripts: {
    source: string;
    target: string | null;
    kind: "file" | "symlink";
    state: WriteState | null;
    backup: string | null;
    problem: string | null;
    fix: string | null;
    /** --from-networkd-dispatcher, --from-nm-dispatcher: the hook's states, whether they run, root, variables. */
    hook: HookFacts | null;
  }[];
  findings: Finding[];
  stale_rules: StaleRule[];
  stale_rules_error: string | null;
  service: { commands: string[]; done: boolean; error: string | null } | null;
  result: "would-migrate" | "migrated" | "already-migrated" | "refused" | "error";
  errors: string[];
}

/** Sources that are a dispatcher's scripts, not a network-broker configuration. */
const DISPATCHERS = ["networkd-dispatcher", "nm-dispatcher"];

const show = (v: unknown) =>
  v === null ? "every link" : Array.isArray(v) && v.length === 0 ? "none" : JSON.stringify(v);

/** A dispatcher hook's facts, under its line. */
function hookLines(h: HookFacts): string[] {
  return [
    `    ${h.states.length > 1 ? "states" : "state"}: ${h.states.join(", ")}: ${h.runs ? "runs" : `never runs (${h.why ?? "?"})`}`,
    `    needs root: ${h.needs_root.length ? h.needs_root.join(", ") : "nothing found"}`,
    `    reads: ${h.variables.length ? h.variables.join(" ") : "none of its dispatcher's variables"}`,
  ];
}

export function formatText(r: Report): string {
  const out: string[] = [];
  const h = (t: string) => out.push("", `== ${t}`);
  if (r.source) {
    out.push(
      DISPATCHERS.includes(r.source.format)
        ? `${r.source.format} scripts: ${r.source.dir}`
        : `network-broker configuration: ${r.source.file} (${r.source.format})`,
    );
    for (const s of r.source.shadowed) out.push(`  shadowed (network-broker did not read it): ${s}`);
  }
  const dispatcher = DISPATCHERS.includes(r.source?.format ?? "");
  const mode = r.mode === "dry-run" ? "dry run (nothing written; --apply writes)" : "apply";
  out.push(
    dispatcher
      ? `mode: ${mode}`
      : `mode: ${mode}; reading: ${r.reading === "actual" ? "what network-broker did (--intent: what the file means)" : "what the file means (--intent)"}`,
  );
  if (r.links_present) out.push(`links present: ${r.links_present.join(" ") || "(none)"}`);
  if (r.syntax_error)
    out.push(
      `!! network-broker could not parse this file (line ${r.syntax_error.line ?? "?"}: ${r.syntax_error.message}) and ran on its built-in defaults`,
    );
  for (const c of r.crashed)
    out.push(
      `!! network-broker stopped at start on ${c.key}=${JSON.stringify(c.value)}${c.line ? ` (line ${c.line})` : ""}: it never ran with this file`,
    );
  if (r.differences.length) {
    h("where network-broker did something else than the file says");
    for (const d of r.differences)
      out.push(
        `${d.key}${d.line ? ` (line ${d.line})` : ""}: network-broker: ${show(d.actual)}; the file means: ${show(d.intent)}`,
        `  why: ${d.why}`,
      );
    out.push(
      `(the output follows ${r.reading === "actual" ? "what network-broker did; --intent follows the file" : "the file (--intent)"})`,
    );
  }
  if (r.warnings.length) {
    h("warnings");
    for (const w of r.warnings) out.push(`- ${w}`);
  }
  if (r.notes.length) {
    h("notes");
    for (const n of r.notes) out.push(`- ${n}`);
  }
  if (r.config) {
    h(`netevd configuration: ${r.config.path} [${r.config.refused ? "refused" : (r.config.state ?? "?")}]`);
    if (r.config.refused) out.push(`  ${r.config.refused}`);
    if (r.config.backup) out.push(`  backup: ${r.config.backup}`);
    out.push(
      ...r.config.yaml
        .trimEnd()
        .split("\n")
        .map((l) => `  | ${l}`),
    );
  }
  if (r.directories.length || r.scripts.length) {
    h("scripts");
    for (const d of r.directories) if (d.problem) out.push(`- ${d.source}: ${d.problem}`);
    for (const s of r.scripts) {
      const state = s.target
        ? (s.state ?? "?")
        : DISPATCHERS.includes(r.source?.format ?? "")
          ? s.problem
            ? "not run"
            : "runs in place"
          : "skipped";
      out.push(
        `- ${s.source}${s.target ? ` -> ${s.target}` : ""} [${s.kind === "symlink" ? "symlink, " : ""}${state}]`,
      );
      if (s.problem) out.push(`    ${s.problem}${s.fix ? `; fix: ${s.fix}` : ""}`);
      if (s.hook) out.push(...hookLines(s.hook));
      if (s.backup) out.push(`    backup: ${s.backup}`);
    }
  }
  if (r.findings.length) {
    h(
      DISPATCHERS.includes(r.source?.format ?? "")
        ? "script lines using what netevd does not give, or privileges its scripts do not have"
        : "script lines using variables netevd gives differently, or privileges its scripts do not have",
    );
    for (const f of r.findings)
      out.push(`- ${f.file}:${f.line}: ${f.variable}: ${f.text}`, `    ${f.replacement}`);
  }
  if (!DISPATCHERS.includes(r.source?.format ?? "")) {
    h("stale network-broker policy rules (tables 9999 + ifindex)");
    if (r.stale_rules_error) out.push(`  ${r.stale_rules_error}`);
    else if (!r.stale_rules.length) out.push("  none found in ip rule");
    for (const s of r.stale_rules)
      out.push(
        `- ${s.family} priority ${s.priority} ${s.selector} table ${s.table}: remove with: ${s.command}`,
      );
  }
  if (r.service) {
    h("service");
    for (const c of r.service.commands) out.push(`  ${r.service.done ? "ran" : "would run"}: ${c}`);
    if (r.service.error) out.push(`  failed: ${r.service.error}`);
  }
  h("result");
  const results: Record<Report["result"], string> = {
    "would-migrate": "would migrate: run again with --apply to write",
    migrated: "migrated",
    "already-migrated": "nothing to do: everything is already migrated",
    refused: "refused: nothing was written",
    error: "failed",
  };
  out.push(results[r.result]);
  for (const e of r.errors) out.push(`error: ${e}`);
  return `${out.join("\n")}\n`;
}
