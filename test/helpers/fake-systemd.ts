// A fake systemd manager on a private bus: StartTransientUnit as
// netevd-privileged uses it. Like systemd it answers with a job, sends
// JobRemoved once the main process runs (Type=exec) and PropertiesChanged as
// the unit's ActiveState moves, keeps the unit until Unref (AddRef=), ends the
// process group at RuntimeMaxUSec= (Result "timeout") and what is left when
// the main process exits (KillMode=control-group, here by process group; the
// package container test covers the real cgroup).
import { type ChildProcess, spawn } from "node:child_process";
import { Message, type MessageBus, MessageType, Variant } from "dbus-next";
import { constants } from "node:os";
import { unitPath as unitPathOf } from "../../src/privileged/transient-unit";
import { connect, newError } from "./dbus";

const osSignals = constants.signals as Record<string, number>;

const UNIT_PREFIX = "/org/freedesktop/systemd1/unit/";

export interface FakeUnit {
  name: string;
  /** The properties as sent, values unwrapped. */
  props: Record<string, unknown>;
  state: "activating" | "active" | "inactive" | "failed";
  result: string;
  code: number;
  status: number;
  /** Output lines, as the journal would have them under SyslogIdentifier=. */
  output: string[];
  child?: ChildProcess;
}

function unwrap(v: unknown): unknown {
  return v instanceof Variant ? v.value : v;
}

export class FakeSystemd {
  private bus: MessageBus | undefined;
  readonly units = new Map<string, FakeUnit>();
  /** Every unit ever started, in order. */
  readonly started: FakeUnit[] = [];
  private jobs = 0;
  private stopped = false;

  constructor(private readonly address: string) {}

  async start(): Promise<void> {
    const bus = connect({ busAddress: this.address });
    this.bus = bus;
    bus.addMethodHandler((msg: Message) => this.handle(bus, msg));
    await bus.requestName("org.freedesktop.systemd1", 0);
  }

  stop(): void {
    this.stopped = true; // units ending from here on signal nothing: the bus is gone
    for (const u of this.units.values()) if (u.child?.pid) killGroup(u.child.pid, "SIGKILL");
    this.bus?.disconnect();
  }

  private byPath(path: string): FakeUnit | undefined {
    return [...this.units.values()].find((u) => unitPathOf(u.name) === path);
  }

  private handle(bus: MessageBus, msg: Message): boolean {
    if (this.stopped) return true; // a reply now would be written to a closed stream
    if (msg.type !== MessageType.METHOD_CALL) return false;
    const reply = (sig = "", body: unknown[] = []) => bus.send(Message.newMethodReturn(msg, sig, body));
    if (msg.member === "Subscribe") reply();
    else if (msg.member === "StartTransientUnit") {
      const [name, , props] = msg.body as [string, string, [string, unknown][]];
      if (this.units.has(name)) {
        bus.send(newError(msg, "org.freedesktop.systemd1.UnitExists", `Unit ${name} was already loaded`));
        return true;
      }
      const unit: FakeUnit = {
        name,
        props: Object.fromEntries(props.map(([k, v]) => [k, unwrap(v)])),
        state: "activating",
        result: "success",
        code: 0,
        status: 0,
        output: [],
      };
      this.units.set(name, unit);
      this.started.push(unit);
      const job = `/org/freedesktop/systemd1/job/${++this.jobs}`;
      reply("o", [job]);
      this.run(bus, unit, this.jobs, job);
    } else if (msg.member === "Get" && msg.path?.startsWith(UNIT_PREFIX)) {
      const unit = this.byPath(msg.path);
      if (!unit) {
        bus.send(newError(msg, "org.freedesktop.systemd1.NoSuchUnit", "no such unit"));
        return true;
      }
      const [, prop] = msg.body as [string, string];
      const values: Record<string, Variant> = {
        ActiveState: new Variant("s", unit.state),
        Result: new Variant("s", unit.result),
        ExecMainCode: new Variant("i", unit.code),
        ExecMainStatus: new Variant("i", unit.status),
      };
      reply("v", [values[prop] ?? new Variant("s", "")]);
    } else if (msg.member === "Unref" && msg.path?.startsWith(UNIT_PREFIX)) {
      const unit = this.byPath(msg.path);
      if (unit && (unit.state === "inactive" || unit.state === "failed")) this.units.delete(unit.name);
      reply();
    } else return false;
    return true;
  }

