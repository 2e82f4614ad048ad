// systemd-networkd's DHCPv4 lease, /run/systemd/netif/leases/IFINDEX: KEY=value
// lines it marks "private data", written whole and renamed into place. Read
// tolerantly (keys come and go between versions); a leading `{` is taken for
// the JSON a later systemd may write, with the same names in any case.
import type { DhcpInfo } from "../../events/event";
import type { LeaseData } from "../../links/link-table";

/**
 * Keys that are not the lease's data: the renewal times (dnsmasq and others
 * randomise T1/T2 at every renewal, so they are no news) and the client's own id.
 */
const NOT_DATA = new Set(["T1", "T2", "CLIENTID"]);

type Fields = Map<string, string>;

function keyValues(text: string): Fields {
  const out: Fields = new Map();
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const i = line.indexOf("=");
    if (i > 0) out.set(line.slice(0, i).trim().toUpperCase(), line.slice(i + 1).trim());
  }
  return out;
}

/** A JSON lease's top-level values as text: lists space-separated, byte arrays as addresses. */
function jsonValues(text: string): Fields {
  const out: Fields = new Map();
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return out;
  }
  if (typeof o !== "object" || o === null) return out;
  const asText = (v: unknown): string | null => {
    if (typeof v === "string" || typeof v === "number") return String(v);
    if (Array.isArray(v) && (v.length === 4 || v.length === 16) && v.every((b) => Number.isInteger(b)))
      return v.length === 4 ? v.join(".") : null;
    return null;
  };
  for (const [k, v] of Object.entries(o)) {
    const list = Array.isArray(v) && !v.every((b) => Number.isInteger(b)) ? v : [v];
    const texts = list.map(asText).filter((t): t is string => t !== null);
    if (texts.length) out.set(k.toUpperCase(), texts.join(" "));
  }
  return out;
}

const words = (v: string | undefined): string[] => (v ? v.split(/\s+/).filter(Boolean) : []);

/** The lease as netevd's events carry it, or null when the file holds no address. */
export function parseNetworkdLease(text: string): LeaseData | null {
  const f = text.trimStart().startsWith("{") ? jsonValues(text) : keyValues(text);
  const address = f.get("ADDRESS");
  if (!address) return null;
  const domains = [...words(f.get("DOMAINNAME")), ...words(f.get("DOMAIN_SEARCH_LIST"))]
    .map((d) => d.replace(/\.$/, ""))
    .filter((d, i, all) => all.indexOf(d) === i);
  const seconds = Number(f.get("LIFETIME") ?? NaN);
  const info: DhcpInfo = {
    address,
    gateway: words(f.get("ROUTER"))[0] ?? null,
    dns: words(f.get("DNS")),
    domain: domains.length ? domains.join(" ") : null,
    hostname: f.get("HOSTNAME") || null,
    lease_seconds: Number.isSafeInteger(seconds) ? seconds : null,
    server: f.get("SERVER_ADDRESS") || null,
    lease_text: text,
    subnet_mask: f.get("NETMASK") || null,
  };
  const data = [...f].filter(([k]) => !NOT_DATA.has(k)).sort(([a], [b]) => (a < b ? -1 : 1));
  return { info, fingerprint: JSON.stringify(data) };
}
