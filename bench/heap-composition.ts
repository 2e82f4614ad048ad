// A V8 heap snapshot's composition by module: what a process holds at idle,
// attributed to the file (or npm package) whose code it is. Code objects
// (functions, their bytecode and metadata, the script's source) belong to the
// script that defined them; any other object belongs to the module of the
// function that holds it, else to "data". The snapshot format is V8's
// (nodes and edges as flat arrays, described by snapshot.meta).
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** The group of a script's path: an npm package, or netevd's directory under dist/. */
function moduleGroup(path: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1] as string;
  const own = /dist\/(.+)\/[^/]+\.js$/.exec(path);
  if (own) return `netevd ${own[1]}`;
  if (path.startsWith("node:") || !path.includes("/")) return "Node's own";
  return path;
}

/** Bytes by group, largest first. */
export function heapComposition(file: string): { group: string; bytes: number }[] {
  const s = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const { node_fields: nf, node_types: nt, edge_fields: ef, edge_types: et } = s.snapshot.meta;
  const N = nf.length;
  const E = ef.length;
  const [typeF, nameF, sizeF, edgesF] = ["type", "name", "self_size", "edge_count"].map((f) => nf.indexOf(f));
  const [eTypeF, eNameF, eToF] = ["type", "name_or_index", "to_node"].map((f) => ef.indexOf(f));
  const types = nt[0];
  const eTypes = et[0];
  const count = s.nodes.length / N;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += (s.nodes[i * N + (edgesF as number)] as number) * E;
  }
  firstEdge[count] = s.edges.length;
  const type = (i: number) => types[s.nodes[i * N + (typeF as number)] as number];
  const name = (i: number) => s.strings[s.nodes[i * N + (nameF as number)] as number] ?? "";
  const edgesOf = function* (i: number): Generator<[string, string, number]> {
    for (let e = firstEdge[i] as number; e < (firstEdge[i + 1] as number); e += E) {
      const t = eTypes[s.edges[e + (eTypeF as number)] as number] as string;
      const n = s.edges[e + (eNameF as number)] as number;
      const label = t === "element" || t === "hidden" ? String(n) : (s.strings[n] ?? "");
      yield [t, label, (s.edges[e + (eToF as number)] as number) / N];
    }
  };
  // Scripts by node: a Script is a `code` node named by its path, with a `source` edge.
  const owner = new Int32Array(count).fill(-1);
  const groups: string[] = [];
  const groupIndex = new Map<string, number>();
  const groupOf = (g: string) => {
    let k = groupIndex.get(g);
    if (k === undefined) {
      k = groups.length;
      groups.push(g);
      groupIndex.set(g, k);
    }
    return k;
  };
  const scriptGroup = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    if (type(i) !== "code") continue;
    for (const [, label] of edgesOf(i))
      if (label === "source") scriptGroup.set(i, groupOf(moduleGroup(name(i))));
  }
  // Shared function infos point at their script; closures at their shared info.
  const sfiGroup = (i: number): number => {
    for (const [, label, to] of edgesOf(i)) if (label === "script") return scriptGroup.get(to) ?? -1;
    return -1;
  };
  for (let i = 0; i < count; i++) {
    const t = type(i);
    if (scriptGroup.has(i)) owner[i] = scriptGroup.get(i) as number;
    else if (t === "code" && owner[i] === -1) owner[i] = sfiGroup(i);
    if (t === "closure")
      for (const [, label, to] of edgesOf(i))
        if (label === "shared") {
          owner[i] = sfiGroup(to);
          break;
        }
  }
  // What a code object points to (bytecode, feedback, source, context) is its module's, once.
  const queue: number[] = [];
  for (let i = 0; i < count; i++) if ((owner[i] as number) >= 0 && type(i) !== "object") queue.push(i);
  while (queue.length) {
    const i = queue.pop() as number;
    for (const [t, , to] of edgesOf(i)) {
      if (owner[to] !== -1 || t === "weak" || t === "shortcut") continue;
      const tt = type(to);
      if (tt === "object" || tt === "synthetic") continue;
      owner[to] = owner[i] as number;
      queue.push(to);
    }
  }
  const bytes = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const o = owner[i] as number;
    const g = o >= 0 ? (groups[o] as string) : `data: ${type(i)}`;
    bytes.set(g, (bytes.get(g) ?? 0) + (s.nodes[i * N + (sizeF as number)] as number));
  }
  return [...bytes].map(([group, b]) => ({ group, bytes: b })).sort((a, b) => b.bytes - a.bytes);
}
