// What the dashboard checks on every request before its token: whose name
// the request was sent to, and the token's cookie.
import { isIP } from "node:net";

/** A cookie's value: the text after the first "=" (a base64 token may end in "="). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq >= 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const WILDCARDS = new Set(["", "0.0.0.0", "::"]);
/** An address in one spelling (IPv6 compressed and lower case). */
const canonical = (ip: string) => (isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip);

/**
 * Whether a request's Host names this dashboard: localhost or the address it
 * listens on (any IP address when it listens on all), with its port or none.
 */
export function hostAllowed(header: string | undefined, listenHost: string, port: number): boolean {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(header ?? "");
  // No port: a hand-written client. A browser always names a port other than 80, and
  // a rebinding page on port 80 reaches port 80, not this one.
  if (!m?.[1] || (m[2] !== undefined && Number(m[2]) !== port)) return false;
  const name = m[1].replace(/^\[|\]$/g, "").toLowerCase();
  if (name === "localhost") return true;
  if (isIP(name) === 0) return false;
  return WILDCARDS.has(listenHost) || canonical(name) === canonical(listenHost);
}
