// The commands a shell script runs, read from mvdan/sh's syntax tree (the
// parser shfmt uses): the first word of every simple command, looked through
// wrappers (`timeout 5 ip …`, `ip netns exec NS sysctl …`, `sh -c '…'`), the
// script's own functions that run "$@", and heredocs that are scripts.
import { syntax } from "mvdan-sh";
import { commandsOfWords, type Word } from "./words";

export interface ShellCommand {
  command: string;
  line: number;
  /** True when the command comes from a heredoc that is a script of its own. */
  heredoc: boolean;
}

type Node = syntax.Node & Record<string, unknown>;

const BUILTINS = new Set(
  (
    ". : [ [[ alias bg bind break builtin caller cd command compgen complete continue declare dirs disown echo " +
    "enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout mapfile " +
    "popd printf pushd pwd read readarray readonly return set shift shopt source suspend test times trap " +
    "true type typeset ulimit umask unalias unset wait"
  ).split(" "),
);

/**
 * The literal text of a word. A part expanded at run time makes it null, or,
 * with a placeholder (for heredoc bodies), stands as that placeholder.
 */
function literal(word: Node | undefined, placeholder: string | null = null): Word {
  if (!word) return null;
  let out = "";
  for (const part of (word.Parts as Node[] | undefined) ?? []) {
    const type = syntax.NodeType(part);
    if (type === "Lit" || type === "SglQuoted") out += part.Value as string;
    else if (type === "DblQuoted") {
      const inner = literal(part, placeholder);
      if (inner === null) return null;
      out += inner;
    } else if (placeholder === null) return null;
    else out += placeholder;
  }
  return out;
}

/** How many `shift`s come before the function runs "$@" as a command, or null when it never does. */
function runsArgsAfter(body: Node): number | null {
  let shifts = 0;
  let found: number | null = null;
  syntax.Walk(body, (n: Node | null) => {
    if (!n || found !== null || syntax.NodeType(n) !== "CallExpr") return true;
    const args = n.Args as Node[];
    const first = args[0];
    if (literal(first) === "shift") shifts += Number(literal(args[1]) ?? "1") || 1;
    const part = (first?.Parts as Node[] | undefined)?.[0];
    if (part && syntax.NodeType(part) === "DblQuoted") {
      const inner = (part.Parts as Node[] | undefined)?.[0];
      if (inner && syntax.NodeType(inner) === "ParamExp" && (inner.Param as Node).Value === "@")
        found = shifts;
    }
    return true;
  });
  return found;
}

export function shellCommands(text: string, firstLine = 1, heredoc = false): ShellCommand[] {
  const parser = syntax.NewParser(syntax.KeepComments(false), syntax.Variant(syntax.LangBash));
  const file = parser.Parse(text, "script") as Node;
  const functions = new Map<string, number | null>();
  syntax.Walk(file, (n: Node | null) => {
    if (n && syntax.NodeType(n) === "FuncDecl")
      functions.set((n.Name as Node).Value as string, runsArgsAfter(n.Body as Node));
    return true;
  });
  const out: ShellCommand[] = [];
  const lineOf = (n: Node) => firstLine - 1 + Number((n.Pos as () => { Line: () => number })().Line());
  syntax.Walk(file, (n: Node | null) => {
    if (!n) return true;
    const type = syntax.NodeType(n);
    if (type === "CallExpr") {
      let words = (n.Args as Node[]).map((a) => literal(a));
      const fn = words[0] ? functions.get(words[0]) : undefined;
      if (fn !== undefined) {
        // The script's own function: only one that runs "$@" runs a command of ours.
        if (fn === null) return true;
        words = words.slice(1 + fn);
      }
      for (const c of commandsOfWords(words, (script) => shellCommands(script).map((s) => s.command)))
        if (!BUILTINS.has(c) && !functions.has(c)) out.push({ command: c, line: lineOf(n), heredoc });
    } else if (type === "Redirect" && n.Hdoc) {
      const body = literal(n.Hdoc as Node, "X") ?? "";
      if (/^#!\s*\S*\b(ba)?sh\b/.test(body)) out.push(...shellCommands(body, lineOf(n) + 1, true));
    }
    return true;
  });
  return out;
}
