// Reads scripts/commands.list (the one list of external commands the project
// runs) and finds those missing from this machine.
import { accessSync, constants, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { delimiter, join } from "node:path";

export const LIST_FILE = fileURLToPath(new globalThis.URL("commands.list", import.meta.url));
export const WHERE = ["host", "machine", "system", "optional"];

/** Rows of the list: { command, package, where, purpose, line }. */
export function readCommandList(text = readFileSync(LIST_FILE, "utf8")) {
  const rows = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) return;
    const [command, pkg, where, ...purpose] = line.split(/\s+/);
    if (!WHERE.includes(where))
      throw new Error(`commands.list:${i + 1}: "${where}" is not one of ${WHERE.join(", ")}`);
    rows.push({ command, package: pkg, where, purpose: purpose.join(" "), line: i + 1 });
  });
  return rows;
}

// Root's PATH has the sbin directories; an unprivileged shell's may not, and
// the tests that run sbin commands run as root.
const SEARCH = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin"];

export function onPath(command) {
  // A program outside PATH (systemd's under /lib/systemd) is listed by its absolute path.
  if (command.startsWith("/")) return executable(command);
  return SEARCH.some((dir) => executable(join(dir, command)));
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Rows this machine needs ("host", "machine") whose command is not on PATH. */
export function missingCommands(rows = readCommandList()) {
  return rows.filter((r) => (r.where === "host" || r.where === "machine") && !onPath(r.command));
}
