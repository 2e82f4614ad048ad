// Loads the node-addon-api addon. Only this module touches the .node file.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { NativeBinding, NetlinkHandle } from "./binding";

const ABI_VERSION = 2;

interface Addon extends Omit<NativeBinding, "openNetlink"> {
  abiVersion: number;
  NetlinkSocket: new (protocol: number) => NetlinkHandle;
}

function addonPath(): string {
  const candidates = [
    process.env.NETEVD_NATIVE_PATH,
    join(__dirname, "..", "..", "native", "build", "Release", "netevd_native.node"),
    join(__dirname, "..", "..", "..", "native", "build", "Release", "netevd_native.node"),
  ].filter((p): p is string => typeof p === "string" && p !== "");
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      `netevd's native addon is missing (looked in ${candidates.join(", ")}); run npm run build`,
    );
  return found;
}

let loaded: NativeBinding | undefined;

export function realBinding(): NativeBinding {
  if (loaded) return loaded;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = require(addonPath()) as Addon;
  if (addon.abiVersion !== ABI_VERSION) {
    throw new Error(
      `native addon ABI ${addon.abiVersion}, expected ${ABI_VERSION}: rebuild it (npm run build:native)`,
    );
  }
  loaded = {
    openNetlink: (protocol) => new addon.NetlinkSocket(protocol),
    getCapabilities: () => addon.getCapabilities(),
    setCapabilities: (e, p, i) => addon.setCapabilities(e, p, i),
    setKeepCaps: (on) => addon.setKeepCaps(on),
    ambientClearAll: () => addon.ambientClearAll(),
    ambientRaise: (cap) => addon.ambientRaise(cap),
    ambientIsSet: (cap) => addon.ambientIsSet(cap),
    boundingDrop: (cap) => addon.boundingDrop(cap),
    lookupUser: (name) => addon.lookupUser(name),
    switchUser: (name, uid, gid) => addon.switchUser(name, uid, gid),
    notify: (path, message) => addon.notify(path, message),
    setns: (fd, type) => addon.setns(fd, type),
  };
  return loaded;
}