  private changed(bus: MessageBus, unit: FakeUnit, state: FakeUnit["state"]): void {
    unit.state = state;
    if (this.stopped) return;
    bus.send(
      new Message({
        type: MessageType.SIGNAL,
        path: unitPathOf(unit.name),
        interface: "org.freedesktop.DBus.Properties",
        member: "PropertiesChanged",
        signature: "sa{sv}as",
        body: ["org.freedesktop.systemd1.Unit", { ActiveState: new Variant("s", state) }, []],
      }),
    );
  }

  private jobRemoved(bus: MessageBus, id: number, job: string, unit: string, result: string): void {
    if (this.stopped) return;
    bus.send(
      new Message({
        type: MessageType.SIGNAL,
        path: "/org/freedesktop/systemd1",
        interface: "org.freedesktop.systemd1.Manager",
        member: "JobRemoved",
        signature: "uoss",
        body: [id, job, unit, result],
      }),
    );
  }

  private run(bus: MessageBus, unit: FakeUnit, id: number, job: string): void {
    const p = unit.props;
    const [[path, given]] = p.ExecStart as [string, string[], boolean][] as [[string, string[], boolean]];
    const env = Object.fromEntries(
      ((p.Environment as string[]) ?? []).map((kv) => [
        kv.slice(0, kv.indexOf("=")),
        kv.slice(kv.indexOf("=") + 1),
      ]),
    );
    const argv = expandLikeSystemd(given, env);
    // NetworkNamespacePath=: systemd joins the namespace before exec, as nsenter does.
    const netns = typeof p.NetworkNamespacePath === "string" ? p.NetworkNamespacePath : undefined;
    const [file, args] = netns
      ? ["nsenter", [`--net=${netns}`, "--", path, ...argv.slice(1)]]
      : [path, argv.slice(1)];
    const child = spawn(file, args, {
      env,
      cwd: typeof p.WorkingDirectory === "string" ? p.WorkingDirectory : "/",
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    unit.child = child;
    const lines = (d: Buffer) => unit.output.push(...d.toString().split("\n").filter(Boolean));
    child.stdout?.on("data", lines);
    child.stderr?.on("data", lines);
    const maxMs = Number((p.RuntimeMaxUSec as bigint | undefined) ?? 0n) / 1000;
    const graceMs = Number((p.TimeoutStopUSec as bigint | undefined) ?? 5_000_000n) / 1000;
    let timedOut = false;
    const timer =
      maxMs > 0
        ? setTimeout(() => {
            timedOut = true;
            if (child.pid) killGroup(child.pid, "SIGTERM");
            setTimeout(() => child.pid && killGroup(child.pid, "SIGKILL"), graceMs).unref();
          }, maxMs)
        : undefined;
    child.once("spawn", () => {
      this.jobRemoved(bus, id, job, unit.name, "done");
      this.changed(bus, unit, "active");
    });
    child.once("error", () => {
      unit.result = "exit-code";
      unit.code = 1;
      unit.status = 203; // EXIT_EXEC
      this.jobRemoved(bus, id, job, unit.name, "failed");
      this.changed(bus, unit, "failed");
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (child.pid) killGroup(child.pid, "SIGTERM"); // what the main process left behind
      if (timedOut) unit.result = "timeout";
      else if (signal) unit.result = "signal";
      else if (code !== 0) unit.result = "exit-code";
      unit.code = signal ? 2 : 1;
      unit.status = signal ? (osSignals[signal] ?? 0) : (code ?? 0);
      this.changed(bus, unit, unit.result === "success" ? "inactive" : "failed");
    });
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // gone
  }
}

/**
 * What systemd does to ExecStart's arguments before exec (replace_env_argv):
 * a word that is exactly $NAME becomes the variable's value split at
 * whitespace (none when unset), ${NAME} anywhere becomes its value, and $$
 * becomes $.
 */
function expandLikeSystemd(argv: string[], env: Record<string, string>): string[] {
  return argv.flatMap((word) => {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) return (env[whole[1]!] ?? "").split(/\s+/).filter(Boolean);
    return [
      word.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name?: string) =>
        name ? (env[name] ?? "") : "$",
      ),
    ];
  });
}
