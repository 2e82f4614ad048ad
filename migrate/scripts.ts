// network-broker's *.d script directories → netevd's: same names, content and
// mode kept, owned root:root; symlinks kept as links. What netevd would refuse
// or ignore is reported with the reason and the fix, and every script is
// scanned for variables netevd gives differently.
import type { Stats } from "node:fs";
import { posix } from "node:path";
import type { ImageRoot } from "./image-root";
import { isEventName } from "../src/events/names";
import { byteOrder, isIgnoredName, ruleBroken } from "../src/config/script-rules";
import { envRef } from "../src/config/script-variables";

/** A hook larger than this is no shell script; copying it is refused (the read would be unbounded). */
const MAX_SCRIPT_BYTES = 16 << 20;

export interface ScriptPlan {
  source: string;
  /** Where it goes (null: not copied). */
  target: string | null;
  kind: "file" | "symlink";
  mode: number;
  content?: Buffer;
  linkTarget?: string;
  /** Why it is not copied, or what netevd will do differently with it. */
  problem?: string;
  fix?: string;
  /** A dispatcher's hook, run in place: what it runs for and needs. */
  hook?: HookFacts;
}

/** One dispatcher hook, as the report lists it. */
export interface HookFacts {
  /** The states (or NetworkManager actions) it sits in. */
  states: string[];
  /** Whether netevd runs it for them, and why not. */
  runs: boolean;
  why: string | null;
  /** What in it needs root (the command and its line). */
  needs_root: string[];
  /** The variables it reads that its dispatcher gave. */
  variables: string[];
}

export interface DirPlan {
  name: string;
  source: string;
  target: string | null;
  /** Why the directory is not migrated. */
  problem?: string;
}

export interface Finding {
  file: string;
  line: number;
  variable: string;
  text: string;
  replacement: string;
}

/** Patterns of network-broker's environment that netevd gives differently, with the replacement. */
export type Pattern = { re: RegExp; variable: string; replacement: string };

