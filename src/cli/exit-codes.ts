// Exit codes (netevd.8, EXIT STATUS; sysexits.h where one fits).
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  UNAVAILABLE: 69,
  NOPERM: 77,
  CONFIG: 78,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error that ends the command with a message and a specific exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = "CliError";
  }
}
