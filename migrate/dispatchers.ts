// networkd-dispatcher and NetworkManager-dispatcher → netevd: their script
// directories stay where they are and run in their own style (same
// arguments, variables, order and file rules); netevd.yaml gains the
// directory with its style. NetworkManager-dispatcher's scripts move instead
// when it must keep running for pre-up.d and pre-down.d (nm-split). Nothing in a script needs editing; what netevd
// cannot reproduce is reported, script by script and line by line.
import { posix } from "node:path";
import { parseDocument, YAMLMap, YAMLSeq } from "yaml";
import type { Stats } from "node:fs";
import { MAX_CONFIG_BYTES } from "../src/config/yaml-source";
import type { ScriptStyleName } from "../src/config/style-names";
import type { Backend } from "../src/events/names";
import { byteOrder, isIgnoredName, styleRule } from "../src/config/script-rules";
import type { Write } from "./apply";
import type { ImageRoot } from "./image-root";
import type { Report } from "./report";
import {
  type HookFacts,
  type Pattern,
  PRIVILEGE_PATTERNS,
  scanScript,
  type DirPlan,
  type ScriptPlan,
} from "./scripts";
import { envRef, scriptText } from "../src/config/script-variables";
import { ignoredBefore22, readInstalledNetworkdDispatcher } from "./installed";
import { hiddenName, NM_ETC, NM_MOVED_TO, type NmSplit, planNmSplit } from "./nm-split";
import { NETWORKD_ADMINISTRATIVE, NETWORKD_OPERATIONAL } from "../src/events/names";
import { NETWORKD_DISPATCHER_OLD_IGNORED } from "../src/config/script-styles";

const CONFIG = "/etc/netevd/netevd.yaml";
const MAX_SCRIPT_BYTES = 1 << 20;

export interface DispatcherSpec {
  style: Extract<ScriptStyleName, "networkd-dispatcher" | "nm-dispatcher">;
  /** Its directories, the one that wins first (as it read them). */
  defaults: string[];
  backend: Backend;
  /** Its unit, and how --switch-service stops it ("keep": it keeps running, for what netevd cannot do). */
  service: { unit: string; verb: "disable" | "mask" | "keep" };
  /** What its scripts may use that netevd does not give. */
  patterns: Pattern[];
  /** The variables it gave its scripts (a regular expression of names). */
  variables: string;
}

export const NETWORKD_DISPATCHER: DispatcherSpec = {
  style: "networkd-dispatcher",
  defaults: ["/etc/networkd-dispatcher", "/usr/lib/networkd-dispatcher"],
  backend: "systemd-networkd",
  service: { unit: "networkd-dispatcher.service", verb: "disable" },
  variables: "IFACE|STATE|ESSID|ADDR|IP_ADDRS|IP6_ADDRS|AdministrativeState|OperationalState|json",
  patterns: [
    {
      re: envRef("ESSID"),
      variable: "ESSID",
      replacement:
        'netevd gives ESSID as networkctl status shows it, which is empty for most Wi-Fi links (networkd-dispatcher asked iw): read it in the script with iw dev "$IFACE" link',
    },
  ],
};

