// netevd-privileged.service: root's side. It takes one request per connection
// from the daemon, decides from the root-owned configuration alone whether the
// named script is one the administrator marked privileged, checks that only
// root can change it, and has systemd run it as a transient unit. Everything
// the daemon sends is treated as hostile (netevd-scripts.7, PRIVILEGED HOOKS).
import { lstatSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { posix } from "node:path";
import { loadConfigBytes, loadConfigFile } from "../config/load";
import { MAX_CONFIG_BYTES } from "../config/yaml-source";
import { readRegularFile } from "../util/read-regular";
import { grants, scriptDirectories } from "../config/script-styles";
import { getLogger } from "../log/logger";
import { isIgnoredName, KILL_GRACE_MS, SCRIPT_PATH } from "../config/script-rules";
import { compileNamespaceMatcher, NETNS_DIR } from "../config/netns-name";
import type { Config } from "../config/schema";
import type { NativeBinding } from "../native/binding";
import { NETLINK_ROUTE } from "../netlink/constants";
import {
  MAX_REQUEST_BYTES,
  type NetnsSocketReply,
  type PrivilegedReply,
  type PrivilegedRequest,
  parseRequest,
} from "./request";
import { secureConfig, secureExecutable } from "./secure-path";
import { finish, listenDoor, serveDoor, socketFd } from "../util/request-door";
import type { UnitOutcome, UnitSpec } from "./transient-unit";

const MAX_IN_FLIGHT = 64;
const MAX_CONNECTIONS = 256;
/** Connections one uid may hold at once (the daemon needs at most MAX_IN_FLIGHT and a few sockets). */
const MAX_PER_UID = 96;

export interface ExecutorOptions {
  configPath: string;
  configExplicit: boolean;
  units: { run(spec: UnitSpec): Promise<UnitOutcome> };
  /** The executor's own environment, for LANG and TZ. */
  parentEnv?: NodeJS.ProcessEnv;
  /** Peer credentials, and netlink sockets inside watched namespaces. */
  binding: NativeBinding;
}

type Authorized = { spec: UnitSpec } | { refused: string };
type Loaded = { config: Config } | { refused: string };

export class PrivilegedExecutor {
  private seq = 0;
  private inFlight = 0;
  private readonly log = getLogger("privileged");
  /**
   * The last configuration parsed, by its bytes: each request reads the file
   * again (and checks its path), but the same bytes are not parsed again (a
   * privileged hook waits for this; the schema is slow without a JIT).
   */
  private last: { bytes: Buffer; loaded: Loaded } | undefined;

  constructor(private readonly opts: ExecutorOptions) {}

  /** The root-owned configuration as it is on disk now. */
  private config(): Loaded {
    const file = this.opts.configPath;
    const secure = secureConfig(file);
    if ("refused" in secure) {
      const missing = /ENOENT$/.test(secure.refused) && !this.opts.configExplicit;
      return { refused: missing ? `no configuration (${file}): nothing is allowed` : secure.refused };
    }
    let bytes: Buffer;
    try {
      bytes = readRegularFile(file, MAX_CONFIG_BYTES);
    } catch {
      // Said as the loader says it (no such file, not a regular file …).
      return this.judged(loadConfigFile(file, this.opts.configExplicit).config);
    }
    if (this.last?.bytes.equals(bytes)) return this.last.loaded;
    const loaded = this.judged(loadConfigBytes(file, bytes).config);
    this.last = { bytes, loaded };
    return loaded;
  }

  private judged(config: Config | undefined): Loaded {
    return config
      ? { config }
      : { refused: `${this.opts.configPath} has errors: nothing runs until netevd validate passes` };
  }

  /** Whether the configuration watches this namespace (monitoring.namespaces). */
  private watched(c: Config, name: string): string | undefined {
    return compileNamespaceMatcher(c.monitoring.namespaces)(name)
      ? undefined
      : `namespace ${JSON.stringify(name)} is not in monitoring.namespaces of ${this.opts.configPath}`;
  }

  authorize(req: PrivilegedRequest): Authorized {
    const loaded = this.config();
    if ("refused" in loaded) return loaded;
    const c = loaded.config;
    const file = this.opts.configPath;
    const d = scriptDirectories(c).find((x) => x.paths.join(":") === req.directory);
    if (!d) return { refused: `${req.directory} is not a script directory in ${file}` };
    if (!d.privilege) return { refused: `${req.directory} is not marked privileged in ${file}` };
    const parts = req.script.split("/");
    const [sub, name] = parts.length === 2 ? parts : ["", parts[0] ?? ""];
    const layoutOk =
      parts.length <= 2 &&
      !!name &&
      !isIgnoredName(name) &&
      (d.style === "nm-dispatcher" ? sub === "" || sub === "no-wait.d" : /^[a-z0-9-]+\.d$/.test(sub ?? ""));
    if (!layoutOk)
      return { refused: `${JSON.stringify(req.script)} is not a script name of a ${d.style} directory` };
    if (!grants(d.privilege, req.script))
      return { refused: `${req.script} is not among the privileged scripts of ${req.directory}` };
    // The first directory holding the name wins, as when netevd lists them.
    const path = d.paths.map((p) => posix.join(p, req.script)).find((p) => exists(p));
    if (!path) return { refused: `no ${req.script} in ${req.directory}` };
    const safe = secureExecutable(path);
    if ("refused" in safe) return { refused: safe.refused };
    // Entering the link's namespace is the configuration's choice, never the request's.
    let netnsPath: string | undefined;
    if (req.netns && d.privilege.namespace === "link") {
      const why = this.watched(c, req.netns);
      if (why) return { refused: why };
      netnsPath = posix.join(NETNS_DIR, req.netns);
    }
    const parent = this.opts.parentEnv ?? process.env;
    const env: Record<string, string> = { PATH: SCRIPT_PATH, HOME: "/root", USER: "root", LOGNAME: "root" };
    for (const k of ["LANG", "TZ"]) if (parent[k]) env[k] = parent[k];
    return {
      spec: {
        name: `netevd-hook-${process.pid}-${++this.seq}.service`,
        description: `netevd privileged hook ${path} (${req.event} on ${req.link})`,
        path,
        args: req.args,
        env: { ...req.env, ...env },
        timeoutMs: c.scripts.timeout,
        graceMs: KILL_GRACE_MS,
        identifier: posix.basename(path),
        fields: { NETEVD_SCRIPT: path, NETEVD_LINK: req.link, NETEVD_EVENT: req.event },
        capabilities: d.privilege.capabilities,
        readWritePaths: d.privilege.readWritePaths,
        ...(netnsPath ? { networkNamespacePath: netnsPath } : {}),
      },
    };
  }

  /**
   * A netlink socket of a watched namespace, opened here (setns needs
   * CAP_SYS_ADMIN, which the daemon never has). It carries this process's
   * credentials, without CAP_NET_ADMIN: through it the daemon can read the
   * namespace's state and follow its changes, never change them.
   */
  netnsSocket(name: string): { fd: number } | { refused: string } {
    const loaded = this.config();
    if ("refused" in loaded) return loaded;
    const why = this.watched(loaded.config, name);
    if (why) return { refused: why };
    try {
      return { fd: this.opts.binding.openNetlinkIn(posix.join(NETNS_DIR, name), NETLINK_ROUTE) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const what = code === "ENOENT" ? "no such namespace" : code === "EINVAL" ? "not a namespace" : code;
      return { refused: `${posix.join(NETNS_DIR, name)}: ${what ?? (err as Error).message}` };
    }
  }

  /** `who`: the peer as the kernel named it, for the log. */
  async handle(line: string, who: string): Promise<PrivilegedReply> {
    const req = parseRequest(line);
    if ("refused" in req) return this.refuse(req.refused, who);
    if ("netns_socket" in req) return this.refuse("a netns_socket request is answered with an fd", who);
    const t0 = performance.now();
    let auth: Authorized;
    try {
      auth = this.authorize(req);
    } catch (err) {
      auth = { refused: `cannot check it: ${(err as Error).message}` }; // e.g. a file changing under it
    }
    if ("refused" in auth) return this.refuse(auth.refused, who, req);
    const { spec } = auth;
    this.log.info(`running ${spec.path} as root in ${spec.name}`, {
      link: req.link,
      event: req.event,
      // The script's own name, as the daemon logs it (the request says "routable.d/NAME").
      script: posix.basename(spec.path),
    });
    if (req.dropped)
      this.log.warn(`${spec.path}: left out ${req.dropped.join(", ")}: control characters in the value`);
    const checked = performance.now();
    try {
      const o = await this.opts.units.run(spec);
      const t = o.timing;
      if (t)
        this.log.debug(
          `${spec.path} in ${spec.name}: ${(performance.now() - t0).toFixed(1)} ms: checks ${(checked - t0).toFixed(1)}, StartTransientUnit ${t.start.toFixed(1)}, its start job ${(t.job - t.start).toFixed(1)}, the run ${t.run.toFixed(1)}, reading the result ${t.collect.toFixed(1)}`,
          {
            NETEVD_TIMING_CHECKS: (checked - t0).toFixed(2),
            NETEVD_TIMING_START: t.start.toFixed(2),
            NETEVD_TIMING_JOB: (t.job - t.start).toFixed(2),
            NETEVD_TIMING_RUN: t.run.toFixed(2),
            NETEVD_TIMING_COLLECT: t.collect.toFixed(2),
          },
        );
      return { ok: true, unit: spec.name, exitCode: o.exitCode, signal: o.signal, timedOut: o.timedOut };
    } catch (err) {
      return this.refuse(`systemd did not run it: ${(err as Error).message}`, who, req);
    }
  }

  /** The answer line goes with the fd in one sendmsg; a refusal is a plain line. */
  private sendNetnsSocket(sock: Socket, name: string, who: string): void {
    const r = this.netnsSocket(name);
    const answer = (reply: NetnsSocketReply) => Buffer.from(`${JSON.stringify(reply)}\n`);
    if ("refused" in r) {
      this.log.warn(`refused a socket in namespace ${name} (from ${who}): ${r.refused}`);
      finish(sock, answer({ ok: false, refused: r.refused }));
      return;
    }
    const fd = socketFd(sock);
    try {
      if (fd === undefined) throw new Error("the connection has no fd");
      this.opts.binding.sendWithFd(fd, answer({ ok: true, netns: name }), r.fd);
      this.log.debug(`handed over a netlink socket in namespace ${name}`);
    } catch (err) {
      this.log.warn(`could not hand over a socket in namespace ${name}: ${(err as Error).message}`);
    } finally {
      this.opts.binding.closeFd(r.fd);
    }
    finish(sock);
  }

  private refuse(why: string, who: string, req?: PrivilegedRequest): PrivilegedReply {
    this.log.warn(`refused${req ? ` ${req.directory} ${req.script}` : ""} (from ${who}): ${why}`);
    return { ok: false, refused: why };
  }

  /** Serves connections: one request line in, one reply line out, then the connection ends. */
  serve(server: Server): void {
    serveDoor(server, {
      binding: this.opts.binding,
      log: this.log,
      allowed: (uid) => this.peerAllowed(uid),
      maxRequestBytes: MAX_REQUEST_BYTES,
      maxConnections: MAX_CONNECTIONS,
      maxPerUid: MAX_PER_UID,
      refusal: (why) => `${JSON.stringify({ ok: false, refused: why })}\n`,
      request: (line, sock, who) => this.request(line, sock, who),
    });
  }

  /**
   * Who may ask: root and the daemon's user (system.user of the configuration
   * on disk), as the kernel names the peer. Anyone else in the socket's group
   * is refused before a byte is read.
   */
  private peerAllowed(uid: number): string | undefined {
    if (uid === 0) return undefined;
    const loaded = this.config();
    if ("refused" in loaded) return loaded.refused;
    const user = loaded.config.system.user;
    const entry = this.opts.binding.lookupUser(user);
    return entry?.uid === uid ? undefined : `uid ${uid} is neither root nor the daemon's user (${user})`;
  }

  private request(line: string, sock: Socket, who: string): void {
    const reply = (r: PrivilegedReply) => finish(sock, `${JSON.stringify(r)}\n`);
    if (this.inFlight >= MAX_IN_FLIGHT) {
      reply(this.refuse(`more than ${MAX_IN_FLIGHT} hooks at once`, who));
      return;
    }
    const parsed = parseRequest(line);
    if (!("refused" in parsed) && "netns_socket" in parsed) {
      this.sendNetnsSocket(sock, parsed.netns_socket, who);
      return;
    }
    this.inFlight++;
    // handle() answers every failure with a refusal; it never rejects.
    void this.handle(line, who)
      .then(reply)
      .finally(() => this.inFlight--);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A server on systemd's socket (LISTEN_FDS) or, for tests, on a path of its own. */
export function executorServer(listenPath?: string): Promise<Server> {
  return listenDoor(
    createServer({ allowHalfOpen: true }),
    listenPath,
    "no socket: start netevd-privileged.socket, or give --listen PATH",
  );
}
