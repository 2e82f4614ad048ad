// Runs one privileged hook as a transient systemd service (as `systemd-run
// --wait` does, over D-Bus): systemd gives it its own cgroup, ends the whole
// tree at RuntimeMaxSec=, logs its output under its name, and enforces the
// capabilities and writable paths the administrator granted.
import { type Message, type MessageBus, systemBus, Variant } from "dbus-next";
import { constants } from "node:os";
import { callWithTimeout, onBusLost } from "../util/dbus-call";
import { type Capability, capabilityNumber } from "../util/capabilities";

const SYSTEMD = "org.freedesktop.systemd1";
const MANAGER = { destination: SYSTEMD, path: "/org/freedesktop/systemd1", interface: `${SYSTEMD}.Manager` };
const DBUS = {
  destination: "org.freedesktop.DBus",
  path: "/org/freedesktop/DBus",
  interface: "org.freedesktop.DBus",
};
const PROPERTIES = "org.freedesktop.DBus.Properties";

export interface UnitSpec {
  /** "netevd-hook-….service". */
  name: string;
  description: string;
  path: string;
  args: string[];
  env: Record<string, string>;
  timeoutMs: number;
  graceMs: number;
  /** The journal's SYSLOG_IDENTIFIER for its output. */
  identifier: string;
  /** Extra journal fields on every line (NETEVD_LINK=…). */
  fields: Record<string, string>;
  capabilities: "all" | Capability[];
  readWritePaths: string[] | null;
  /** Run inside this network namespace (/run/netns/NAME) instead of the host's. */
  networkNamespacePath?: string;
}

export interface UnitOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** systemd's Result= ("success", "exit-code", "timeout" …). */
  result: string;
  /** Where the time went, in ms: systemd's answer to StartTransientUnit, its start job, the run, reading the result. */
  timing?: { start: number; job: number; run: number; collect: number };
}

/** systemd's object path escaping (bus_label_escape): anything but [A-Za-z0-9] becomes _xx. */
export function unitPath(name: string): string {
  const label = [...Buffer.from(name)]
    .map((b) =>
      /[A-Za-z0-9]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `_${b.toString(16).padStart(2, "0")}`,
    )
    .join("");
  return `/org/freedesktop/systemd1/unit/${label}`;
}

/**
 * systemd substitutes $NAME and ${NAME} in ExecStart's arguments from the
 * unit's environment (an unbraced one split at whitespace) and turns $$ into
 * $. Doubled, every $ reaches the hook as netevd sent it: a link named
 * "$IP4_ADDRESS_0" stays that name. (ExecStartEx's no-env-expand flag would do
 * the same from systemd 243 on.)
 */
const literal = (arg: string) => arg.replaceAll("$", "$$$$");

const usec = (ms: number) => BigInt(Math.round(ms)) * 1000n;

function properties(s: UnitSpec): [string, Variant][] {
  const v = (sig: string, value: unknown): Variant => new Variant(sig, value);
  const p: [string, Variant][] = [
    ["Description", v("s", s.description)],
    ["Type", v("s", "exec")],
    ["ExecStart", v("a(sasb)", [[s.path, [s.path, ...s.args].map(literal), false]])],
    [
      "Environment",
      v(
        "as",
        Object.entries(s.env).map(([k, val]) => `${k}=${val}`),
      ),
    ],
    ["WorkingDirectory", v("s", "/")],
    ["RuntimeMaxUSec", v("t", usec(s.timeoutMs))],
    ["TimeoutStopUSec", v("t", usec(s.graceMs))],
    ["KillMode", v("s", "control-group")],
    ["SyslogIdentifier", v("s", s.identifier)],
    ["StandardOutput", v("s", "journal")],
    ["StandardError", v("s", "journal")],
    [
      "LogExtraFields",
      v(
        "aay",
        Object.entries(s.fields).map(([k, val]) => Buffer.from(`${k}=${val}`)),
      ),
    ],
    ["CollectMode", v("s", "inactive-or-failed")],
    // Kept loaded until its result is read (then Unref), as systemd-run --wait does.
    ["AddRef", v("b", true)],
  ];
  if (s.capabilities !== "all") {
    const mask = s.capabilities.reduce((m, c) => m | (1n << BigInt(capabilityNumber(c))), 0n);
    p.push(["CapabilityBoundingSet", v("t", mask)]);
  }
  if (s.networkNamespacePath) p.push(["NetworkNamespacePath", v("s", s.networkNamespacePath)]);
  if (s.readWritePaths) {
    p.push(["ProtectSystem", v("s", "strict")]);
    p.push([
      "ReadWritePaths",
      v(
        "as",
        s.readWritePaths.map((x) => `-${x}`),
      ),
    ]);
  }
  return p;
}

const CLD_EXITED = 1;

function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, num]) => num === n)?.[0] ?? `signal ${n}`;
}

interface Waiter {
  jobRemoved: boolean;
  /** When the start job ended (the unit runs), and when a change of it was last seen. */
  jobAt?: number;
  changedAt?: number;
  finish: () => void;
}

export class TransientUnits {
  private bus: MessageBus | undefined;
  private connecting: Promise<MessageBus> | undefined;
  /** Unit name → the run waiting for it to end. */
  private readonly waiting = new Map<string, Waiter>();
  /** Object path → unit name. */
  private readonly byPath = new Map<string, string>();