export const NM_DISPATCHER: DispatcherSpec = {
  style: "nm-dispatcher",
  defaults: ["/etc/NetworkManager/dispatcher.d", "/usr/lib/NetworkManager/dispatcher.d"],
  backend: "NetworkManager",
  // NetworkManager starts its dispatcher by D-Bus activation: only masking stops it.
  service: { unit: "NetworkManager-dispatcher.service", verb: "mask" },
  variables:
    "NM_DISPATCHER_ACTION|DEVICE_IFACE|DEVICE_IP_IFACE|CONNECTION_ID|CONNECTION_UUID|CONNECTION_FILENAME|CONNECTION_EXTERNAL|CONNECTIVITY_STATE|IP4_[A-Z_0-9]+|IP6_[A-Z_0-9]+|DHCP4_[A-Z_0-9]+|DHCP6_[A-Z_0-9]+|VPN_[A-Z_0-9]+",
  patterns: [
    {
      re: /(?:^|[\s"'(|=])(pre-up|pre-down|vpn-pre-up|vpn-pre-down)(?=[\s"')|;]|$)/,
      variable: "$1",
      replacement:
        "netevd never runs this action: NetworkManager waits for these scripts before it goes on, and netevd observes NetworkManager, it cannot hold it",
    },
    {
      re: /(?:^|[\s"'(|=])(reapply|device-add|device-delete)(?=[\s"')|;]|$)/,
      variable: "$1",
      replacement:
        "netevd does not dispatch this action (not followed over D-Bus); the script's other actions run",
    },
    {
      re: envRef(
        "VPN_PROXY_[A-Z_0-9]+|PROXY_[A-Z_0-9]+|CONNECTION_ACTIVATION_TYPE|DEVICE_[A-Z_0-9]+_CONNECTIVITY",
      ),
      variable: "$1",
      replacement: "netevd does not give this variable",
    },
  ],
};

/** The directories to use: the one given, else those of the defaults that exist. */
function directories(image: ImageRoot, spec: DispatcherSpec, given: string | undefined): string[] {
  if (given !== undefined) return [given];
  return spec.defaults.filter((d) => image.stat(d)?.isDirectory());
}

/** The NetworkManager actions netevd dispatches to dispatcher.d's scripts. */
const NM_ACTIONS = [
  "up",
  "down",
  "dhcp4-change",
  "dhcp6-change",
  "hostname",
  "connectivity-change",
  "dns-change",
  "vpn-up",
  "vpn-down",
];
const NETWORKD_STATES = new Set<string>([...NETWORKD_OPERATIONAL, ...NETWORKD_ADMINISTRATIVE]);

/** Where a hook sits says what it runs for; whether netevd runs it then. */
function hookStates(
  spec: DispatcherSpec,
  dir: string,
  ignored: readonly string[],
): Pick<HookFacts, "states" | "runs" | "why"> {
  const sub = posix.basename(dir);
  if (spec.style === "nm-dispatcher") {
    if (sub === "pre-up.d" || sub === "pre-down.d")
      return {
        states: [sub.slice(0, -2)],
        runs: false,
        why: "NetworkManager waits for these scripts; netevd observes NetworkManager, it cannot hold it",
      };
    return { states: NM_ACTIONS, runs: true, why: null };
  }
  const state = sub.slice(0, -2);
  if (!NETWORKD_STATES.has(state))
    return { states: [state], runs: false, why: "not a state systemd-networkd reports" };
  if (ignored.includes(state))
    return { states: [state], runs: false, why: "in the ignore list of the installed networkd-dispatcher" };
  return { states: [state], runs: true, why: null };
}

/** The variables of its dispatcher a hook reads, and (NetworkManager's) its arguments. */
function hookVariables(spec: DispatcherSpec, text: string): string[] {
  const found = new Set<string>();
  const re = new RegExp(envRef(spec.variables).source, "g");
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line)) continue;
    for (const m of line.matchAll(re)) {
      const name = m.slice(1).find((g) => g !== undefined);
      if (name) found.add(name);
    }
    if (spec.style === "nm-dispatcher") {
      if (/\$\{?1\b/.test(line)) found.add("$1 (the interface)");
      if (/\$\{?2\b/.test(line)) found.add("$2 (the action)");
    }
  }
  return [...found].sort(byteOrder);
}

/** Every script there with what netevd will do with it (in place: nothing is copied). */
function listScripts(
  image: ImageRoot,
  spec: DispatcherSpec,
  dirs: string[],
  ignored: readonly string[],
  r: Report,
  /** NetworkManager-dispatcher keeps running for pre-up.d and pre-down.d. */
  held = false,
): ScriptPlan[] {
  const rule = styleRule(spec.style);
  const files: ScriptPlan[] = [];
  const look = (dir: string, why?: string) => {
    let names: string[];
    try {
      names = image.readdir(dir).sort(byteOrder);
    } catch {
      return;
    }
    for (const name of names) {
      const path = posix.join(dir, name);
      const lst = image.lstat(path);
      if (!lst || (lst.isDirectory() && spec.style === "nm-dispatcher")) continue;
      if (isIgnoredName(name)) continue;
      const st = lst.isSymbolicLink() ? image.stat(path) : lst;
      const broken = st ? rule(st) : { detail: "a symlink to a missing file" };
      let content: Buffer | undefined;
      try {
        content = st?.isFile() ? image.readFile(path, MAX_SCRIPT_BYTES) : undefined;
      } catch {
        content = undefined;
      }
      const text = content ? scan(image.show(path), content, spec, r) : null;
      files.push({
        source: path,
        target: null,
        kind: lst.isSymbolicLink() ? "symlink" : "file",
        mode: (st?.mode ?? 0) & 0o7777,
        problem: why ?? (broken ? `netevd will not run it: ${broken.detail}` : undefined),
        fix: broken && !why ? fixFor(broken.detail, st) : undefined,
        hook: {
          ...hookStates(spec, dir, ignored),
          needs_root:
            text === null
              ? []
              : scanScript(image.show(path), text, PRIVILEGE_PATTERNS).map(
                  (f) => `${f.variable} (line ${f.line})`,
                ),
          variables: text === null ? [] : hookVariables(spec, text),
        },
      });
    }
  };
  for (const dir of dirs) {
    if (spec.style === "nm-dispatcher") {
      look(dir);
      for (const sub of ["pre-up.d", "pre-down.d"])
        look(
          posix.join(dir, sub),
          held
            ? `run by ${spec.service.unit}, which keeps running for pre-up.d and pre-down.d: NetworkManager waits for these scripts, and netevd observes NetworkManager, it cannot hold it`
            : `not run: NetworkManager waits for ${sub.slice(0, -2)} scripts, and netevd observes NetworkManager, it cannot hold it`,
        );
    } else
      for (const d of image.readdir(dir).sort(byteOrder))
        if (d.endsWith(".d") && image.stat(posix.join(dir, d))?.isDirectory()) look(posix.join(dir, d));
  }
  return files;
}

function fixFor(detail: string, st: Stats | undefined): string {
  if (!st) return "point it at an existing script or remove it";
  if (/owned by/.test(detail)) return "chown root:root";
  if (/writable/.test(detail)) return "chmod go-w";
  if (/executable/.test(detail)) return "chmod u+x";
  if (/setuid/.test(detail)) return "chmod u-s";
  return "replace it with a regular file";
}

/** Its text (null: a binary, warned about), scanned for what netevd does not give. */
function scan(file: string, content: Buffer, spec: DispatcherSpec, r: Report): string | null {
  const text = scriptText(content);
  if (text === null)
    r.warnings.push(
      `${file}: not scanned (a binary file): check by hand that it needs nothing netevd does not give (see netevd-scripts(7), STYLES)`,
    );
  // They keep running as root (privileged: true): what needs root is listed per hook, no finding.
  else r.findings.push(...scanScript(file, text, spec.patterns));
  return text;
}

/** netevd.yaml with the directory and its style added (comments and other keys kept). */
/** How the installed dispatcher ran: netevd's settings for the same. */
interface AsInstalled {
  /** networkd-dispatcher: its ignore list. */
  ignoreStates?: string[];
  /** It ran every link's state's scripts at start. */
  startupTriggers?: boolean;
}

function configWith(
  image: ImageRoot,
  spec: DispatcherSpec,
  path: string,
  r: Report,
  installed: AsInstalled,
): { yaml: string; exists: boolean } {
  let text = "";
  const exists = image.stat(CONFIG)?.isFile() === true;
  if (exists) text = new TextDecoder().decode(image.readFile(CONFIG, MAX_CONFIG_BYTES));
  const doc = parseDocument(
    exists
      ? text
      : `# netevd configuration written by netevd-migrate: ${spec.style} scripts run where they are.\n`,
  );
  if (doc.errors.length) throw new Error(doc.errors[0]!.message);
  const backend: unknown = doc.getIn(["system", "backend"]);
  // The dispatcher served one manager: that one is set, unless netevd already
  // follows the host's (auto), under which these scripts run while it manages.
  if (backend === "auto")
    r.notes.push(
      `system.backend stays auto: ${spec.style} scripts run while ${spec.backend} manages the host, as under ${spec.style}`,
    );
  else if (backend !== spec.backend) {
    if (backend !== undefined)
      r.warnings.push(
        `system.backend was ${typeof backend === "string" ? backend : JSON.stringify(backend)}; ${spec.style} scripts need ${spec.backend}, which the new configuration sets`,
      );
    doc.setIn(["system", "backend"], spec.backend);
  }
  const current = doc.getIn(["scripts", "directories"]);
  const entries = current instanceof YAMLSeq ? current.items : [];
  const present = entries.some(
    (e) => e instanceof YAMLMap && e.get("path") === path && e.get("style") === spec.style,
  );
  // An entry already there is the administrator's: its privileged setting too.
  if (!present) {
    const entry = {
      path,
      style: spec.style,
      ...(installed.ignoreStates ? { ignore_states: installed.ignoreStates } : {}),
      privileged: true,
    };
    if (current instanceof YAMLSeq) current.add(doc.createNode(entry));
    else doc.setIn(["scripts", "directories"], doc.createNode([entry]));
  }
  const triggers: unknown = doc.getIn(["scripts", "run_startup_triggers"]);
  if (installed.startupTriggers && triggers !== true) doc.setIn(["scripts", "run_startup_triggers"], true);
  else if (installed.startupTriggers === false && triggers === true)
    r.warnings.push(
      `scripts.run_startup_triggers stays true: netevd runs every link's state's scripts at start, which ${spec.style} did not`,
    );
  return { yaml: doc.toString(), exists };
}

export interface DispatcherPlan {
  plan: { dirs: DirPlan[]; files: ScriptPlan[] };
  config: Write;
  yaml: string;
  /** NetworkManager-dispatcher keeps pre-up.d and pre-down.d: the other scripts move (nm-split). */
  moves?: { before: Write[]; after: Write[] };
  /** The dispatcher as it is left (its unit kept running after a split). */
  spec: DispatcherSpec;
}

/**
 * The plan for one dispatcher, in place. Returns null (errors in the report)
 * when none of its directories is there.
 */
export function planDispatcher(
  image: ImageRoot,
  spec: DispatcherSpec,
  given: string | undefined,
  r: Report,
): DispatcherPlan | null {
  const installed = spec.style === "networkd-dispatcher" ? readInstalledNetworkdDispatcher(image) : null;
  // Its --script-dir, where the service was started with one.
  const dirs = directories(
    image,
    given === undefined && installed?.scriptDir ? { ...spec, defaults: installed.scriptDir } : spec,
    given,
  );
  if (!dirs.length || !dirs.every((d) => image.stat(d)?.isDirectory())) {
    r.errors.push(
      `no ${spec.style} directory at ${(given ? [given] : spec.defaults).map((d) => image.show(d)).join(" or ")}`,
    );
    return null;
  }
  const split = spec.style === "nm-dispatcher" ? planNmSplit(image, dirs) : null;
  const shown = dirs.map((d) => image.show(d)).join(":");
  r.source = {
    file: shown,
    format: spec.style,
    dir: shown,
    shadowed: [],
    searched: dirs.map((d) => image.show(d)),
  };
  const path = split ? split.path : dirs.join(":");
  if (split) splitNotes(image, spec, split, r);
  else
    r.notes.push(
      `the scripts stay in ${shown} and run in style ${spec.style}: with the arguments, variables, order and file rules ${spec.style} gave them, and netevd's own variables alongside; nothing in them needs editing`,
      `${spec.service.unit} must stop, or both run the scripts: --switch-service ${spec.service.verb}s it and enables netevd.service`,
    );
  r.notes.push(
    `${spec.style} ran its scripts as root, and they stay root: the directory is marked privileged: true, so netevd-privileged.service runs each in a unit of its own while netevd itself stays unprivileged (netevd-scripts(7), PRIVILEGED HOOKS); narrow it with capabilities: and read_write_paths: once you know what they need`,
  );
  const asInstalled: AsInstalled = {};
  if (installed) {
    const v = installed.version;
    const old = v !== null && ignoredBefore22(v.text);
    asInstalled.ignoreStates = old ? [...NETWORKD_DISPATCHER_OLD_IGNORED] : [];
    asInstalled.startupTriggers = installed.startupTriggers;
    r.notes.push(
      v === null
        ? "no installed networkd-dispatcher found (dpkg, pacman): taken as 2.2 or later, which ran every state's scripts (ignore_states: [])"
        : old
          ? `networkd-dispatcher ${v.text} (${v.from}) never ran carrier.d and degraded.d: ignore_states: [carrier, degraded] keeps that`
          : `networkd-dispatcher ${v.text} (${v.from}) ran every state's scripts: ignore_states: []`,
      installed.argsFrom.length === 0
        ? "no networkd-dispatcher.service found: taken as started without --run-startup-triggers"
        : `networkd-dispatcher was started with ${installed.args.length ? installed.args.join(" ") : "no arguments"} (${installed.argsFrom.join(", ")}): ${
            installed.startupTriggers
              ? "it ran each link's state's scripts at start, so scripts.run_startup_triggers: true (for every directory of netevd)"
              : "no scripts at start, as netevd by default"
          }`,
    );
  } else
    r.notes.push(
      "scripts that are symlinks into no-wait.d start without netevd waiting for them, as NetworkManager's dispatcher did",
    );
  const files = listScripts(image, spec, dirs, asInstalled.ignoreStates ?? [], r, split !== null);
  let yaml: string;
  try {
    yaml = configWith(image, spec, path, r, asInstalled).yaml;
  } catch (err) {
    r.errors.push(`${image.show(CONFIG)}: cannot add the directory to it: ${(err as Error).message}`);
    return null;
  }
  return {
    plan: { dirs: [], files },
    config: { path: CONFIG, kind: "file", content: Buffer.from(yaml), mode: 0o644 },
    yaml,
    ...(split ? { moves: { before: split.before, after: split.after } } : {}),
    spec: split ? { ...spec, service: { ...spec.service, verb: "keep" } } : spec,
  };
}

/** What a split does, in the report's notes. */
function splitNotes(image: ImageRoot, spec: DispatcherSpec, split: NmSplit, r: Report): void {
  r.notes.push(
    `${spec.service.unit} keeps running, for pre-up.d and pre-down.d only (${split.held.map((h) => image.show(h)).join(", ")}): NetworkManager waits for those scripts before it goes on, and netevd observes NetworkManager, it cannot hold it; --switch-service leaves it and enables netevd.service`,
    `the other scripts run under netevd in style ${spec.style} (${split.path
      .split(":")
      .map((d) => image.show(d))
      .join(
        ", ",
      )}), with the arguments, variables, order and file rules ${spec.style} gave them: ${image.show(NM_ETC)}'s are copied to ${image.show(NM_MOVED_TO)} and the originals renamed to ${hiddenName("NAME")} (${spec.service.unit} skips dotfiles), so that one of the two runs each`,
  );
  if (split.after.some((w) => w.kind === "symlink"))
    r.notes.push(
      `the package's scripts run in place under netevd; ${spec.service.unit} is kept off them with ${image.show(NM_ETC)}/NAME -> /dev/null, the way it masks a script`,
    );
}
