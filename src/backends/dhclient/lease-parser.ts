// ISC dhclient lease files (dhclient.leases(5)): a log of `lease { … }` and
// `lease6 { … }` blocks, the last block per interface being the current one.
// Only complete blocks count: dhclient may be half-way through appending one,
// or through rewriting the file in place.
export interface Lease {
  family: 4 | 6;
  interface: string;
  /** fixed-address (v4) or the first ia-na iaaddr (v6). */
  address: string | null;
  /** option name → values (comma lists split, strings unescaped). */
  options: Map<string, string[]>;
  renew: Date | null;
  rebind: Date | null;
  /** null: `never`, or not given. */
  expire: Date | null;
  /** The block as written, for DHCP_LEASE. */
  text: string;
}

type Token =
  | { kind: "word"; value: string; pos: number }
  | { kind: "string"; value: string; pos: number }
  | { kind: "punct"; value: "{" | "}" | ";" | ","; pos: number };

/** Decodes dhclient's string escapes: `\` + three octal digits is a byte, `\` + any other char is that char. */
export function unescapeLeaseString(body: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\" && i + 1 < body.length) {
      const oct = body.slice(i + 1, i + 4);
      if (/^[0-7]{3}$/.test(oct)) {
        bytes.push(parseInt(oct, 8) & 0xff);
        i += 3;
      } else {
        bytes.push(...enc.encode(body[i + 1]));
        i += 1;
      }
    } else {
      bytes.push(...enc.encode(c));
    }
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(new Uint8Array(bytes));
}

/** Tokens, or null at an unterminated string (a half-written tail). */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "{" || c === "}" || c === ";" || c === ",") {
      out.push({ kind: "punct", value: c, pos: i });
      i++;
    } else if (c === '"') {
      const start = i;
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (j >= text.length) return out; // unterminated: the rest is not complete yet
      out.push({ kind: "string", value: unescapeLeaseString(text.slice(i + 1, j)), pos: start });
      i = j + 1;
    } else {
      const start = i;
      while (i < text.length && !/[\s{};,"#]/.test(text.charAt(i))) i++;
      out.push({ kind: "word", value: text.slice(start, i), pos: start });
    }
  }
  return out;
}

interface Statement {
  words: Token[];
  block: Statement[] | null;
  start: number;
  end: number;
}

/** Statements until `}` or the end; `complete` is false when the input ended inside a statement or block. */
function parseStatements(
  tokens: Token[],
  at: { i: number },
  nested: boolean,
): { list: Statement[]; complete: boolean } {
  const list: Statement[] = [];
  let words: Token[] = [];
  for (let t = tokens[at.i]; t !== undefined; t = tokens[at.i]) {
    at.i++;
    if (t.kind === "punct" && t.value === "}") {
      if (nested) return { list, complete: true };
      words = [];
      continue; // a stray brace at top level: skip it
    }
    if (t.kind === "punct" && t.value === ";") {
      const first = words[0];
      if (first) list.push({ words, block: null, start: first.pos, end: t.pos + 1 });
      words = [];
      continue;
    }
    if (t.kind === "punct" && t.value === "{") {
      const inner = parseStatements(tokens, at, true);
      const start = words[0]?.pos ?? t.pos;
      if (!inner.complete) return { list, complete: false };
      const close = tokens[at.i - 1] ?? t;
      list.push({ words, block: inner.list, start, end: close.pos + 1 });
      words = [];
      continue;
    }
    words.push(t);
  }
  return { list, complete: !nested && words.length === 0 };
}

/** A value list: `a,b,c` or `"x", "y"` → ["a","b","c"] / ["x","y"]. */
function values(words: Token[]): string[] {
  const out: string[] = [];
  let cur = "";
  let any = false;
  for (const w of words) {
    if (w.kind === "punct" && w.value === ",") {
      if (any) out.push(cur);
      cur = "";
      any = false;
    } else {
      cur = any ? `${cur} ${w.value}` : w.value;
      any = true;
    }
  }
  if (any) out.push(cur);
  return out;
}

/** `renew 0 2026/11/22 04:55:21` (UTC), `renew epoch 1795326866`, `never`. */
export function parseLeaseTime(words: string[]): Date | null {
  const [w0 = "", w1 = "", w2 = ""] = words;
  if (w0 === "epoch" && /^\d+$/.test(w1)) return new Date(Number(w1) * 1000);
  if (/^\d$/.test(w0)) {
    const m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(w1)?.slice(1).map(Number);
    const t = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(w2)?.slice(1).map(Number);
    if (m && t) {
      const [y = 0, mo = 0, d0 = 0] = m;
      const [h = 0, mi = 0, se = 0] = t;
      const d = new Date(Date.UTC(y, mo - 1, d0, h, mi, se));
      return Number.isNaN(d.getTime()) ? null : d;
    }
  }
  return null;
}

function leaseFrom(family: 4 | 6, st: Statement, text: string): Lease | null {
  const lease: Lease = {
    family,
    interface: "",
    address: null,
    options: new Map(),
    renew: null,
    rebind: null,
    expire: null,
    text: text.slice(st.start, st.end),
  };
  const walk = (list: Statement[]) => {
    for (const s of list) {
      const head = s.words[0]?.value;
      const rest = s.words.slice(1);
      const plain = rest.map((w) => w.value);
      if (head === "interface" && rest[0]) lease.interface = rest[0].value;
      else if (head === "fixed-address" && rest[0]) lease.address = rest[0].value;
      else if (head === "option" && rest[0]) lease.options.set(rest[0].value, values(rest.slice(1)));
      else if (head === "renew" && family === 4) lease.renew = parseLeaseTime(plain);
      else if (head === "rebind" && family === 4) lease.rebind = parseLeaseTime(plain);
      else if (head === "expire" && family === 4) lease.expire = parseLeaseTime(plain);
      else if (head === "iaaddr" && rest[0] && lease.address === null) lease.address = rest[0].value;
      if (s.block && head !== "option") walk(s.block);
    }
  };
  walk(st.block ?? []);
  return lease.interface ? lease : null;
}

/** Every complete lease block in file order. */
export function parseLeases(text: string): Lease[] {
  const tokens = tokenize(text);
  const { list } = parseStatements(tokens, { i: 0 }, false);
  const out: Lease[] = [];
  for (const st of list) {
    if (!st.block) continue;
    const head = st.words[0]?.value;
    const lease =
      head === "lease" ? leaseFrom(4, st, text) : head === "lease6" ? leaseFrom(6, st, text) : null;
    if (lease) out.push(lease);
  }
  return out;
}

/** The last lease per interface and family: the current one. Key: `${interface}/${family}`. */
export function currentLeases(text: string): Map<string, Lease> {
  const map = new Map<string, Lease>();
  for (const l of parseLeases(text)) map.set(`${l.interface}/${l.family}`, l);
  return map;
}

export function option(lease: Lease, name: string): string[] {
  return lease.options.get(name) ?? [];
}
