// From one command line (its words; null where a word is only known at run
// time) to the commands it runs: the first word, and the command each wrapper
// runs in turn (`timeout 5 ip …` runs timeout and ip).
export type Word = string | null;

interface Wrapper {
  /** Options of the wrapper that take the next word as their value. */
  valued?: string[];
  /** Plain words (not options) before the wrapped command: `timeout DURATION`, `chroot DIR`. */
  operands?: number;
  /** Only a wrapper after these leading words: `ip netns exec NS …`. */
  after?: string[];
}

const WRAPPERS: Record<string, Wrapper> = {
  exec: { valued: ["-a"] },
  nohup: {},
  sudo: { valued: ["-u", "-g"] },
  env: { valued: ["-u", "-C", "--unset", "--chdir"] },
  timeout: { valued: ["-s", "-k", "--signal", "--kill-after"], operands: 1 },
  chroot: { operands: 1 },
  setpriv: { valued: ["--reuid", "--regid", "--groups", "--inh-caps", "--ambient-caps", "--bounding-set"] },
  nsenter: { valued: ["-t", "--target", "-S", "--setuid", "-G", "--setgid"] },
  unshare: { valued: ["--propagation", "-S", "--setuid", "-G", "--setgid", "-R", "--root", "-w", "--wd"] },
  xargs: { valued: ["-n", "-I", "-d", "-P", "-L", "-s", "-a", "-E"] },
  "systemd-run": {
    valued: ["-p", "--property", "--unit", "-u", "--description", "--slice", "-E", "--setenv"],
  },
  ip: { after: ["netns", "exec"], operands: 1 },
};

/** Where a command named by its full path is still one of the system's (looked up on PATH elsewhere). */
const BIN_DIRS = /^\/(usr\/)?(local\/)?s?bin\/[^/]+$/;

/** A command name from a word: a bare name, or the base name of a path in a bin directory; else nothing. */
function nameOf(word: string): string | null {
  if (word.includes("/") && !BIN_DIRS.test(word)) return null;
  const base = word.slice(word.lastIndexOf("/") + 1);
  return /^[A-Za-z][A-Za-z0-9._+-]*$/.test(base) ? base : null;
}

const OWN = new Set(["netevd", "netevd-migrate"]);

export function commandsOfWords(words: Word[], parseShell: (script: string) => string[]): string[] {
  // Leading assignments (FOO=bar cmd) are not commands.
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] ?? "")) i += 1;
  const first = words[i];
  if (first === undefined || first === null) return [];
  const name = nameOf(first);
  if (name === null || OWN.has(name)) return [];
  const out = [name];
  const rest = words.slice(i + 1);
  if ((name === "sh" || name === "bash") && rest[0] === "-c") {
    const script = rest[1];
    if (typeof script === "string") out.push(...parseShell(script));
    return out;
  }
  if (name === "command" && (rest[0] === "-v" || rest[0] === "-V")) return [];
  if (name === "command") return commandsOfWords(rest, parseShell);
  const wrapper = WRAPPERS[name];
  if (!wrapper) return out;
  let j = 0;
  for (const w of wrapper.after ?? []) {
    if (rest[j] !== w) return out;
    j += 1;
  }
  let operands = wrapper.operands ?? 0;
  while (j < rest.length) {
    const w = rest[j];
    if (typeof w === "string" && w.startsWith("-") && w !== "-") {
      j += wrapper.valued?.includes(w) ? 2 : 1;
    } else if (name === "env" && typeof w === "string" && w.includes("=")) {
      j += 1;
    } else if (operands > 0) {
      operands -= 1;
      j += 1;
    } else break;
  }
  return [...out, ...commandsOfWords(rest.slice(j), parseShell)];
}
