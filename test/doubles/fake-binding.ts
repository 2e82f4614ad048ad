// A fake native binding that tests drive, implementing every call: netlink
// sockets (inject datagrams, errors such as ENOBUFS, truncation; record what
// was sent), capability sets and users in memory, processes recorded and
// ended when the test says (or at once), namespaces and handed-over fds as
// the kernel keeps them. With a FakeKernel attached, requests are answered
// as the kernel would.
import { constants as osConstants } from "node:os";
import type {
  CapabilitySets,
  DatagramCallback,
  NativeBinding,
  NativeError,
  NetlinkHandle,
  PeerCredentials,
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

/** A process spawnProcess started, as the test sees it. */
export interface FakeProcess {
  pid: number;
  file: string;
  argv: string[];
  env: string[];
  dropCapabilities: boolean;
  onExit: (err: NativeError | null, code: number, signal: number) => void;
  exited: boolean;
}

export class FakeBinding implements NativeBinding {
  readonly sockets: FakeNetlinkHandle[] = [];
  caps: CapabilitySets = { effective: 0n, permitted: 0n, inheritable: 0n };
  ambient = new Set<number>();
  bounding = new Set<number>(Array.from({ length: 41 }, (_, i) => i));
  keepCaps = false;
  uid = 0;
  gid = 0;
  users = new Map<string, UserEntry>([
    ["root", { uid: 0, gid: 0, home: "/root" }],
    ["nobody", { uid: 65534, gid: 65534, home: "/nonexistent" }],
  ]);
  readonly notifications: { path: string; message: string }[] = [];
  /** Set to make openNetlink fail, e.g. "EMFILE". */
  failOpen: string | undefined;

  constructor(private readonly responder?: FakeResponder) {}

  openNetlink(protocol: number, fd?: number): FakeNetlinkHandle {
    if (this.failOpen) throw nativeError(this.failOpen, "socket");
    // A socket handed over from another namespace answers as that namespace's kernel.
    const ns = fd === undefined ? this.responder : this.fds.get(fd);
    if (ns === "socket") throw nativeError("EPROTOTYPE", "getsockopt");
    if (fd !== undefined && ns === undefined) throw nativeError("EBADF", "getsockopt");
    if (fd !== undefined) this.fds.delete(fd);
    const h = new FakeNetlinkHandle(protocol, ns);
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
  // Processes: recorded, never started. A pid above the kernel's pid_max
  // (2^22) names no process, so a kill of its group reaches nothing real.
  readonly spawned = new Map<number, FakeProcess>();
  /** Exit code every process reports right after it starts; undefined: it runs until exit(). */
  autoExit: number | undefined = 0;
  /** Files spawnProcess fails on, with the error exec gives (ENOENT, EACCES, ENOEXEC). */
  readonly spawnErrors = new Map<string, string>();
  private nextPid = 4_200_000;

  spawnProcess(
    file: string,
    argv: string[],
    env: string[],
    onExit: (err: NativeError | null, code: number, signal: number) => void,
    dropCapabilities = false,
  ): { pid: number; stdout: number; stderr: number } {
    const failure = this.spawnErrors.get(file);
    if (failure) throw nativeError(failure, "posix_spawn");
    const pid = this.nextPid++;
    this.spawned.set(pid, { pid, file, argv, env, dropCapabilities, onExit, exited: false });
    if (this.autoExit !== undefined) this.exit(pid, this.autoExit);
    // No pipes: the process has no output (launch gives it an empty stream).
    return { pid, stdout: -1, stderr: -1 };
  }

  /** The process ends, with a code or (code -1) a signal; reported as the pidfd would, on a later turn. */
  exit(pid: number, code: number, signal = -1): void {
    const p = this.spawned.get(pid);
    if (!p || p.exited) return;
    p.exited = true;
    queueMicrotask(() => p.onExit(null, code, signal));
  }

  // Namespaces and handed-over fds, as the kernel keeps them: a path under
  // /run/netns is a namespace (with its own fake kernel), a symlink or another file.
  readonly namespaces = new Map<string, FakeResponder | "symlink" | "file">();
  private readonly fds = new Map<number, FakeResponder | "socket">();
  readonly setnsCalls: { fd: number; nstype: number }[] = [];
  readonly closedFds: number[] = [];
  readonly sentFds: { socketFd: number; data: Buffer; fd: number }[] = [];
  /** AF_UNIX servers requestWithFd reaches, by path: the answer line and the fd sent with it. */
  readonly servers = new Map<string, (data: Buffer) => { answer: Buffer; fd: number }>();

  setns(fd: number, nstype: number): void {
    if (!this.fds.has(fd)) throw nativeError("EBADF", "setns");
    this.setnsCalls.push({ fd, nstype });
  }
  openNetlinkIn(path: string): number {
    const ns = this.namespaces.get(path);
    if (ns === undefined) throw nativeError("ENOENT", "open");
    if (ns === "symlink") throw nativeError("ELOOP", "open");
    if (ns === "file") throw nativeError("EINVAL", "setns");
    const fd = nextFd++;
    this.fds.set(fd, ns);
    return fd;
  }
  /** As the addon: close(2)'s error is not reported (an fd that never became a socket). */
  closeFd(fd: number): void {
    if (this.fds.delete(fd)) this.closedFds.push(fd);
  }
  /** A connected socket's fd the test hands to sendWithFd (the real one is a Unix socket's). */
  socketFd(): number {
    const fd = nextFd++;
    this.fds.set(fd, "socket");
    return fd;
  }
  subreaper = false;
  setChildSubreaper(): void {
    this.subreaper = true;
  }
  /** The in-process tests' processes are not real: none can be opened. */
  pidfdOpen(_pid: number): number {
    throw nativeError("ESRCH", "pidfd_open");
  }
  pidfdSignal(_fd: number, _signal: number): boolean {
    return false;
  }
  pidfdReap(_fd: number): "reaped" | "running" | "elsewhere" {
    return "elsewhere";
  }
  /** Peers as the kernel would name them: root, unless a test says otherwise. */
  peer: PeerCredentials = { pid: 1, uid: 0, gid: 0 };
  peerCredentials(socketFd: number): PeerCredentials {
    if (this.fds.get(socketFd) !== "socket") throw nativeError("ENOTSOCK", "getsockopt");
    return this.peer;
  }
  sendWithFd(socketFd: number, data: Buffer, fd: number): number {
    if (this.fds.get(socketFd) !== "socket") throw nativeError("ENOTSOCK", "sendmsg");
    this.sentFds.push({ socketFd, data: Buffer.from(data), fd });
    return data.length;
  }
  requestWithFd(
    path: string,
    data: Buffer,
    _timeoutMs: number,
    callback: (err: NativeError | null, answer: Buffer | null, fd: number) => void,
  ): void {
    const server = this.servers.get(path);
    queueMicrotask(() => {
      if (!server) return callback(nativeError("ENOENT", "connect"), null, -1);
      const { answer, fd } = server(data);
      callback(null, answer, fd);
    });
  }
}
