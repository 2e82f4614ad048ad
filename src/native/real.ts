// Loads the node-addon-api addon. Only this module touches the .node file.
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as sea from "node:sea";
import type { NativeBinding, NetlinkHandle } from "./binding";

const ABI_VERSION = 8;

interface Addon extends Omit<NativeBinding, "openNetlink"> {
  abiVersion: number;
  NetlinkSocket: new (protocol: number, fd?: number) => NetlinkHandle;
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

const writable = (dir: string): boolean => {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

/** The addon's name among the single executable's assets (scripts/build-exe.mjs), and its hash's. */
const SEA_ASSET = "netevd_native.node";
const SEA_ASSET_HASH = "netevd_native.sha256";

/**
 * Inside the single executable the addon is an asset in memory and must be
 * written to disk before dlopen. A service user has no writable HOME,
 * so netevd picks the place itself: $PKG_NATIVE_CACHE_PATH (the unit sets
 * /var/cache/netevd), else a writable ~/.cache, else /var/cache/netevd, else a
 * fresh private directory under /tmp. The file is named by its hash and
 * rewritten when its content differs.
 */
function extractedAddon(bytes: Buffer, hash: string): string {
  const home = process.env.HOME ? join(process.env.HOME, ".cache") : undefined;
  const dir =
    [process.env.PKG_NATIVE_CACHE_PATH, home, "/var/cache/netevd"].find(
      (d): d is string => !!d && writable(d),
    ) ?? mkdtempSync(join(tmpdir(), "netevd-addon-"));
  const target = join(dir, `netevd_native-${hash}.node`);
  let current: Buffer | undefined;
  try {
    current = readFileSync(target);
  } catch {
    current = undefined;
  }
  if (!current?.equals(bytes)) {
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes, { mode: 0o644 });
    renameSync(tmp, target);
  }
  return target;
}

function loadAddon(): Addon {
  if (!sea.isSea()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(addonPath()) as Addon;
  }
  const module = { exports: {} };
  process.dlopen(
    module,
    extractedAddon(Buffer.from(sea.getRawAsset(SEA_ASSET)), sea.getAsset(SEA_ASSET_HASH, "utf8").trim()),
  );
  return module.exports as Addon;
}

let loaded: NativeBinding | undefined;

export function realBinding(): NativeBinding {
  if (loaded) return loaded;
  const addon = loadAddon();
  if (addon.abiVersion !== ABI_VERSION) {
    throw new Error(
      `native addon ABI ${addon.abiVersion}, expected ${ABI_VERSION}: rebuild it (npm run build:native)`,
    );
  }
  loaded = {
    openNetlink: (protocol, fd) =>
      fd === undefined ? new addon.NetlinkSocket(protocol) : new addon.NetlinkSocket(protocol, fd),
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
    openNetlinkIn: (path, protocol) => addon.openNetlinkIn(path, protocol),
    closeFd: (fd) => addon.closeFd(fd),
    sendWithFd: (sock, data, fd) => addon.sendWithFd(sock, data, fd),
    peerCredentials: (sock) => addon.peerCredentials(sock),
    setChildSubreaper: () => addon.setChildSubreaper(),
    pidfdOpen: (pid) => addon.pidfdOpen(pid),
    pidfdSignal: (fd, sig) => addon.pidfdSignal(fd, sig),
    pidfdReap: (fd) => addon.pidfdReap(fd),
    requestWithFd: (path, data, ms, cb) => addon.requestWithFd(path, data, ms, cb),
    spawnProcess: (file, argv, env, onExit, drop) =>
      addon.spawnProcess(file, argv, env, onExit, drop === true),
  };
  return loaded;
}
