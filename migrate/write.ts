// The migration's writes: netevd's scripts first, its configuration last (a
// run killed half-way never leaves a new netevd.yaml beside scripts that are
// not all there yet), planned on a dry run and applied with --apply; the
// report filled with what each write did, network-broker's stale rules, and
// --switch-service's systemctl calls.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { EXIT } from "../src/errors";
import { applyWrites, planWrites, type Write, type WriteResult } from "./apply";
import type { DispatcherSpec } from "./dispatchers";
import type { ImageRoot } from "./image-root";
import type { Report } from "./report";
import { BROKER_PATTERNS, type planScripts, PRIVILEGE_PATTERNS, scanScript } from "./scripts";
import { scriptText } from "../src/config/script-variables";
import { findStaleRules } from "./stale-rules";

type ScriptPlan = ReturnType<typeof planScripts>;

/** What the command line decided, the report being filled, and the image written to. */
export interface Migration {
  o: { apply: boolean; force: boolean; switchService: boolean };
  r: Report;
  image: ImageRoot;
}

export interface WriteJob {
  plan: ScriptPlan;
  /** netevd.yaml: written last. */
  config: Write;
  yaml: string;
  /** Moving from a dispatcher (no policy rules of its own; its unit stops, unless kept). */
  dispatcher?: DispatcherSpec;
  /** Scripts moved out of the dispatcher's sight: before the configuration, and after it. */
  moves?: { before: Write[]; after: Write[] };
}

export type MigrationResult = { report: Report; code: number };

/** Plans or applies the writes, fills the report, runs --switch-service. */
export function writeMigration(m: Migration, job: WriteJob): MigrationResult {
  const { o, r, image } = m;
  scanScripts(m, job.plan);
  const writes: Write[] = [
    ...job.plan.files.flatMap((s): Write[] =>
      s.target === null
        ? []
        : s.kind === "symlink"
          ? [{ path: s.target, kind: "symlink", linkTarget: s.linkTarget }]
          : [{ path: s.target, kind: "file", content: s.content, mode: s.mode }],
    ),
    ...(job.moves?.before ?? []),
    job.config,
    ...(job.moves?.after ?? []),
  ];
  const applied = o.apply ? applyWrites(image, writes, o.force) : { results: planWrites(image, writes) };
  const byPath = new Map(applied.results.map((w) => [w.path, w]));
  reportWrites(m, job, byPath);
  reportMoves(m, job, byPath);
  if (!job.dispatcher) reportStaleRules(m);
  if ("error" in applied && applied.error) {
    r.errors.push(applied.error);
    r.result = "refused";
    return { report: r, code: EXIT.FAILURE };
  }
  if (o.switchService && !switchService(m, job.dispatcher)) return { report: r, code: EXIT.FAILURE };
  const changed = applied.results.some((w) => w.state !== "unchanged");
  r.result = o.apply
    ? changed || r.service?.done
      ? "migrated"
      : "already-migrated"
    : changed
      ? "would-migrate"
      : "already-migrated";
  return { report: r, code: EXIT.OK };
}

/** The directories, and each script scanned for the variables netevd gives differently. */
function scanScripts({ r, image }: Migration, plan: ScriptPlan): void {
  const show = (p: string | null | undefined) => (p ? image.show(p) : null);
  r.directories = plan.dirs.map((d) => ({
    name: d.name,
    source: image.show(d.source),
    target: show(d.target),
    problem: d.problem ?? null,
  }));
  for (const s of plan.files) {
    if (!s.content) continue;
    const text = scriptText(s.content);
    if (text === null)
      r.warnings.push(
        `${image.show(s.source)}: not scanned for the variables netevd gives differently (a binary file): check by hand which environment variables it reads`,
      );
    else
      r.findings.push(...scanScript(image.show(s.source), text, [...BROKER_PATTERNS, ...PRIVILEGE_PATTERNS]));
  }
}