  constructor(private readonly connect: () => MessageBus = systemBus) {}

  private ready(): Promise<MessageBus> {
    this.connecting ??= this.open().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  private async open(): Promise<MessageBus> {
    const bus = this.connect();
    onBusLost(bus, () => {
      if (this.bus === bus) this.bus = undefined;
      this.connecting = undefined;
    });
    bus.on("message", (m: Message) => this.onMessage(m));
    for (const rule of [
      `type='signal',sender='${SYSTEMD}',interface='${MANAGER.interface}',member='JobRemoved'`,
      `type='signal',sender='${SYSTEMD}',interface='${PROPERTIES}',member='PropertiesChanged',path_namespace='/org/freedesktop/systemd1/unit'`,
    ])
      await callWithTimeout(bus, { ...DBUS, member: "AddMatch", signature: "s", body: [rule] });
    await callWithTimeout(bus, { ...MANAGER, member: "Subscribe" });
    this.bus = bus;
    return bus;
  }

  private onMessage(m: Message): void {
    if (m.member === "JobRemoved" && m.interface === MANAGER.interface) {
      const unit = (m.body as [number, string, string, string])[2];
      const w = this.waiting.get(unit);
      if (w) {
        w.jobRemoved = true;
        w.jobAt ??= performance.now();
        w.changedAt = performance.now();
        w.finish();
      }
    } else if (m.member === "PropertiesChanged" && m.path) {
      const unit = this.byPath.get(m.path);
      const w = unit === undefined ? undefined : this.waiting.get(unit);
      if (w) {
        w.changedAt = performance.now();
        w.finish();
      }
    }
  }

  private async get(bus: MessageBus, path: string, iface: string, name: string): Promise<unknown> {
    const [value] = await callWithTimeout(bus, {
      destination: SYSTEMD,
      path,
      interface: PROPERTIES,
      member: "Get",
      signature: "ss",
      body: [iface, name],
    });
    return (value as Variant).value;
  }

  /** Starts the unit and resolves when it has ended. */
  async run(spec: UnitSpec): Promise<UnitOutcome> {
    const bus = await this.ready();
    const t0 = performance.now();
    let startedAt = t0;
    const path = unitPath(spec.name);
    let checking = false;
    let again = false;
    let settle!: (o: UnitOutcome) => void;
    let fail!: (e: Error) => void;
    const outcome = new Promise<UnitOutcome>((res, rej) => {
      settle = res;
      fail = rej;
    });
    // It may fail while StartTransientUnit is still awaited: handled below, not unhandled now.
    outcome.catch(() => undefined);
    // Once the start job is gone, any state change may be the end: read it.
    const check = async () => {
      // Asked together: one round trip to systemd, not four (the hook's caller waits for this).
      const service = `${SYSTEMD}.Service`;
      const [active, res, mainCode, mainStatus] = await Promise.all([
        this.get(bus, path, `${SYSTEMD}.Unit`, "ActiveState"),
        this.get(bus, path, service, "Result"),
        this.get(bus, path, service, "ExecMainCode"),
        this.get(bus, path, service, "ExecMainStatus"),
      ]);
      const state = String(active);
      if (state !== "inactive" && state !== "failed") return false;
      const result = String(res);
      const code = Number(mainCode);
      const status = Number(mainStatus);
      const exited = code === CLD_EXITED;
      const now = performance.now();
      const job = waiter.jobAt ?? now;
      const end = waiter.changedAt ?? now;
      settle({
        result,
        timedOut: result === "timeout",
        exitCode: exited && result !== "timeout" ? status : null,
        signal: !exited && code !== 0 ? signalName(status) : null,
        timing: { start: startedAt - t0, job: job - t0, run: end - job, collect: now - end },
      });
      return true;
    };
    const waiter: Waiter = {
      jobRemoved: false,
      finish: () => {
        if (!waiter.jobRemoved) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        const loop = async (): Promise<void> => {
          again = false;
          if ((await check()) || !again) return;
          return loop();
        };
        loop()
          .catch((e: Error) => fail(e))
          .finally(() => (checking = false));
      },
    };
    this.waiting.set(spec.name, waiter);
    this.byPath.set(path, spec.name);
    try {
      await callWithTimeout(bus, {
        ...MANAGER,
        member: "StartTransientUnit",
        signature: "ssa(sv)a(sa(sv))",
        body: [spec.name, "fail", properties(spec), []],
      });
      startedAt = performance.now();
      // A watchdog beyond systemd's own limit: never wait forever on a lost signal.
      const limit = setTimeout(
        () => fail(new Error(`no end of ${spec.name} seen`)),
        spec.timeoutMs + spec.graceMs + 10_000,
      );
      try {
        return await outcome;
      } finally {
        clearTimeout(limit);
      }
    } finally {
      this.waiting.delete(spec.name);
      this.byPath.delete(path);
      callWithTimeout(bus, {
        destination: SYSTEMD,
        path,
        interface: `${SYSTEMD}.Unit`,
        member: "Unref",
      }).catch(
        () => undefined, // already collected
      );
    }
  }

  close(): void {
    this.bus?.disconnect();
    this.bus = undefined;
    this.connecting = undefined;
  }
}
