// sd-bus object path labels: every byte that is not [A-Za-z] (and a digit in
// first position) is written "_" + two lowercase hex digits. ifindex 2 → "_32".
export function encodeLabel(text: string): string {
  let out = "";
  for (const [i, b] of [...Buffer.from(text)].entries()) {
    const ch = String.fromCharCode(b);
    const plain = /[A-Za-z]/.test(ch) || (i > 0 && /[0-9]/.test(ch));
    out += plain ? ch : `_${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

export function decodeLabel(label: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < label.length; i++) {
    const m = label[i] === "_" ? /^[0-9a-f]{2}/.exec(label.slice(i + 1)) : null;
    if (m) {
      bytes.push(Number.parseInt(m[0], 16));
      i += 2;
    } else {
      bytes.push(label.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString();
}

const LINK_PREFIX = "/org/freedesktop/network1/link/";

/** The ifindex of a networkd link object path, or undefined. */
export function ifindexOfPath(path: string): number | undefined {
  if (!path.startsWith(LINK_PREFIX)) return undefined;
  const n = Number(decodeLabel(path.slice(LINK_PREFIX.length)));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function linkPath(ifindex: number): string {
  return LINK_PREFIX + encodeLabel(String(ifindex));
}
