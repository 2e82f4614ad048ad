/** A request that got no answer in time (netlink, D-Bus): `code` as Node's errors have it. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
  readonly code = "ETIMEDOUT";
}
