// The typed interface of the native layer. The real addon (real.ts) and the
// fake (fake.ts) implement it; everything else receives a NativeBinding
// through its constructor and never imports the .node file.

/** Errors from the native layer carry code/errno/syscall like Node's fs errors. */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isNativeError(err: unknown, code?: string): err is NativeError {
  return (
    err instanceof Error &&
    typeof (err as NativeError).code === "string" &&
    (!code || (err as NativeError).code === code)
  );
}

/**
 * Called on the loop thread when the socket is readable: a batch of raw
 * datagrams, the indexes of those cut short (MSG_TRUNC), or an error
 * (ENOBUFS: the kernel dropped messages; the socket stays usable).
 */
export type DatagramCallback = (error: NativeError | null, datagrams: Buffer[], truncated: number[]) => void;

export interface NetlinkHandle {
  readonly fd: number;
  readonly portId: number;
  joinGroup(group: number): void;
  leaveGroup(group: number): void;
  setIntOption(level: number, name: number, value: number): void;
  /** Sets SO_RCVBUFFORCE (falling back to SO_RCVBUF); returns the size the kernel reports. */
  setReceiveBuffer(bytes: number): number;
  send(message: Buffer): number;
  start(callback: DatagramCallback): void;
  stop(): void;
  /** Idempotent. */
  close(): void;
}

export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

export interface UserEntry {
  uid: number;
  gid: number;
  home: string;
}

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** A process started by spawnProcess: its pid and the read ends of its stdout and stderr pipes. */
interface SpawnedProcess {
  pid: number;
  stdout: number;
  stderr: number;
}

/** Called once, after the process was reaped: its exit code, or the signal that ended it (-1: not so). */
type ExitCallback = (err: NativeError | null, code: number, signal: number) => void;

/** Called once with the answer's bytes and the fd that came with it (-1: none; the caller closes it). */
type FdAnswerCallback = (err: NativeError | null, answer: Buffer | null, fd: number) => void;

export interface NativeBinding {
  /** A new netlink socket; with `fd`, that unbound socket of the protocol is taken over (closed on failure). */
  openNetlink(protocol: number, fd?: number): NetlinkHandle;
  getCapabilities(): CapabilitySets;
  /** Exactly these sets, for the calling thread. */
  setCapabilities(effective: bigint, permitted: bigint, inheritable: bigint): void;
  setKeepCaps(on: boolean): void;
  ambientClearAll(): void;
  ambientRaise(cap: number): void;
  ambientIsSet(cap: number): boolean;
  boundingDrop(cap: number): void;
  lookupUser(name: string): UserEntry | null;
  /** initgroups + setresgid + setresuid, for every thread. */
  switchUser(name: string, uid: number, gid: number): void;
  /** One datagram to an AF_UNIX socket; "@name" is abstract. */
  notify(path: string, message: string | Buffer): number;
  setns(fd: number, nstype: number): void;
  /**
   * A netlink socket of the network namespace bound at `path` (/run/netns/NAME),
   * opened from a short-lived thread; needs CAP_SYS_ADMIN. Refuses anything
   * but a namespace file (a symlink: ELOOP; another file: EINVAL).
   */
  openNetlinkIn(path: string, protocol: number): number;
  closeFd(fd: number): void;
  /** Who connected: the pid, uid and gid the kernel recorded for a Unix socket's peer (SO_PEERCRED). */
  peerCredentials(socketFd: number): PeerCredentials;
  /** One sendmsg (never blocking) of `data` with `fd` attached (SCM_RIGHTS). */
  sendWithFd(socketFd: number, data: Buffer, fd: number): number;
  /** Off the event loop: connect to the AF_UNIX socket, send, read one answer line and the fd with it. */
  requestWithFd(path: string, data: Buffer, timeoutMs: number, callback: FdAnswerCallback): void;
  /**
   * posix_spawn into a session of its own; with `dropCapabilities`, from a
   * thread lowered to the ambient set under no_new_privs (for a daemon that
   * stays uid 0, whose scripts would otherwise regain every capability).
   */
  spawnProcess(
    file: string,
    argv: string[],
    env: string[],
    onExit: ExitCallback,
    dropCapabilities?: boolean,
  ): SpawnedProcess;
  /** PR_SET_CHILD_SUBREAPER: orphaned descendants become this process's children. */
  setChildSubreaper(): void;
  /** A pidfd for the process (ESRCH when it is gone). */
  pidfdOpen(pid: number): number;
  /** Signals the process behind the pidfd; false when it is gone. */
  pidfdSignal(fd: number, signal: number): boolean;
  /** Reaps it if it exited as this process's child; "elsewhere" when it is not one now. */
  pidfdReap(fd: number): "reaped" | "running" | "elsewhere";
}
