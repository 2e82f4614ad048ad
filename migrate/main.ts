// netevd-migrate: network-broker → netevd. Finds and reads network-broker's
// configuration the way network-broker did, reports both what it did and what
// the file means, translates to netevd.yaml, copies the script directories,
// and looks for network-broker's stale policy rules. A dry run unless --apply.
// Exit: 0 migrated (or would migrate), 1 errors, 2 usage, 78 unreadable input.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { posix, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { applyWrites, planWrites, type Write, type WriteResult } from "./apply";
import { findConfig } from "./find";
import { interpret } from "./interpret";
import { EXIT, FatalError } from "../src/errors";
import { MAX_CONFIG_BYTES } from "../src/config/yaml-source";
import { ImageRoot, ImageRootError } from "./image-root";
import { readBrokerConfig } from "./read";
import { formatText, REPORT_SCHEMA, type Report } from "./report";
import { type DispatcherSpec, NETWORKD_DISPATCHER, NM_DISPATCHER, planDispatcher } from "./dispatchers";
import { BROKER_PATTERNS, planScripts, PRIVILEGE_PATTERNS, scanScript, scriptText } from "./scripts";
import { findStaleRules } from "./stale-rules";
import { translate, validateYaml } from "./translate";


interface Options {
  from?: string;
  config?: string;
  root: string;
  links?: string;
  intent: boolean;
  apply: boolean;
  force: boolean;
  switchService: boolean;
  format: "text" | "json";
  /** networkd-dispatcher's directory (true: its default ones). */
  fromNetworkdDispatcher?: string | true;
  /** NetworkManager-dispatcher's directory (true: its default ones). */
  fromNmDispatcher?: string | true;
}

function program(): Command {
  return new Command("netevd-migrate")
    .description("move from network-broker to netevd: a dry run that prints the plan, unless --apply")
    .option(
      "--from <dir>",
      "network-broker's directory (default: /etc/network-broker, then /etc/network-event-broker)",
    )
    .option(
      "--config <file>",
      "network-broker's configuration file (default: found the way network-broker did)",
    )
    .option("--root <dir>", "treat DIR as / for every path read and written (tests, images)", "/")
    .option("--links <names>", "the links present, comma-separated (default: /sys/class/net)")
    .option("--intent", "follow what the file means where network-broker did otherwise", false)
    .option("--apply", "write netevd's configuration and scripts", false)
    .option("--force", "replace existing files (a timestamped backup of each is kept)", false)
    .option(
      "--switch-service",
      "with --apply: disable network-broker.service and enable netevd.service",
      false,
    )
    .addOption(new Option("--format <format>", "report format").choices(["text", "json"]).default("text"))
    .option(
      "--from-networkd-dispatcher [dir]",
      "run networkd-dispatcher's scripts in its style, where they are (default: /etc/networkd-dispatcher and /usr/lib/networkd-dispatcher)",
    )
    .option(
      "--from-nm-dispatcher [dir]",
      "run NetworkManager-dispatcher's scripts in its style, where they are (default: /etc/NetworkManager/dispatcher.d and /usr/lib/NetworkManager/dispatcher.d)",
    )
    .helpOption("-h, --help", "show this help")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
}

