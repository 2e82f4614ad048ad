// D-Bus method calls with a timeout (dbus-next's call() has none) and errors
// kept as named D-Bus errors.
import type { MessageBus } from "dbus-next";
import { DBusTimeoutError } from "../errors";
import { lazy } from "./lazy";

// Loaded on the first connection: a host whose backend and pushes need no bus
// (backend none, no DNS push) never holds the D-Bus library (docs/benchmarks.md).
const dbusNext = lazy(() => require("dbus-next") as typeof import("dbus-next"));

/** A new connection to the system bus. */
export function systemBus(): MessageBus {
  return dbusNext().systemBus();
}

export interface CallSpec {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

const DEFAULT_CALL_TIMEOUT_MS = 5000;

export async function callWithTimeout(
  bus: MessageBus,
  spec: CallSpec,
  timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
): Promise<unknown[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DBusTimeoutError(`${spec.interface}.${spec.member} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  // A connection that fails ends the call at once: its timer would otherwise
  // keep a short-lived command (netevd validate, with no system bus) alive.
  let off = () => undefined as void;
  const lost = new Promise<never>((_, reject) => {
    off = whenLost(bus, (why) => reject(new Error(why)));
  });
  lost.catch(() => undefined); // settled by the race, or never
  try {
    const reply = await Promise.race([bus.call(new (dbusNext().Message)(spec)), timeout, lost]);
    return (reply?.body ?? []) as unknown[];
  } finally {
    clearTimeout(timer);
    off();
  }
}

/** The calls waiting on each bus for its loss: one pair of listeners per bus, however many calls. */
const waiting = new WeakMap<MessageBus, Set<(why: string) => void>>();

function whenLost(bus: MessageBus, f: (why: string) => void): () => void {
  let calls = waiting.get(bus);
  if (!calls) {
    const all = new Set<(why: string) => void>();
    calls = all;
    waiting.set(bus, all);
    onBusLost(bus, (why) => {
      for (const g of [...all]) g(why);
      all.clear();
    });
  }
  const set = calls;
  set.add(f);
  return () => set.delete(f);
}

/** The D-Bus error name of a failed call ("org.freedesktop.resolve1.LinkBusy"), if it has one. */
export function dbusErrorName(err: unknown): string | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === "string" ? type : undefined;
}

/**
 * Calls `lost` once when the connection fails or the bus closes it. dbus-next
 * reports stream errors as "error" but an orderly close (the bus daemon
 * exiting) only as "end" on its internal connection. Returns what stops it.
 */
export function onBusLost(bus: MessageBus, lost: (why: string) => void): () => void {
  let done = false;
  const once = (why: string) => {
    if (done) return;
    done = true;
    lost(why);
  };
  const onError = (err: Error) => once(err.message);
  const onEnd = () => once("the bus closed the connection");
  bus.on("error", onError);
  const conn = (bus as unknown as { _connection?: NodeJS.EventEmitter })._connection;
  conn?.on("end", onEnd);
  /** Stops listening (a call that settled). */
  return () => {
    bus.removeListener("error", onError);
    conn?.removeListener("end", onEnd);
  };
}

/**
 * The calls of `work`, given up as soon as the connection fails: a bus that
 * is not there (no socket) fails the connection at once, while its pending
 * calls would each wait for their timeout.
 */
export function whileConnected<T>(bus: MessageBus, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    onBusLost(bus, (why) => reject(new Error(why)));
    work.then(resolve, reject);
  });
}
