// Where PATH finds a command, as execvp(3) looks: the first directory with an
// executable of that name. Relative directories are skipped (never the cwd).
import { accessSync, constants } from "node:fs";
import { join } from "node:path";

export function onPath(name: string, path: string): string | undefined {
  for (const dir of path.split(":")) {
    if (!dir.startsWith("/")) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