function presentLinks(o: Options, image: ImageRoot): string[] | null {
  if (o.links !== undefined) return o.links.split(/[,\s]+/).filter(Boolean);
  try {
    return image
      .readdir("/sys/class/net")
      .filter((n) => n !== "lo")
      .sort();
  } catch {
    return null;
  }
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

function emptyReport(o: Options): Report {
  return {
    schema: REPORT_SCHEMA,
    mode: o.apply ? "apply" : "dry-run",
    reading: o.intent ? "intent" : "actual",
    source: null,
    links_present: null,
    syntax_error: null,
    crashed: [],
    differences: [],
    warnings: [],
    notes: [],
    config: null,
    directories: [],
    scripts: [],
    findings: [],
    stale_rules: [],
    stale_rules_error: null,
    service: null,
    result: "error",
    errors: [],
  };
}

function output(r: Report, o: Options): void {
  process.stdout.write(o.format === "json" ? `${JSON.stringify(r, null, 2)}\n` : formatText(r));
}

/**
 * A path the user gave, as a path in the image: without --root, relative to
 * the working directory; with --root, inside the image (relative ones to its /).
 */
const imagePath = (o: Options, p: string) => (o.root === "/" ? resolve(p) : posix.resolve("/", p));

/** A dispatcher has no configuration file: its directories run where they are, in its style. */
function migrateDispatcher(
  o: Options,
  r: Report,
  image: ImageRoot,
  spec: DispatcherSpec,
  given: string | true,
): { report: Report; code: number } {
  const p = planDispatcher(image, spec, typeof given === "string" ? imagePath(o, given) : undefined, r);
  if (!p) return { report: r, code: EXIT.CONFIG };
  const invalid = validateYaml(p.yaml);
  if (invalid.length) {
    r.errors.push(`${image.show(p.config.path)} would not validate: ${invalid.join("; ")}`);
    return { report: r, code: EXIT.FAILURE };
  }
  const done = writeScripts(o, r, p.plan, [p.config], BROKER_PATTERNS, image, spec);
  const cw = done.results.get(p.config.path);
  r.config = {
    path: image.show(p.config.path),
    state: cw?.state ?? null,
    backup: cw?.backup ? image.show(cw.backup) : null,
    refused: cw?.refused ?? null,
    yaml: p.yaml,
  };
  return done;
}

export function migrate(o: Options): { report: Report; code: number } {
  const r = emptyReport(o);
  const image = new ImageRoot(resolve(o.root));
  try {
    if (o.fromNetworkdDispatcher !== undefined)
      return migrateDispatcher(o, r, image, NETWORKD_DISPATCHER, o.fromNetworkdDispatcher);
    if (o.fromNmDispatcher !== undefined)
      return migrateDispatcher(o, r, image, NM_DISPATCHER, o.fromNmDispatcher);
    return migrateBroker(o, r, image);
  } catch (err) {
    // A path in the image that cannot be followed (a loop, a file where a directory should be, EACCES).
    if (!(err instanceof ImageRootError)) throw err;
    r.errors.push(err.message);
    return { report: r, code: EXIT.CONFIG };
  } finally {
    image.close();
  }
}

function migrateBroker(o: Options, r: Report, image: ImageRoot): { report: Report; code: number } {
  const found = findConfig(image, {
    from: o.from === undefined ? undefined : imagePath(o, o.from),
    config: o.config === undefined ? undefined : imagePath(o, o.config),
  });
  if (!found.found) {
    r.errors.push(
      `no network-broker configuration found (looked in ${found.searched.map((p) => image.show(p)).join(", ")})`,
    );
    return { report: r, code: EXIT.CONFIG };
  }
  const f = found.found;
  r.source = {
    file: image.show(f.file),
    format: f.extension,
    dir: image.show(f.dir),
    shadowed: f.shadowed.map((p) => image.show(p)),
    searched: found.searched.map((p) => image.show(p)),
  };
  let text: string;
  try {
    const bytes = image.readFile(f.file, MAX_CONFIG_BYTES);
    if (bytes.length > MAX_CONFIG_BYTES) throw new Error(`larger than ${MAX_CONFIG_BYTES} bytes`);
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (err) {
    const shown = image.show(f.file);
    r.errors.push(`${shown}: cannot read it: ${(err as Error).message.replace(`${shown}: `, "")}`);
    return { report: r, code: EXIT.CONFIG };
  }
  let read;
  try {
    read = readBrokerConfig(text, f.extension);
  } catch (err) {
    if (err instanceof FatalError) {
      r.errors.push(`${image.show(f.file)}: ${err.message}`);
      return { report: r, code: EXIT.CONFIG };
    }
    throw err;
  }
  r.syntax_error = read.syntaxError;
  if (read.syntaxError && read.entries.length === 0 && o.intent) {
    r.errors.push(`${image.show(f.file)}: cannot tell what the file means: ${read.syntaxError.message}`);
    return { report: r, code: EXIT.CONFIG };
  }
  r.links_present = presentLinks(o, image);
  const i = interpret(read, r.links_present);
  Object.assign(r, { crashed: i.crashed, differences: i.differences, warnings: i.warnings, notes: i.notes });
  if (r.links_present === null)
    r.warnings.push(
      "the links present are unknown (no /sys/class/net; use --links): network-broker's substring matching could not be checked",
    );

  const mode = o.intent ? "intent" : "actual";
  const yaml = translate(i, mode, f.file, f.dir);
  const invalid = validateYaml(yaml);
  if (invalid.length) {
    r.errors.push(
      `the translated configuration does not validate (a bug in netevd-migrate): ${invalid.join("; ")}`,
    );
    return { report: r, code: EXIT.FAILURE };
  }
  const target = "/etc/netevd";
  const configPath = posix.join(target, "netevd.yaml");
  const config: Write = { path: configPath, kind: "file", content: Buffer.from(yaml), mode: 0o644 };
  const done = writeScripts(o, r, planScripts(image, f.dir, target), [config], BROKER_PATTERNS, image);
  const cw = done.results.get(configPath);
  r.config = {
    path: image.show(configPath),
    state: cw?.state ?? null,
    backup: cw?.backup ? image.show(cw.backup) : null,
    refused: cw?.refused ?? null,
    yaml,
  };
  return done;
}

/** Plans or applies the writes (config, if any, first), fills the report, runs --switch-service. */
function writeScripts(
  o: Options,
  r: Report,
  plan: ReturnType<typeof planScripts>,
  extra: Write[],
  patterns: typeof BROKER_PATTERNS,
  image: ImageRoot,
  /** Moving from a dispatcher (no policy rules of its own; its unit stops). */
  dispatcher?: DispatcherSpec,
): { report: Report; code: number; results: Map<string, WriteResult> } {
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
    else r.findings.push(...scanScript(image.show(s.source), text, [...patterns, ...PRIVILEGE_PATTERNS]));
  }
  // Scripts first, the configuration last: a run killed half-way never leaves
  // a new netevd.yaml beside scripts that are not all there yet.
  const writes: Write[] = [
    ...plan.files.flatMap((s): Write[] =>
      s.target === null
        ? []
        : s.kind === "symlink"
          ? [{ path: s.target, kind: "symlink", linkTarget: s.linkTarget }]
          : [{ path: s.target, kind: "file", content: s.content, mode: s.mode }],
    ),
    ...extra,
  ];
  const applied = o.apply ? applyWrites(image, writes, o.force) : { results: planWrites(image, writes) };
  const byPath = new Map(applied.results.map((w) => [w.path, w]));
  r.scripts = plan.files.map((s) => {
    const w = s.target ? byPath.get(s.target) : undefined;
    return {
      source: image.show(s.source),
      target: show(s.target),
      kind: s.kind,
      state: w?.state ?? null,
      backup: show(w?.backup),
      problem: w?.refused ?? s.problem ?? null,
      fix: s.fix ?? null,
    };
  });
  if (!o.apply) {
    const replace = applied.results.filter((w) => w.state === "replace");
    for (const w of replace)
      r.warnings.push(
        `${image.show(w.path)} exists and differs: --apply will refuse it unless --force (then a backup is kept)`,
      );
  }

  // network-broker's rules live in the running system's kernel: an image
  // (--root) has none to read, and networkd-dispatcher never made any.
  if (!dispatcher) {
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

  if ("error" in applied && applied.error) {
    r.errors.push(applied.error);
    r.result = "refused";
    return { report: r, code: EXIT.FAILURE, results: byPath };
  }
  const changed = applied.results.some((w) => w.state !== "unchanged");
  if (o.switchService) {
    const root = image.root;
    const offline = root !== "/";
    const sc = (verb: string, unit: string): string[] => [
      ...(offline ? [`--root=${root}`] : []),
      verb,
      ...(offline ? [] : ["--now"]),
      unit,
    ];
    const old = dispatcher?.service ?? { unit: "network-broker.service", verb: "disable" };
    const cmds = [sc(old.verb, old.unit), sc("enable", "netevd.service")];
    r.service = { commands: cmds.map((c) => `systemctl ${c.join(" ")}`), done: false, error: null };
    if (o.apply) {
      try {
        for (const c of cmds) execFileSync("systemctl", c, { stdio: ["ignore", "ignore", "pipe"] });
        r.service.done = true;
      } catch (err) {
        r.service.error = (err as Error).message.split("\n")[0] ?? "systemctl failed";
        r.errors.push(`switching the service failed: ${r.service.error}`);
        r.result = "error";
        return { report: r, code: EXIT.FAILURE, results: byPath };
      }
    }
  }
  r.result = o.apply
    ? changed || r.service?.done
      ? "migrated"
      : "already-migrated"
    : changed
      ? "would-migrate"
      : "already-migrated";
  return { report: r, code: EXIT.OK, results: byPath };
}

export function migrateMain(argv: readonly string[]): number {
  const p = program();
  let o: Options;
  try {
    p.parse([...argv], { from: "user" });
    o = p.opts<Options>();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    throw err;
  }
  if (o.switchService && !o.apply) {
    process.stderr.write("netevd-migrate: --switch-service needs --apply\n");
    return EXIT.USAGE;
  }
  if (o.fromNetworkdDispatcher !== undefined && o.fromNmDispatcher !== undefined) {
    process.stderr.write(
      "netevd-migrate: --from-networkd-dispatcher and --from-nm-dispatcher: one at a time\n",
    );
    return EXIT.USAGE;
  }
  if (o.force && !o.apply) {
    process.stderr.write("netevd-migrate: --force needs --apply\n");
    return EXIT.USAGE;
  }
  if (!existsSync(o.root)) {
    process.stderr.write(`netevd-migrate: --root ${o.root}: no such directory\n`);
    return EXIT.USAGE;
  }
  const { report, code } = migrate(o);
  output(report, o);
  return code;
}
