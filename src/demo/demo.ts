// `netevd demo`: netevd doing its job on a real link, safely. A throwaway
// namespace with a veth pair, a hook in every event directory that prints what
// it received, the daemon running in the namespace as an unprivileged user, and
// a few `ip` commands; each event and the hook's output are printed. Everything
// is removed at the end, on an error and on Ctrl-C.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeSandbox, type Sandbox } from "./sandbox";

const LINK = "nd0";
const PEER = "nd1";
const READY_TIMEOUT_MS = 20_000;
const STEP_TIMEOUT_MS = 5_000;
/** After the expected hooks ran, how long to wait for anything else the step caused. */
const QUIET_MS = 300;

/** Each step: what the administrator types, and the events netevd then runs hooks for. */
const STEPS: { args: string[]; expect: string[] }[] = [
  { args: ["link", "set", LINK, "up"], expect: ["carrier"] },
  { args: ["address", "add", "192.0.2.10/24", "dev", LINK], expect: ["routable", "routes"] },
  { args: ["route", "add", "default", "via", "192.0.2.1", "dev", LINK], expect: ["routes", "routable"] },
  { args: ["route", "del", "default", "via", "192.0.2.1", "dev", LINK], expect: ["routes", "routable"] },
  { args: ["address", "del", "192.0.2.10/24", "dev", LINK], expect: ["carrier", "routes"] },
  { args: ["link", "set", LINK, "down"], expect: ["off"] },
];
const EVENTS = ["carrier", "routable", "routes", "off", "no-carrier", "degraded"];

// Prints the variables a hook most often reads; the whole list is in netevd-scripts(7).
const HOOK = `#!/bin/sh
# netevd demo hook: prints what it received.
echo "EVENT=$EVENT LINK=$LINK LINKINDEX=$LINKINDEX ADDRESSES='$ADDRESSES' GATEWAY='$GATEWAY'"
[ -z "$ROUTE_ACTION" ] || echo "ROUTE_ACTION=$ROUTE_ACTION ROUTE_DST=$ROUTE_DST ROUTE_GATEWAY='$ROUTE_GATEWAY' ROUTE_TABLE=$ROUTE_TABLE"
echo "ran as $(id -un), $(grep CapEff /proc/self/status | tr -s '\\t' ' '), JSON: $(printf %s "$JSON" | wc -c) bytes"
`;

export interface DemoOptions {
  /** argv that starts this same netevd (the executable, or node and the script). */
  self: string[];
  out: (text: string) => void;
  /** The user the daemon drops to (it needs no home and no login). */
  user: string;
}

interface HookLine {
  event: string;
  link: string;
  msg: string;
}

function writeSetup(dir: string, user: string): string {
  chmodSync(dir, 0o755);
  const scripts = join(dir, "scripts");
  for (const e of EVENTS) {
    mkdirSync(join(scripts, `${e}.d`), { recursive: true, mode: 0o755 });
    writeFileSync(join(scripts, `${e}.d`, "50-show"), HOOK, { mode: 0o755 });
  }
  mkdirSync(join(dir, "run"), { mode: 0o777 });
  chmodSync(join(dir, "run"), 0o777);
  const config = join(dir, "netevd.yaml");
  writeFileSync(
    config,
    [
      "system: { backend: none, user: " + JSON.stringify(user) + " }",
      `monitoring: { interfaces: [${LINK}] }`,
      `scripts: { dir: ${JSON.stringify(scripts)}, timeout: 10s }`,
      `api: { socket: ${JSON.stringify(join(dir, "run", "netevd.sock"))} }`,
      "",
    ].join("\n"),
  );
  return config;
}

