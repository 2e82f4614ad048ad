// IP addresses between wire bytes and text (IPv6 in RFC 5952 form, as iproute2 prints).
import { isIPv4, isIPv6 } from "node:net";
import { AF_INET, AF_INET6 } from "./constants";

export function formatIp(bytes: Uint8Array): string | null {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) return null;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // Longest run of zero groups (length ≥ 2) becomes "::", first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-compatible and IPv4-mapped addresses keep a dotted tail, as inet_ntop (and so iproute2) prints them.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
    const tail = `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
    return bestLen === 6 ? `::${tail}` : `::ffff:${tail}`;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** An address attribute as text, or null when absent or of a wrong size. */
export const attrIp = (value: Buffer | undefined): string | null => (value ? formatIp(value) : null);

export function familyOf(address: string): typeof AF_INET | typeof AF_INET6 {
  if (isIPv4(address)) return AF_INET;
  if (isIPv6(address)) return AF_INET6;
  throw new Error(`not an IP address: ${address}`);
}

export function ipBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split(".").map(Number));
  if (!isIPv6(address)) throw new Error(`not an IP address: ${address}`);
  let text = address;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    const head = dotted[1] as string;
    text = head.endsWith("::") ? head : head.slice(0, -1);
  }
  const hex = (s: string) => (s === "" ? [] : s.split(":").map((h) => Number.parseInt(h, 16)));
  const gap = text.indexOf("::");
  let groups: number[];
  if (gap >= 0) {
    const left = hex(text.slice(0, gap));
    const right = [...hex(text.slice(gap + 2)), ...tail];
    groups = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    groups = [...hex(text), ...tail];
  }
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** The network an address is in: its first `prefix` bits, the rest zero, as text. */
export function networkOf(address: string, prefix: number): string {
  const bytes = ipBytes(address);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return formatIp(bytes)!;
}
