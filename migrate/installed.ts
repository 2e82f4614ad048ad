// The networkd-dispatcher installed in the image: its version (dpkg-query, or
// pacman's database) and how systemd starts it (the unit, its drop-ins, the
// EnvironmentFile its ExecStart reads: Debian's /etc/default/networkd-dispatcher,
// Arch's /etc/conf.d/networkd-dispatcher). Together they say which states it ran
// and whether it ran the scripts of every link's state at start.
import { spawnSync } from "node:child_process";
import { posix } from "node:path";
import type { ImageRoot } from "./image-root";

const UNIT = "networkd-dispatcher.service";
const UNIT_DIRS = [
  "/etc/systemd/system",
  "/run/systemd/system",
  "/usr/lib/systemd/system",
  "/lib/systemd/system",
];
const MAX_FILE_BYTES = 1 << 20;

export interface InstalledDispatcher {
  /** The package's version ("2.2.3-1") and where it was read; null: not found. */
  version: { text: string; from: string } | null;
  /** ExecStart's arguments after the program, expanded, and every file they came from. */
  args: string[];
  argsFrom: string[];
  /** -T / --run-startup-triggers. */
  startupTriggers: boolean;
  /** -S / --script-dir, split at ':'; null when not given. */
  scriptDir: string[] | null;
}

function read(image: ImageRoot, path: string): string | null {
  try {
    const st = image.stat(path);
    return st?.isFile() ? new TextDecoder().decode(image.readFile(path, MAX_FILE_BYTES)) : null;
  } catch {
    return null;
  }
}

/** A directory's names; none when it is not there. */
function listing(image: ImageRoot, dir: string): string[] {
  try {
    return image.readdir(dir);
  } catch {
    return [];
  }
}

/** The package's version: dpkg-query (dpkg's database is dpkg's to read), or pacman's local database. */
function packageVersion(image: ImageRoot): InstalledDispatcher["version"] {
  const asked = spawnSync(
    "dpkg-query",
    ["--root", image.root, "-W", "-f", "${db:Status-Status} ${Version}", "networkd-dispatcher"],
    { encoding: "utf8", timeout: 10_000 },
  );
  const [status, version] = asked.status === 0 ? asked.stdout.trim().split(" ") : [];
  if (status === "installed" && version)
    return { text: version, from: image.root === "/" ? "dpkg-query" : `dpkg-query --root ${image.root}` };
  const local = "/var/lib/pacman/local";
  const entries = listing(image, local);
  for (const e of entries) {
    if (!/^networkd-dispatcher-[^-]+-[^-]+$/.test(e)) continue;
    const desc = posix.join(local, e, "desc");
    const v = /%VERSION%\n(\S+)/.exec(read(image, desc) ?? "")?.[1];
    if (v) return { text: v, from: image.show(desc) };
  }
  return null;
}

/** Before 2.2, networkd-dispatcher never ran carrier.d and degraded.d. */
export function ignoredBefore22(version: string): boolean {
  const m = /^(?:\d+:)?(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < 2 || (major === 2 && minor < 2);
}

/** The unit specifiers these lines use (Debian's EnvironmentFile=-/etc/default/%p). */
const specifiers = (v: string) =>
  v.replace(/%([pnN%])/g, (_, c: string) => (c === "%" ? "%" : c === "n" ? UNIT : UNIT.slice(0, -8)));

/** systemd's unit file syntax: key=value lines of one section, continuation lines joined. */
function unitLines(text: string): [string, string][] {
  const out: [string, string][] = [];
  let section = "";
  for (const raw of text.replace(/\\\n/g, " ").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      section = line;
      continue;
    }
    const i = line.indexOf("=");
    if (section === "[Service]" && i > 0)
      out.push([line.slice(0, i).trim(), specifiers(line.slice(i + 1).trim())]);
  }
  return out;
}

/** An environment file: KEY=value lines, values optionally quoted. */
function environmentFile(text: string, into: Map<string, string>): void {
  for (const raw of text.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (!m?.[1]) continue;
    const v = (m[2] ?? "").trim();
    into.set(m[1], /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v);
  }
}

/** ExecStart's words, as systemd splits them: $VAR splits into words, ${VAR} stays one. */
function words(command: string, env: Map<string, string>): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    const word = m[1] ?? m[2] ?? m[3] ?? "";
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole?.[1] && m[3] !== undefined) out.push(...(env.get(whole[1]) ?? "").split(/\s+/).filter(Boolean));
    else out.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, k: string) => env.get(k) ?? ""));
  }
  return out;
}

/** Its arguments as argparse read them: -T, -S DIR (also -SDIR, --script-dir=DIR), combined short flags. */
function parseArgs(args: string[]): Pick<InstalledDispatcher, "startupTriggers" | "scriptDir"> {
  let startupTriggers = false;
  let scriptDir: string[] | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--run-startup-triggers") startupTriggers = true;
    else if (a === "--script-dir") scriptDir = (args[++i] ?? "").split(":").filter(Boolean);
    else if (a.startsWith("--script-dir=")) scriptDir = a.slice(13).split(":").filter(Boolean);
    else if (/^-[A-Za-z]/.test(a))
      for (let j = 1; j < a.length; j++) {
        if (a[j] === "T") startupTriggers = true;
        if (a[j] === "S") {
          const rest = a.slice(j + 1);
          scriptDir = (rest || (args[++i] ?? "")).split(":").filter(Boolean);
          break;
        }
      }
  }
  return { startupTriggers, scriptDir };
}

export function readInstalledNetworkdDispatcher(image: ImageRoot): InstalledDispatcher {
  const files: string[] = [];
  const unit = UNIT_DIRS.map((d) => posix.join(d, UNIT)).find((p) => read(image, p) !== null);
  // Drop-ins by name, the first directory's winning (as systemd orders them).
  const dropins = new Map<string, string>();
  for (const d of UNIT_DIRS) {
    for (const n of listing(image, posix.join(d, `${UNIT}.d`)))
      if (n.endsWith(".conf") && !dropins.has(n)) dropins.set(n, posix.join(d, `${UNIT}.d`, n));
  }
  const sources = [
    ...(unit ? [unit] : []),
    ...[...dropins.keys()].sort().map((n) => dropins.get(n) as string),
  ];
  let exec: string | null = null;
  let execFrom = "";
  const env = new Map<string, string>();
  const envFiles: string[] = [];
  for (const path of sources) {
    const text = read(image, path);
    if (text === null) continue;
    for (const [key, value] of unitLines(text)) {
      if (key === "ExecStart") {
        // An empty ExecStart= in a drop-in clears the unit's.
        exec = value === "" ? null : value;
        execFrom = path;
      } else if (key === "EnvironmentFile" && value) envFiles.push(value.replace(/^-/, ""));
      else if (key === "Environment")
        for (const m of value.matchAll(/"([^"]*)"|(\S+)/g)) environmentFile(m[1] ?? m[2] ?? "", env);
    }
  }
  for (const f of envFiles) {
    const text = read(image, f);
    if (text === null) continue;
    environmentFile(text, env);
    files.push(image.show(f));
  }
  const argv = exec ? words(exec.replace(/^[-@:+!]+/, ""), env).slice(1) : [];
  if (exec) files.unshift(image.show(execFrom));
  return { version: packageVersion(image), args: argv, argsFrom: files, ...parseArgs(argv) };
}