/** The daemon's JSON log, line by line: hook output, and when it is ready. */
function follow(child: ChildProcess, onHook: (h: HookLine) => void, onReady: () => void): () => string {
  let buffer = "";
  let all = "";
  const take = (chunk: Buffer) => {
    buffer += chunk.toString();
    all = (all + chunk.toString()).slice(-64 * 1024);
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (rec.module === "daemon" && typeof rec.msg === "string" && rec.msg.startsWith("ready:")) onReady();
      if (rec.module === "scripts" && rec.stream === "stdout")
        onHook({ event: String(rec.event), link: String(rec.link), msg: String(rec.msg) });
    }
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  return () => all;
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.out;
  let sandbox: Sandbox | undefined;
  let daemon: ChildProcess | undefined;
  let interrupted = false;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    interrupted = true;
    wake?.();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    sandbox = makeSandbox(LINK, PEER);
    const config = writeSetup(sandbox.dir, opts.user);
    out(
      `A throwaway network namespace ${sandbox.ns} with a veth pair ${LINK}/${PEER}, and in ${sandbox.dir}:\n` +
        `  netevd.yaml (backend none, watching ${LINK}) and scripts/<event>.d/50-show, a hook that prints\n` +
        "  what it received. The host's network is not touched; all of it is removed at the end.\n\n",
    );
    const hooks: HookLine[] = [];
    let ready = false;
    const [cmd, ...args]: [string, ...string[]] = [
      "ip",
      "netns",
      "exec",
      sandbox.ns,
      ...opts.self,
      "run",
      "--config",
      config,
      "--log-format",
      "json",
    ];
    daemon = spawn(cmd, args, {
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<void>((resolve) => daemon?.once("exit", () => resolve()));
    void exited.then(() => wake?.());
    const log = follow(
      daemon,
      (h) => {
        hooks.push(h);
        wake?.();
      },
      () => {
        ready = true;
        wake?.();
      },
    );
    const until = async (done: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!done() && !interrupted && daemon?.exitCode === null && Date.now() < end) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.max(0, Math.min(100, end - Date.now())));
        });
      }
    };
    await until(() => ready, READY_TIMEOUT_MS);
    if (interrupted) return 130;
    if (!ready) {
      out(`netevd did not become ready; its log:\n${log()}\n`);
      return 1;
    }
    out(`netevd is running in ${sandbox.ns} as user ${opts.user}, keeping only CAP_NET_ADMIN.\n`);
    let printed = 0;
    const runs = (event: string) =>
      hooks.slice(printed).filter((h) => h.event === event && /^ran as /.test(h.msg));
    for (const step of STEPS) {
      out(`\n$ ip ${step.args.join(" ")}\n`);
      sandbox.ip(step.args);
      await until(
        () => step.expect.every((e) => runs(e).length >= step.expect.filter((x) => x === e).length),
        STEP_TIMEOUT_MS,
      );
      // Anything else the step caused (its lines arrive together).
      let seen = hooks.length;
      do {
        seen = hooks.length;
        await until(() => hooks.length > seen, QUIET_MS);
      } while (hooks.length > seen && !interrupted);
      if (interrupted) return 130;
      const fresh = hooks.slice(printed);
      printed = hooks.length;
      if (fresh.length === 0) out("  (no event)\n");
      let last = "";
      for (const h of fresh) {
        const head = `${h.event} on ${h.link}`;
        if (head !== last) out(`  event ${head}: the hook printed\n`);
        last = /^ran as /.test(h.msg) ? "" : head;
        out(`    ${h.msg}\n`);
      }
    }
    out("\nThat is netevd's job: every change of a link runs the administrator's scripts of that event.\n");
    return 0;
  } catch (err) {
    out(`netevd demo: ${(err as Error).message.trim()}\n`);
    return 1;
  } finally {
    // A second Ctrl-C must not cut the cleanup short: the handlers stay until it is done.
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const gone = new Promise<void>((resolve) => daemon?.once("exit", () => resolve()));
      daemon.kill("SIGTERM");
      const timer = setTimeout(() => daemon?.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(timer);
    }
    if (sandbox) {
      sandbox.remove();
      out(`Removed ${sandbox.ns} and ${sandbox.dir}.\n`);
    }
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