/** network-broker's environment. */
export const BROKER_PATTERNS: Pattern[] = [
  {
    re: envRef(
      "OperationalState|AdministrativeState|CarrierState|AddressState|OnlineState|IPv4AddressState|IPv6AddressState",
    ),
    variable: "$1",
    replacement:
      "netevd gives the new state as STATE (and EVENT); the others are in JSON's .state (e.g. jq -r .state.administrative)",
  },
  {
    re: envRef("DHCP_LEASE"),
    variable: "DHCP_LEASE",
    replacement:
      "netevd's DHCP_LEASE is the lease block as dhclient wrote it (dhclient backend); use DHCP_ADDRESS DHCP_GATEWAY DHCP_DNS DHCP_DOMAIN DHCP_HOSTNAME",
  },
  {
    re: envRef("DOMAIN"),
    variable: "DOMAIN",
    replacement: "netevd gives DOMAINS (space-separated), and DHCP_DOMAIN for the lease's",
  },
  {
    re: /\$\{?DNS\b[^\n]*,|IFS=['"]?,|tr\s+['"]?,/,
    variable: "DNS",
    replacement: "netevd's DNS (and DHCP_DNS) are space-separated, not comma-joined: split on spaces",
  },
  {
    re: /jq[^\n]*\.(Name|Index|Address|Addresses|Routes|Gateway|OperationalState|AdministrativeState|LinkFile|NetworkFile|DNS|Domains)\b/,
    variable: "JSON .$1",
    replacement:
      "netevd's JSON is snake_case (netevd.event.v1): .link.name, .link.index, .addresses[].address, .gateway, .dns, .domains, .state.operational",
  },
];

/** How to let one copied script run as root (netevd-scripts(7), PRIVILEGED HOOKS). */
const PRIVILEGED =
  "mark the script privileged (scripts.privileged: { scripts: [EVENT.d/NAME] } in netevd.yaml)";
const NET_ADMIN = `needs CAP_NET_ADMIN, which netevd's scripts do not have by default: add it to scripts.ambient_capabilities, or ${PRIVILEGED} with capabilities: [CAP_NET_ADMIN] (netevd-scripts(7))`;

/**
 * Commands a hook ran with privileges it will not have under netevd (user
 * netevd, no capabilities, a read-only /etc): each is named with how to grant
 * it today, or that netevd cannot.
 */
export const PRIVILEGE_PATTERNS: Pattern[] = [
  {
    re: /(?:^|[\s;&|(`$])(ip)(?:\s+-[-\w]+)*\s+(?:rule|route|r|ro|addr|address|a|link|l|neigh|n|tunnel)\s+(?:add|del|delete|replace|change|append|flush|set|prepend)\b/,
    variable: "ip (a change)",
    replacement: NET_ADMIN,
  },
  {
    re: /(?:^|[\s;&|(`$])(nft|iptables(?:-restore|-nft|-legacy)?|ip6tables(?:-restore)?|ebtables|tc)\s/,
    variable: "$1",
    replacement: `${NET_ADMIN}; iptables-legacy also needs CAP_NET_RAW, which only a privileged script can have (the nft backend does not)`,
  },
  {
    re: /(?:^|[\s;&|(`$])(ethtool)\s+(?:-[a-zA-Z]*[KsGALCcNnUu]\b|--(?:offload|change|set-\w+|features|coalesce|pause))/,
    variable: "ethtool (a change)",
    replacement: NET_ADMIN,
  },
  {
    re: /(?:^|[\s;&|(`$])(systemctl)\s+(?:--\S+\s+)*(?:start|stop|restart|reload|try-restart|reload-or-restart|enable|disable|mask|unmask|kill|daemon-reload)\b/,
    variable: "systemctl",
    replacement: `needs root (systemd asks polkit, which lets user netevd manage no units): ${PRIVILEGED}`,
  },
  ...[
    // A redirection, tee, or a command that changes each path it is given.
    /(?:>>?|\btee(?:\s+-a)?|\b(?:rm|touch|mkdir|chmod|chown)\s(?:[^;&|\n]*\s)?)\s*(\/etc\/[^\s;&|'"]*)/,
    /\bsed\s+(?:[^;&|\n]*\s)?-i\S*\s(?:[^;&|\n]*\s)?(\/etc\/[^\s;&|'"]*)/,
    // cp, mv, install, ln: the last argument is the one written.
    /\b(?:cp|mv|install|ln)\s[^;&|\n]*\s(\/etc\/[^\s;&|'"]*)\s*(?:$|[;&|])/,
  ].map((re) => ({
    re,
    variable: "a write to $1",
    replacement: `/etc is read-only in netevd's sandbox (ProtectSystem=strict) and root's: ${PRIVILEGED}, narrowed with read_write_paths: [the path]`,
  })),
  {
    re: /(?:^|[\s;&|(`$])(mount|umount|modprobe|rmmod|insmod|useradd|usermod|chpasswd)\s/,
    variable: "$1",
    replacement: `needs root: ${PRIVILEGED}`,
  },
  {
    re: /(?:^|[\s;&|(`$])(sysctl)\s+(?:-\S*w|\S+=)|>\s*\/proc\/sys\//,
    variable: "sysctl (a change)",
    replacement: `needs root, and /proc/sys is read-only in netevd's sandbox (ProtectKernelTunables=): set it in /etc/sysctl.d, or ${PRIVILEGED}`,
  },
];

export function scanScript(file: string, text: string, patterns: Pattern[] = BROKER_PATTERNS): Finding[] {
  const out: Finding[] = [];
  text.split("\n").forEach((line, i) => {
    if (/^\s*#/.test(line)) return;
    for (const p of patterns) {
      const m = p.re.exec(line);
      if (!m) continue;
      out.push({
        file,
        line: i + 1,
        variable: p.variable.replace("$1", m.slice(1).find((g) => g !== undefined) ?? ""),
        text: line.trim().slice(0, 160),
        replacement: p.replacement,
      });
    }
  });
  return out;
}

/** What netevd would refuse about a file once it is root's (mode rules only). */
function modeProblem(st: Stats): { problem: string; fix: string } | undefined {
  // Judged as root's file: the copy is chowned to root.
  const broken = ruleBroken(
    Object.assign(Object.create(Object.getPrototypeOf(st) as object) as Stats, st, { uid: 0 }),
  );
  if (!broken) return undefined;
  const fix =
    broken.rule === "group-or-other-writable"
      ? "chmod go-w"
      : broken.rule === "not-executable"
        ? "chmod u+x"
        : broken.rule === "setuid-or-setgid"
          ? "chmod ug-s"
          : "replace it with a regular file";
  return { problem: `netevd will not run it: ${broken.detail}`, fix };
}

/** The script directories in sourceDir and their files, as image paths (see ImageRoot). */
export function planScripts(
  image: ImageRoot,
  sourceDir: string,
  targetDir: string,
): { dirs: DirPlan[]; files: ScriptPlan[] } {
  const dirs: DirPlan[] = [];
  const files: ScriptPlan[] = [];
  let names: string[];
  try {
    names = image.readdir(sourceDir).sort(byteOrder);
  } catch {
    return { dirs, files };
  }
  for (const d of names) {
    const src = posix.join(sourceDir, d);
    if (!d.endsWith(".d") || !image.lstat(src)?.isDirectory()) continue;
    const event = d.slice(0, -2);
    if (!isEventName(event)) {
      dirs.push({
        name: d,
        source: src,
        target: null,
        problem: `netevd has no "${event}" event (network-broker ran ${d} for a property value netevd does not report); not copied`,
      });
      continue;
    }
    const target = posix.join(targetDir, d);
    dirs.push({ name: d, source: src, target });
    for (const f of image.readdir(src).sort(byteOrder)) {
      const path = posix.join(src, f);
      const lst = image.lstat(path);
      if (!lst) continue; // gone since readdir
      const to = posix.join(target, f);
      if (lst.isDirectory()) {
        files.push({
          source: path,
          target: null,
          kind: "file",
          mode: 0,
          problem: "a subdirectory: network-broker skipped it too; not copied",
        });
        continue;
      }
      if (isIgnoredName(f)) {
        files.push({
          source: path,
          target: null,
          kind: "file",
          mode: lst.mode & 0o7777,
          problem:
            "netevd ignores this name (dotfile, backup or package-manager leftover) though network-broker ran it; not copied",
          fix: `rename it if it should run, e.g. ${f
            .replace(/^\.+/, "")
            .replace(/(~|\.rpmsave|\.rpmorig|\.rpmnew|\.swp|\.bak)$/, "")
            .replace(/\.dpkg-\w+$/, "")}`,
        });
        continue;
      }
      if (lst.isSymbolicLink()) {
        const linkTarget = image.readlink(path);
        let problem: string | undefined;
        let fix: string | undefined;
        // Followed inside the image: an absolute target is the image's file, not this system's.
        const st = image.stat(path);
        const m = st && modeProblem(st);
        if (!st) {
          problem = `broken symlink to ${linkTarget}: kept as a link, netevd will skip it`;
          fix = "point it at an existing script or remove it";
        } else if (m)
          ({ problem, fix } = {
            problem: `its target ${m.problem.slice("netevd will not run it: ".length)}; netevd will not run it`,
            fix: `${m.fix} ${image.show(posix.resolve(posix.dirname(path), linkTarget))}`,
          });
        files.push({ source: path, target: to, kind: "symlink", mode: 0o777, linkTarget, problem, fix });
        continue;
      }
      // Read without blocking: a FIFO swapped in after lstat is refused, not waited on.
      let content: Buffer | undefined;
      try {
        content = lst.isFile() ? image.readFile(path, MAX_SCRIPT_BYTES) : undefined;
      } catch {
        content = undefined;
      }
      if (!content || content.length > MAX_SCRIPT_BYTES) {
        files.push({
          source: path,
          target: null,
          kind: "file",
          mode: 0,
          problem: content
            ? `larger than ${MAX_SCRIPT_BYTES} bytes; not copied`
            : "not a regular file; not copied",
        });
        continue;
      }
      const m = modeProblem(lst);
      files.push({
        source: path,
        target: to,
        kind: "file",
        mode: lst.mode & 0o7777,
        content,
        ...(m ? { problem: `${m.problem} (copied with its mode)`, fix: `${m.fix} ${image.show(to)}` } : {}),
      });
    }
  }
  return { dirs, files };
}