/** What each write did (or would do), the configuration's included. */
function reportWrites({ o, r, image }: Migration, job: WriteJob, byPath: Map<string, WriteResult>): void {
  const show = (p: string | null | undefined) => (p ? image.show(p) : null);
  r.scripts = job.plan.files.map((s) => {
    const w = s.target ? byPath.get(s.target) : undefined;
    return {
      source: image.show(s.source),
      target: show(s.target),
      kind: s.kind,
      state: w?.state ?? null,
      backup: show(w?.backup),
      problem: w?.refused ?? s.problem ?? null,
      fix: s.fix ?? null,
      hook: s.hook ?? null,
    };
  });
  const cw = byPath.get(job.config.path);
  r.config = {
    path: image.show(job.config.path),
    state: cw?.state ?? null,
    backup: show(cw?.backup),
    refused: cw?.refused ?? null,
    yaml: job.yaml,
  };
  const moving = new Set(
    [...(job.moves?.before ?? []), ...(job.moves?.after ?? [])].filter((w) => w.moving).map((w) => w.path),
  );
  if (!o.apply)
    for (const w of byPath.values())
      if (w.state === "replace" && !moving.has(w.path))
        r.warnings.push(
          `${image.show(w.path)} exists and differs: --apply will refuse it unless --force (then a backup is kept)`,
        );
}

/** Each move of a split dispatcher directory, as a note: what it does or did. */
function reportMoves({ o, r, image }: Migration, job: WriteJob, byPath: Map<string, WriteResult>): void {
  for (const w of [...(job.moves?.before ?? []), ...(job.moves?.after ?? [])]) {
    const state = byPath.get(w.path)?.state;
    if (state === "unchanged") continue;
    const done = o.apply ? "" : "would be ";
    const what =
      w.kind === "hide"
        ? `renamed to ${w.hiddenAs ?? ""}`
        : w.kind === "symlink"
          ? `${w.moving ? "re-pointed" : "made"}: a link to ${w.linkTarget ?? ""}`
          : "written: a script moved out of the dispatcher's directory";
    r.notes.push(`${image.show(w.path)} ${done}${what}`);
  }
}

/**
 * network-broker's rules live in the running system's kernel: an image
 * (--root) has none to read, and networkd-dispatcher never made any.
 */
function reportStaleRules({ r, image }: Migration): void {
  const stale =
    image.root === "/"
      ? findStaleRules(ifindexes())
      : {
          rules: [],
          error:
            "not checked: with --root the rules are those of the system the image boots; run netevd-migrate there",
        };
  r.stale_rules = stale.rules;
  r.stale_rules_error = stale.error ?? null;
}

function ifindexes(): number[] | null {
  try {
    return readdirSync("/sys/class/net").map((n) =>
      Number(readFileSync(`/sys/class/net/${n}/ifindex`, "utf8")),
    );
  } catch {
    return null;
  }
}

/** --switch-service: the old unit off, netevd.service on (offline with --root). False when systemctl failed. */
function switchService({ o, r, image }: Migration, dispatcher: DispatcherSpec | undefined): boolean {
  const offline = image.root !== "/";
  const sc = (verb: string, unit: string): string[] => [
    ...(offline ? [`--root=${image.root}`] : []),
    verb,
    ...(offline ? [] : ["--now"]),
    unit,
  ];
  const old = dispatcher?.service ?? { unit: "network-broker.service", verb: "disable" };
  const cmds = [...(old.verb === "keep" ? [] : [sc(old.verb, old.unit)]), sc("enable", "netevd.service")];
  r.service = { commands: cmds.map((c) => `systemctl ${c.join(" ")}`), done: false, error: null };
  if (!o.apply) return true;
  try {
    for (const c of cmds) execFileSync("systemctl", c, { stdio: ["ignore", "ignore", "pipe"] });
    r.service.done = true;
    return true;
  } catch (err) {
    r.service.error = (err as Error).message.split("\n")[0] ?? "systemctl failed";
    r.errors.push(`switching the service failed: ${r.service.error}`);
    r.result = "error";
    return false;
  }
}
