// Which variables a script may read, from its text: the scanner netevd-migrate
// reports with, and the daemon's test before it computes a costly variable
// (networkd-dispatcher's `json` from `networkctl status`, the DNS data of
// systemd-networkd's DescribeLink). It errs one way only: a script netevd
// cannot read (a binary, too large), one that reads its environment whole or
// by an indirect name, and one that hands it to a program netevd cannot see
// into (a sourced file, run-parts, an interpreter given a file, a program
// outside the system's directories, any child of a script in another
// language) counts as reading every variable (netevd-scripts(7),
// ENVIRONMENT, Variables that cost).
import type { Stats } from "node:fs";
import { SCRIPT_PATH } from "./script-rules";
import { readRegularFile } from "../util/read-regular";
import { onPath } from "../util/on-path";

/** A script larger than this is not scanned: it counts as reading everything. */
const MAX_SCANNED_BYTES = 1 << 20;
/** Distinct commands a script is followed through; one with more counts as reading everything. */
const MAX_COMMANDS = 512;
/** Verdicts kept, by file version (scripts are few; a bound all the same). */
const MAX_CACHED = 1024;

/** A script's text, or null for a binary (a NUL byte, or not UTF-8): it cannot be scanned. */
export function scriptText(content: Buffer): string | null {
  if (content.includes(0)) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(content);
  } catch {
    return null;
  }
}

/**
 * A reference to one of these environment variables in any of the languages
 * hooks are written in: shell ($X, ${X}, printenv X), Python
 * (os.environ["X"], os.environ.get("X"), os.getenv("X")), Perl ($ENV{X}),
 * Ruby (ENV["X"], ENV.fetch("X")), awk (ENVIRON["X"]), JavaScript (process.env.X), C, Go,
 * Java and Rust (getenv("X"), Getenv, env::var("X")). The name is group 1.
 */
export function envRef(names: string): RegExp {
  const quoted = `\\s*['"](${names})['"]`;
  return new RegExp(
    [
      `\\$\\{?(${names})\\b`,
      `\\bprintenv\\s+(${names})\\b`,
      `\\bos\\.environ(?:\\.get\\(|\\[)${quoted}`,
      `\\b(?:os\\.)?(?:getenv|Getenv|LookupEnv|env::var)\\(${quoted}`,
      `\\$ENV\\{\\s*['"]?(${names})\\b`,
      `\\b(?:ENV|ENVIRON)\\[${quoted}`,
      `\\bENV\\.fetch\\(${quoted}`,
      `\\bprocess\\.env(?:\\.(${names})\\b|\\[${quoted})`,
    ].join("|"),
  );
}

