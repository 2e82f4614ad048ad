// `netevd hook-runner`: runs the daemon's hooks as a user of their own
// (netevd-hooks@USER.service), so a hook can reach neither the daemon's
// sockets nor the daemon itself. One request per connection from root or the
// daemon's user; each output line goes back as it comes, then the result. A
// daemon that goes away ends the hook at once.
import { statSync } from "node:fs";
import { userInfo } from "node:os";
import type { Server, Socket } from "node:net";
import { getLogger } from "../log/logger";
import type { NativeBinding } from "../native/binding";
import { finish, serveDoor } from "../util/request-door";
import type { KillScope } from "./cgroup";
import { type HookAnswer, MAX_HOOK_REQUEST_BYTES, parseHookRequest } from "./hook-request";
import { LocalRuns } from "./local-runs";

const MAX_IN_FLIGHT = 64;
const MAX_CONNECTIONS = 256;
const MAX_PER_UID = 96;
/** Output waiting for a daemon that reads slowly: beyond this, lines are left out. */
const MAX_PENDING_BYTES = 1024 * 1024;

interface HookRunnerOptions {
  binding: NativeBinding;
  /** The daemon's user: with root, the only peer served. */
  daemonUid: number;
  daemonUser: string;
  killScope: KillScope;
}

export class HookRunner {
  private readonly log = getLogger("hooks");
  private readonly local: LocalRuns;
  private inFlight = 0;
  /** Who the hooks run as: their HOME, USER and LOGNAME. */
  private readonly me = userInfo();

  constructor(private readonly opts: HookRunnerOptions) {
    this.local = new LocalRuns({ binding: opts.binding, killScope: opts.killScope });
  }

  serve(server: Server): void {
    serveDoor(server, {
      binding: this.opts.binding,
      log: this.log,
      allowed: (uid) =>
        uid === 0 || uid === this.opts.daemonUid
          ? undefined
          : `uid ${uid} is neither root nor the daemon's user (${this.opts.daemonUser})`,
      maxRequestBytes: MAX_HOOK_REQUEST_BYTES,
      maxConnections: MAX_CONNECTIONS,
      maxPerUid: MAX_PER_UID,
      refusal: (why) => answer({ refused: why }),
      request: (line, sock, who) => void this.request(line, sock, who),
    });
  }

  private async request(line: string, sock: Socket, who: string): Promise<void> {
    const req = parseHookRequest(line);
    const why =
      "refused" in req
        ? req.refused
        : this.inFlight >= MAX_IN_FLIGHT
          ? `more than ${MAX_IN_FLIGHT} hooks at once`
          : unsafeFile(req.path);
    if (why !== undefined || "refused" in req) {
      this.log.warn(`refused a request from ${who}: ${why}`);
      finish(sock, answer({ refused: why ?? "" }));
      return;
    }
    this.inFlight++;
    // The daemon gone (its end closed), or more than its one request: the hook ends now.
    const aborted = new AbortController();
    sock.once("close", () => aborted.abort());
    sock.once("end", () => aborted.abort());
    sock.on("data", () => sock.destroy());
    sock.resume();
    let left = 0;
    const log = this.log.child({ script: req.name });
    const env = { ...req.env };
    for (const [k, v] of [
      ["HOME", this.me.homedir],
      ["USER", this.me.username],
      ["LOGNAME", this.me.username],
    ] as const)
      if (k in env) env[k] = v;
    log.debug(`running ${req.path} as ${this.me.username}`);
    try {
      const result = await this.local.run(req, {
        env,
        args: req.args,
        timeoutMs: req.timeout_ms,
        log,
        abort: aborted.signal,
        onLine: (stream, text) => {
          if (sock.writableLength > MAX_PENDING_BYTES) left++;
          else sock.write(answer({ line: text, stream }));
        },
      });
      if (left) log.warn(`${left} output line(s) left out: the daemon read them too slowly`);
      const { exitCode, signal, timedOut, spawnError } = result;
      const outputTruncated = result.outputTruncated || left > 0;
      finish(sock, answer({ result: { exitCode, signal, timedOut, outputTruncated, spawnError } }));
    } finally {
      this.inFlight--;
    }
  }

  stop(): Promise<void> {
    return this.local.stop();
  }
}

const answer = (a: HookAnswer) => `${JSON.stringify(a)}\n`;

/** Only what root alone can change runs here, as the daemon itself requires of every hook. */
function unsafeFile(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile()) return `${path} is not a regular file`;
    if (st.uid !== 0 || (st.mode & 0o022) !== 0)
      return `${path} (uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}) is not root's alone`;
    return undefined;
  } catch (err) {
    return `${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}
