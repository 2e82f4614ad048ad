// A fake native binding that tests drive: inject datagrams, errors (ENOBUFS),
// truncation; record what was sent; keep capability sets in memory. With a
// FakeKernel attached, requests are answered as the kernel would.
import { constants as osConstants } from "node:os";
import type {
  CapabilitySets,
  DatagramCallback,
  NativeBinding,
  NativeError,
  NetlinkHandle,
  UserEntry,
} from "../../src/native/binding";

function nativeError(code: string, syscall: string): NativeError {
  const errno = (osConstants.errno as Record<string, number>)[code] ?? 0;
  return Object.assign(new Error(`${syscall}: ${code}`), { code, errno: -errno, syscall });
}

/** Answers what a fake socket sends. */
export interface FakeResponder {
  handle(request: Buffer, from: FakeNetlinkHandle): void;
}

let nextFd = 1000;
let nextPort = 1;

export class FakeNetlinkHandle implements NetlinkHandle {
  readonly fd = nextFd++;
  readonly portId = nextPort++;
  readonly groups = new Set<number>();
  readonly sent: Buffer[] = [];
  receiveBuffer = 212_992;
  closed = false;
  private callback: DatagramCallback | undefined;

  constructor(
    readonly protocol: number,
    private readonly responder: FakeResponder | undefined,
  ) {}

  private check(syscall: string): void {
    if (this.closed) throw nativeError("EBADF", syscall);
  }

  joinGroup(group: number): void {
    this.check("setsockopt");
    if (group <= 0) throw nativeError("EINVAL", "setsockopt");
    this.groups.add(group);
  }
  leaveGroup(group: number): void {
    this.check("setsockopt");
    this.groups.delete(group);
  }
  setIntOption(): void {
    this.check("setsockopt");
  }
  setReceiveBuffer(bytes: number): number {
    this.check("setsockopt");
    // Linux doubles the request for bookkeeping, with a floor.
    this.receiveBuffer = Math.max(2304, bytes * 2);
    return this.receiveBuffer;
  }
  send(message: Buffer): number {
    this.check("sendto");
    this.sent.push(Buffer.from(message));
    this.responder?.handle(message, this);
    return message.length;
  }
  start(callback: DatagramCallback): void {
    this.check("uv_poll_start");
    if (this.callback) throw nativeError("EALREADY", "uv_poll_start");
    this.callback = callback;
  }
  stop(): void {
    this.callback = undefined;
  }
  close(): void {
    this.closed = true;
    this.callback = undefined;
  }

  /** Delivers datagrams as a later readiness callback would. */
  deliver(datagrams: Buffer[], truncated: number[] = []): void {
    setImmediate(() => {
      if (!this.closed) this.callback?.(null, datagrams, truncated);
    });
  }
  /** Delivers an error (e.g. ENOBUFS) as the next readiness callback. */
  deliverError(code: string): void {
    setImmediate(() => {
      if (!this.closed) this.callback?.(nativeError(code, "recv"), [], []);
    });
  }
}

export class FakeBinding implements NativeBinding {
  readonly sockets: FakeNetlinkHandle[] = [];
  caps: CapabilitySets = { effective: 0n, permitted: 0n, inheritable: 0n };
  ambient = new Set<number>();
  bounding = new Set<number>(Array.from({ length: 41 }, (_, i) => i));
  keepCaps = false;
  uid = 0;
  gid = 0;
  users = new Map<string, UserEntry>([["nobody", { uid: 65534, gid: 65534, home: "/nonexistent" }]]);
  readonly notifications: { path: string; message: string }[] = [];
  /** Set to make openNetlink fail, e.g. "EMFILE". */
  failOpen: string | undefined;

  constructor(private readonly responder?: FakeResponder) {}

  openNetlink(protocol: number): FakeNetlinkHandle {
    if (this.failOpen) throw nativeError(this.failOpen, "socket");
    const h = new FakeNetlinkHandle(protocol, this.responder);
    this.sockets.push(h);
    return h;
  }
  getCapabilities(): CapabilitySets {
    return { ...this.caps };
  }
  setCapabilities(effective: bigint, permitted: bigint, inheritable: bigint): void {
    // capset refuses to add to permitted, and effective must be within permitted.
    if ((permitted & ~this.caps.permitted) !== 0n || (effective & ~permitted) !== 0n)
      throw nativeError("EPERM", "capset");
    this.caps = { effective, permitted, inheritable };
    for (const cap of this.ambient)
      if (!(permitted & inheritable & (1n << BigInt(cap)))) this.ambient.delete(cap);
  }
  setKeepCaps(on: boolean): void {
    this.keepCaps = on;
  }
  ambientClearAll(): void {
    this.ambient.clear();
  }
  ambientRaise(cap: number): void {
    const bit = 1n << BigInt(cap);
    if (!(this.caps.permitted & bit) || !(this.caps.inheritable & bit)) throw nativeError("EPERM", "prctl");
    this.ambient.add(cap);
  }
  ambientIsSet(cap: number): boolean {
    return this.ambient.has(cap);
  }
  boundingDrop(cap: number): void {
    this.bounding.delete(cap);
  }
  lookupUser(name: string): UserEntry | null {
    return this.users.get(name) ?? null;
  }
  switchUser(name: string, uid: number, gid: number): void {
    if (this.uid !== 0) throw nativeError("EPERM", "setresuid");
    if (!this.users.has(name)) throw nativeError("EINVAL", "initgroups");
    this.uid = uid;
    this.gid = gid;
    // Leaving uid 0 clears permitted and effective unless keep-caps is set; ambient always goes.
    if (uid !== 0) {
      this.ambient.clear();
      if (!this.keepCaps) this.caps = { ...this.caps, effective: 0n, permitted: 0n };
      else this.caps = { ...this.caps, effective: 0n };
    }
  }
  notify(path: string, message: string): number {
    if (!path) throw nativeError("EINVAL", "sd_notify");
    this.notifications.push({ path, message });
    return Buffer.byteLength(message);
  }
  spawnProcess(): never {
    throw nativeError("ENOSYS", "posix_spawn");
  }
  setns(): void {
    throw nativeError("ENOSYS", "setns");
  }
  openNetlinkIn(): never {
    throw nativeError("ENOSYS", "setns");
  }
  closeFd(): void {}
  sendWithFd(): never {
    throw nativeError("ENOSYS", "sendmsg");
  }
  requestWithFd(): never {
    throw nativeError("ENOSYS", "connect");
  }
}
