// The one token check of netevd's HTTP servers (the control API's TCP
// listener, the dashboard): a bearer token compared in constant time.
import type { IncomingHttpHeaders } from "node:http";
import { lazy } from "./lazy";

// Loaded at the first token check: a daemon with only its Unix socket never needs node:crypto.
const crypto = lazy(() => require("node:crypto") as typeof import("node:crypto"));

/** The token of an `Authorization: Bearer …` header; the scheme is case-insensitive (RFC 7235), the token is not. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  return /^Bearer +(.+)$/i.exec(headers.authorization ?? "")?.[1];
}

/** Whether `given` is `expected`, in time that does not depend on where they differ. */
export function tokenMatches(given: string | undefined, expected: string | Buffer | null): boolean {
  if (given === undefined || expected === null || expected.length === 0) return false;
  const a = Buffer.from(given);
  const b = typeof expected === "string" ? Buffer.from(expected) : expected;
  return a.length === b.length && crypto().timingSafeEqual(a, b);
}