/** Reading the environment whole, or by a name computed at run time. */
const WHOLE_ENVIRONMENT = [
  // env, printenv, set, export -p, declare -p …, alone: they print it all.
  /(?:^|[\s;&|(`])(?:env|printenv|set|export\s+-p|declare\s+-\w*|typeset(?:\s+-\w*)?|compgen\s+-\w*)\s*(?:$|[;&|)>`])/m,
  /\$\{!/, // ${!name}: indirect expansion
  /(?:^|[\s;&|(`])eval\b/m,
  /\/proc\/[^\s/]+\/environ/,
  // The environment as an object: os.environ, process.env, %ENV, ENV, ENVIRON, environ, getenv(name).
  /\benviron\b(?!(?:\.get\(|\[)\s*['"])/,
  /\bprocess\.env\b(?!\.\w|\[\s*['"])/,
  /%ENV\b/,
  /\bENV\b(?!\s*\[\s*['"]|\.fetch\(\s*['"]|\s*\{)/,
  /\b(?:getenv|Getenv|LookupEnv|env::var)\(\s*[^'"\s)]/,
];

/** Shells whose command lines the scanner follows; a script in any other language hands its environment to whatever it runs. */
const SHELLS = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:sh|bash|dash|ash|ksh|mksh|zsh|busybox\s+sh)\b/;
/** Where the system's own programs are: one found elsewhere (/usr/local, /opt, a script's own) may read anything. */
const SYSTEM_DIRS = ["/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"];
/** Programs that run another file or the administrator's code with the script's environment. */
const HAND_OFF = new Set([
  "source",
  ".",
  "env",
  "run-parts",
  "sh",
  "bash",
  "dash",
  "ash",
  "ksh",
  "mksh",
  "zsh",
  "busybox",
  "python",
  "python2",
  "python3",
  "perl",
  "ruby",
  "node",
  "nodejs",
  "php",
  "lua",
  "tclsh",
  "awk",
  "gawk",
  "mawk",
  "nawk",
  "systemd-run",
  "nohup",
  "setsid",
  "sudo",
  "su",
  "runuser",
  "xargs",
  "find",
  "watch",
  "timeout",
  "flock",
  "nice",
  "ionice",
  "chroot",
  "nsenter",
  "unshare",
]);
/** Words before a command that are not the command (`exec prog` runs prog; `exec >log` runs nothing). */
const PREFIX = new Set([
  "if",
  "then",
  "else",
  "elif",
  "while",
  "until",
  "do",
  "!",
  "{",
  "(",
  "time",
  "command",
  "builtin",
  "exec",
]);
/** An assignment or a redirection before the command. */
const NOT_COMMAND = /^(?:\w+=|\d*[<>]|&>)/;

/** Commands of a shell line, roughly: the first word of each simple command. */
function commandWords(line: string): string[] {
  const out: string[] = [];
  for (const part of line.split(/&&|\|\||[;&|(){}`]|\$\(/)) {
    const words = part.trim().split(/\s+/);
    let i = 0;
    while (i < words.length && (PREFIX.has(words[i] as string) || NOT_COMMAND.test(words[i] as string))) i++;
    const w = words[i];
    if (w) out.push(w.replace(/^["']|["']$/g, ""));
  }
  return out;
}

/** Where PATH finds a bare command (SCRIPT_PATH, as scripts get it); undefined: a function, a builtin, or nothing. */
const resolve = (word: string): string | undefined => onPath(word, SCRIPT_PATH);

/** Whether this command may pass the environment to code netevd cannot scan. */
function handsOff(word: string): boolean {
  if (HAND_OFF.has(word)) return true;
  // A path to a program, or one made of a variable ($DIR/x, ./x, /opt/x).
  if (word.includes("/") || word.startsWith("$")) return !SYSTEM_DIRS.some((d) => word.startsWith(d));
  const found = resolve(word);
  return found !== undefined && !SYSTEM_DIRS.some((d) => found.startsWith(d));
}

/** The lines that are not comments (nor the #! line). */
const codeLines = (lines: string[]) => lines.filter((l) => !/^\s*#/.test(l));

/** Whether a script may read any variable. */
function readsAll(text: string): boolean {
  const lines = text.split("\n");
  const code = codeLines(lines);
  const body = code.join("\n");
  if (WHOLE_ENVIRONMENT.some((re) => re.test(body))) return true;
  if (!SHELLS.test(lines[0] ?? "")) {
    // No shebang: the kernel refuses it and the script does not run (or runs under sh: followed as sh).
    if ((lines[0] ?? "").startsWith("#!"))
      return /\b(?:system|exec\w*|popen|spawn\w*|subprocess|fork|Popen|run)\b|`/.test(body);
  }
  // `ip netns exec NS prog`, `ip vrf exec VRF prog` run a program too.
  // Each command once; past MAX_COMMANDS distinct ones (each may cost a look along PATH) it reads all.
  const seen = new Set<string>();
  return code.some(
    (l) =>
      /\b(?:netns|vrf)\s+exec\b/.test(l) ||
      commandWords(l).some((w) => {
        if (seen.has(w)) return false;
        seen.add(w);
        return seen.size > MAX_COMMANDS || handsOff(w);
      }),
  );
}

const cache = new Map<string, { version: string; all: boolean; answers: Map<string, boolean> }>();

/** The script's text as it is now, or null when it may read anything. */
function readScript(path: string): string | null {
  try {
    const content = readRegularFile(path, MAX_SCANNED_BYTES);
    const text = content.length > MAX_SCANNED_BYTES ? null : scriptText(content);
    return text === null || readsAll(text) ? null : codeLines(text.split("\n")).join("\n");
  } catch {
    return null;
  }
}

/** A file's version, as mayRead() takes it: device, inode, size and times (after symlinks). */
export const fileVersion = (st: Stats): string =>
  `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

/**
 * Whether the script may read any of these variables (names as envRef takes
 * them). `version` names its contents (device, inode, size, times): a
 * verdict is kept until the file changes.
 */
export function mayRead(script: { path: string; version: string }, names: RegExp): boolean {
  let v = cache.get(script.path);
  /** Its text without comments; null: it may read any variable. */
  let text: string | null | undefined;
  if (v?.version !== script.version) {
    text = readScript(script.path);
    v = { version: script.version, all: text === null, answers: new Map() };
    cache.delete(script.path);
    cache.set(script.path, v);
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  }
  if (v.all) return true;
  let answer = v.answers.get(names.source);
  if (answer === undefined) {
    text ??= readScript(script.path);
    answer = text === null || names.test(text);
    v.answers.set(names.source, answer);
  }
  return answer;
}
