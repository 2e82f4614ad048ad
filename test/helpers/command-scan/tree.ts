// Every external command the tree runs, with where it runs: on the build/test
// machine ("host"), or on the system a package is installed on ("system": the
// package test's container, and every user's machine).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { shellCommands } from "./shell";
import { tsCommands } from "./typescript";

type World = "host" | "system";

export interface Use {
  command: string;
  world: World;
  file: string;
  line: number;
}

const DIRS = ["src", "migrate", "scripts", "tools", "test", "bench", "packaging"];
/** Scripts that run where the package is installed, not on the build machine. */
const SYSTEM_FILES = [
  /^packaging\/(deb|rpm|examples)\//,
  /^packaging\/aur\/netevd\.install$/,
  /^test\/packaging\/container\/(install-test|bench-privileged|backend-hosts)\.sh$/,
];
/** Files whose heredoc scripts are written into the package test's container. */
const CONTAINER_WRITERS = [/^test\/packaging\/container\//];

function files(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== "fixtures" && e.name !== "node_modules") out.push(...files(root, rel));
    } else if (e.isFile()) out.push(rel);
  }
  return out;
}

const isShell = (rel: string, text: string) =>
  /\.(sh|install)$/.test(rel) || rel.endsWith("/PKGBUILD") || /^#!\s*\S*\b(ba)?sh\b/.test(text);

export function scanTree(root: string): Use[] {
  const uses: Use[] = [];
  const shell = (s: string) => shellCommands(s).map((c) => c.command);
  for (const dir of DIRS) {
    for (const rel of files(root, dir)) {
      const text = readFileSync(join(root, rel), "utf8");
      const world: World = SYSTEM_FILES.some((re) => re.test(rel)) ? "system" : "host";
      if (/\.(ts|mts|mjs|js)$/.test(rel) && !rel.endsWith(".d.ts")) {
        for (const c of tsCommands(text, rel, shell)) uses.push({ ...c, world, file: rel });
      } else if (isShell(rel, text)) {
        const container = CONTAINER_WRITERS.some((re) => re.test(rel));
        for (const c of shellCommands(text))
          uses.push({
            command: c.command,
            line: c.line,
            file: rel,
            world: c.heredoc && container ? "system" : world,
          });
      }
    }
  }
  return uses;
}
