// Started as root: become system.user keeping only CAP_NET_ADMIN; then the
// ambient set scripts get. A dry run by an unprivileged user goes on without.
import type { Config } from "../config/schema";
import { EXIT, FatalError } from "../errors";
import { getLogger } from "../log/logger";
import type { NativeBinding } from "../native/binding";
import { dropPrivileges, grantScriptCapabilities } from "../system/privileges";

const log = getLogger("daemon");

export function becomeDaemonUser(binding: NativeBinding, c: Config, dryRun: boolean): void {
  const uid = process.getuid?.() ?? 0;
  try {
    dropPrivileges(binding, { user: c.system.user, keep: ["CAP_NET_ADMIN"], log });
    grantScriptCapabilities(binding, c.scripts.ambient_capabilities, log);
  } catch (err) {
    const denied = err instanceof FatalError && err.exitCode === EXIT.NOPERM;
    if (denied && dryRun && uid !== 0) {
      log.warn(`dry run without privileges: ${err.message}`);
      return;
    }
    throw denied ? err : new FatalError(`dropping privileges failed: ${(err as Error).message}`, EXIT.NOPERM);
  }
}
