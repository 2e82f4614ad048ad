// netevd's errors, in one place. Callers match on the class or on `code`
// (as with Node's own errors), never on the message.
//
//   CanceledError     the operation's owner went away (socket closed, daemon stopping)
//   TimeoutError      no answer in time (netlink, D-Bus)
//   TransientError    worth trying again later (a peer that does not know the link yet)
//   OverrunError      the kernel dropped messages: cached state must be re-read
//   NetlinkError      the kernel refused a request; `errno` negative like native errors
//   NetlinkParseError a malformed message: logged and dropped, never thrown out of the loop
//   NotRegularFileError a FIFO or device where a file was expected: refused without blocking
//   FatalError        ends the command or the daemon with its exit code (EXIT: usage 2,
//                     unavailable 69, permission 77, configuration 78)

/** Exit statuses of every command (sysexits.h where one fits). */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  UNAVAILABLE: 69,
  NOPERM: 77,
  CONFIG: 78,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

abstract class NetevdError extends Error {
  abstract readonly code: string;
}

export class CanceledError extends NetevdError {
  override name = "CanceledError";
  readonly code = "ECANCELED";
}

export class TimeoutError extends NetevdError {
  override name = "TimeoutError";
  readonly code = "ETIMEDOUT";
}

/** A D-Bus call's timeout, also named as D-Bus names it, for callers that match on D-Bus error names. */
export class DBusTimeoutError extends TimeoutError {
  override name = "DBusTimeoutError";
  readonly type = "org.freedesktop.DBus.Error.Timeout";
}

export class TransientError extends NetevdError {
  override name = "TransientError";
  readonly code = "EAGAIN";
  constructor(
    message: string,
    /** What was refused, for the log (e.g. the D-Bus error name). */
    readonly reason: string,
    /** The error as the peer gave it, passed on when the retries run out. */
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

export class OverrunError extends NetevdError {
  override name = "OverrunError";
  readonly code = "ENOBUFS";
}

export class NetlinkError extends NetevdError {
  override name = "NetlinkError";
  /** Negative, as the kernel and Node's own errors give it (-17 for EEXIST). */
  readonly errno: number;
  constructor(
    errno: number,
    readonly code: string,
    detail: string | null,
  ) {
    super(detail ? `${code}: ${detail}` : code);
    this.errno = -Math.abs(errno);
  }
}

export class NetlinkParseError extends NetevdError {
  override name = "NetlinkParseError";
  readonly code = "EBADMSG";
}

/** A FIFO, socket, device or directory where a file was expected: refused, never waited on. */
export class NotRegularFileError extends NetevdError {
  override name = "NotRegularFileError";
  readonly code = "EFTYPE";
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`${path}: not a regular file (${kind})`);
  }
}

export class FatalError extends NetevdError {
  override name = "FatalError";
  readonly code: string = "EFATAL";
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}
