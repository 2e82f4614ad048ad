// netevd-migrate: network-broker → netevd. Finds and reads network-broker's
// configuration the way network-broker did, reports both what it did and what
// the file means, translates to netevd.yaml, copies the script directories,
// and looks for network-broker's stale policy rules. A dry run unless --apply.
// Exit: 0 migrated (or would migrate), 1 errors, 2 usage, 78 unreadable input.
import { existsSync } from "node:fs";
import { posix, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import type { Write } from "./apply";
import { findConfig } from "./find";
import { interpret } from "./interpret";
import { EXIT, FatalError } from "../src/errors";
import { MAX_CONFIG_BYTES } from "../src/config/yaml-source";
import { ImageRoot, ImageRootError } from "./image-root";
import { readBrokerConfig } from "./read";
import { formatText, REPORT_SCHEMA, type Report } from "./report";
import { type DispatcherSpec, NETWORKD_DISPATCHER, NM_DISPATCHER, planDispatcher } from "./dispatchers";
import { planScripts } from "./scripts";
import { translate, validateYaml } from "./translate";
import { writeMigration } from "./write";

export interface Options {
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
  return writeMigration(
    { o, r, image },
    {
      plan: p.plan,
      config: p.config,
      yaml: p.yaml,
      dispatcher: p.spec,
      ...(p.moves ? { moves: p.moves } : {}),
    },
  );
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
  return writeMigration({ o, r, image }, { plan: planScripts(image, f.dir, target), config, yaml });
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
