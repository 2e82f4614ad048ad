// Started as root → the configured user with only the kept
// capabilities (CAP_NET_ADMIN); started unprivileged with ambient capabilities
// (systemd's AmbientCapabilities=) → keep them for the daemon itself. In every
// case the ambient and inheritable sets are cleared, so scripts get nothing
// unless scripts.ambient_capabilities asks.
import { EXIT, FatalError } from "../errors";
import type { Logger } from "../log/logger";
import { isNativeError, type NativeBinding } from "../native/binding";
import { CAPABILITIES, type Capability, capabilityNumber } from "../util/capabilities";

const permissionDenied = (message: string) => new FatalError(message, EXIT.NOPERM);

function capabilityMask(caps: readonly Capability[]): bigint {
  return caps.reduce((m, c) => m | (1n << BigInt(capabilityNumber(c))), 0n);
}

function capabilityNames(mask: bigint): Capability[] {
  return CAPABILITIES.filter((c) => mask & (1n << BigInt(capabilityNumber(c))));
}

export interface DropOptions {
  user: string;
  keep: readonly Capability[];
  log: Logger;
  uid?: number;
}

export interface DropOutcome {
  switchedTo?: { user: string; uid: number; gid: number };
  kept: Capability[];
}

export function dropPrivileges(b: NativeBinding, opts: DropOptions): DropOutcome {
  const keep = capabilityMask(opts.keep);
  const uid = opts.uid ?? process.getuid?.() ?? -1;
  let switchedTo: DropOutcome["switchedTo"];
  if (uid === 0 && opts.user !== "root") {
    const entry = b.lookupUser(opts.user);
    if (!entry)
      throw permissionDenied(
        `system.user "${opts.user}" does not exist (create it, e.g. with systemd-sysusers)`,
      );
    // Scripts later exec'd via setuid binaries cannot regain what the bounding set lacks.
    for (const cap of CAPABILITIES)
      if (!(keep & (1n << BigInt(capabilityNumber(cap))))) b.boundingDrop(capabilityNumber(cap));
    b.setKeepCaps(true);
    b.switchUser(opts.user, entry.uid, entry.gid);
    b.setKeepCaps(false);
    switchedTo = { user: opts.user, uid: entry.uid, gid: entry.gid };
  }
  const have = b.getCapabilities();
  const missing = keep & ~have.permitted;
  if (missing) {
    throw permissionDenied(
      `netevd needs ${capabilityNames(missing).join(", ")} (run it as root or with AmbientCapabilities=CAP_NET_ADMIN)`,
    );
  }
  b.ambientClearAll();
  try {
    b.setCapabilities(keep, keep, 0n);
  } catch (err) {
    // Under the unit's seccomp filter (~@privileged) capset is refused; the
    // sets are then already what the unit gave: the kept capabilities, and an
    // inheritable set that nothing can use once the ambient set is empty and
    // NoNewPrivileges blocks file capabilities.
    const now = b.getCapabilities();
    if (!isNativeError(err, "EPERM") || now.effective !== keep || now.permitted !== keep) throw err;
    opts.log.debug("capset refused by the service's system call filter; sets already minimal");
  }
  const kept = capabilityNames(b.getCapabilities().effective);
  opts.log.info(
    switchedTo
      ? `running as ${switchedTo.user} (uid ${switchedTo.uid}) with ${kept.join(", ") || "no capabilities"}`
      : `keeping ${kept.join(", ") || "no capabilities"}; ambient set cleared`,
  );
  return { ...(switchedTo ? { switchedTo } : {}), kept };
}

/**
 * Raises the ambient capabilities scripts should inherit (scripts.ambient_capabilities).
 * A capability the daemon itself lacks cannot be given: it is reported and skipped.
 */
export function grantScriptCapabilities(
  b: NativeBinding,
  caps: readonly Capability[],
  log: Logger,
): Capability[] {
  b.ambientClearAll();
  if (caps.length === 0) return [];
  const have = b.getCapabilities();
  const wanted = capabilityMask(caps);
  const grantable = wanted & have.permitted;
  for (const c of capabilityNames(wanted & ~grantable))
    log.warn(`cannot give scripts ${c}: netevd does not have it`);
  b.setCapabilities(have.effective, have.permitted, grantable);
  const granted = capabilityNames(grantable);
  for (const c of granted) b.ambientRaise(capabilityNumber(c));
  return granted;
}
