// The commands a TypeScript/JavaScript file runs through node:child_process:
// spawn/spawnSync/execFile/execFileSync (a command and its argv) and
// exec/execSync (a shell line). Values are followed as far as the file shows
// them: string constants, arrays built with spreads and conditionals,
// destructuring (`const [cmd, ...args] = [...asNobody, "makepkg"]`), and the
// file's own functions that pass a parameter on as the command.
import ts from "typescript";
import { commandsOfWords, type Word } from "./words";

export interface TsCommand {
  command: string;
  line: number;
}

type Lists = Word[][];
const MAX_LISTS = 32;
const ARGV_CALLS = new Set(["spawn", "spawnSync", "execFile", "execFileSync"]);
const SHELL_CALLS = new Set(["exec", "execSync"]);

const unwrap = (e: ts.Expression): ts.Expression =>
  ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e) || ts.isAsExpression(e)
    ? unwrap(e.expression)
    : e;

function product(parts: Lists[]): Lists {
  let out: Lists = [[]];
  for (const p of parts) out = out.flatMap((a) => p.map((b) => [...a, ...b])).slice(0, MAX_LISTS);
  return out;
}

export function tsCommands(text: string, fileName: string, parseShell: (s: string) => string[]): TsCommand[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  // Local names bound to child_process functions, and namespaces imported whole.
  const calls = new Map<string, string>();
  const namespaces = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    if (!/^(node:)?child_process$/.test(st.moduleSpecifier.text)) continue;
    const b = st.importClause?.namedBindings;
    if (b && ts.isNamespaceImport(b)) namespaces.add(b.name.text);
    if (b && ts.isNamedImports(b))
      for (const el of b.elements) calls.set(el.name.text, (el.propertyName ?? el.name).text);
  }
  if (calls.size === 0 && namespaces.size === 0) return [];

  const declarations = new Map<string, ts.Node>();
  const functions = new Map<string, ts.SignatureDeclaration & { body?: ts.Node }>();
  const visitDecl = (n: ts.Node) => {
    if (ts.isFunctionLike(n)) {
      const name = functionName(n);
      if (name && !functions.has(name)) functions.set(name, n);
    }
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) declarations.set(n.name.text, n);
    if (ts.isBindingElement(n) && ts.isIdentifier(n.name)) declarations.set(n.name.text, n);
    ts.forEachChild(n, visitDecl);
  };
  visitDecl(sf);

  // What a name means when it is a parameter: [function name, parameter index].
  const paramOf = (id: ts.Identifier): [string, number] | null => {
    for (let n: ts.Node | undefined = id; n; n = n.parent) {
      if (!ts.isFunctionLike(n)) continue;
      const idx = n.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === id.text);
      if (idx < 0) continue;
      return [functionName(n) ?? "", idx];
    }
    return null;
  };

  // Parameters bound to the arguments of a call being followed (functions that build argv or scripts).
  type Env = ReadonlyMap<string, ts.Expression>;
  const none: Env = new Map();
  const lookup = (id: ts.Identifier, env: Env): { expr: ts.Expression; env: Env } | null => {
    const bound = env.get(id.text);
    if (bound) return { expr: bound, env: none };
    const d = declarations.get(id.text);
    return d && ts.isVariableDeclaration(d) && d.initializer ? { expr: d.initializer, env: none } : null;
  };
  /** A call of one of the file's own functions whose body is one returned expression: that expression. */
  const inlined = (e: ts.CallExpression, env: Env): { expr: ts.Expression; env: Env } | null => {
    if (!ts.isIdentifier(e.expression)) return null;
    const fn = functions.get(e.expression.text);
    if (!fn?.body) return null;
    let body: ts.Expression | undefined;
    if (ts.isBlock(fn.body)) {
      const ret = fn.body.statements.length === 1 ? fn.body.statements[0] : undefined;
      body = ret && ts.isReturnStatement(ret) ? ret.expression : undefined;
    } else if (ts.isExpression(fn.body)) body = fn.body;
    if (!body) return null;
    const bound = new Map<string, ts.Expression>();
    fn.parameters.forEach((p, i) => {
      const arg = e.arguments[i];
      if (ts.isIdentifier(p.name) && arg) bound.set(p.name.text, argumentIn(arg, env));
    });
    return { expr: body, env: bound };
  };
  /** An argument expression with the caller's own bindings already applied where it is a bare name. */
  const argumentIn = (arg: ts.Expression, env: Env): ts.Expression =>
    ts.isIdentifier(arg) && env.has(arg.text) ? (env.get(arg.text) as ts.Expression) : arg;

  const wordLists = (e: ts.Expression, env: Env = none, depth = 0): Lists => {
    e = unwrap(e);
    if (depth > 8) return [[null]];
    if (ts.isArrayLiteralExpression(e))
      return product(
        e.elements.map((el) =>
          ts.isSpreadElement(el)
            ? wordLists(el.expression, env, depth + 1)
            : word(el, env, depth + 1).map((w) => [w]),
        ),
      );
    if (ts.isConditionalExpression(e))
      return [...wordLists(e.whenTrue, env, depth + 1), ...wordLists(e.whenFalse, env, depth + 1)];
    const next = ts.isIdentifier(e) ? lookup(e, env) : ts.isCallExpression(e) ? inlined(e, env) : null;
    return next ? wordLists(next.expr, next.env, depth + 1) : [[null]];
  };

  function word(e: ts.Expression, env: Env = none, depth = 0): Word[] {
    e = unwrap(e);
    if (depth > 8) return [null];
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [e.text];
    if (ts.isConditionalExpression(e))
      return [...word(e.whenTrue, env, depth + 1), ...word(e.whenFalse, env, depth + 1)];
    if (ts.isTemplateExpression(e)) {
      // A shell line: values known here are filled in, the others stand as a
      // variable, which is never taken for a command.
      let text = e.head.text;
      for (const span of e.templateSpans) {
        const known = word(span.expression, env, depth + 1);
        text += (known.length === 1 && typeof known[0] === "string" ? known[0] : "$__") + span.literal.text;
      }
      return [text];
    }
    if (ts.isIdentifier(e)) {
      const next = lookup(e, env);
      if (next) return word(next.expr, next.env, depth + 1);
      const d = declarations.get(e.text);
      if (d && ts.isBindingElement(d) && ts.isArrayBindingPattern(d.parent) && !d.dotDotDotToken) {
        const at = d.parent.elements.indexOf(d);
        const decl = d.parent.parent;
        if (ts.isVariableDeclaration(decl) && decl.initializer)
          return wordLists(decl.initializer, env, depth + 1).map((l) => l[at] ?? null);
      }
    }
    if (ts.isCallExpression(e)) {
      const next = inlined(e, env);
      if (next) return word(next.expr, next.env, depth + 1);
    }
    return [null];
  }

  /** The command lines of one call: the command word(s) joined with the argv, kept from one source. */
  const argvLists = (cmd: ts.Expression, args: ts.Expression | undefined): Lists => {
    const c = unwrap(cmd);
    // spawn(argv[0], argv.slice(1)) and const [cmd, ...args] = LIST: LIST itself.
    if (ts.isElementAccessExpression(c) && ts.isIdentifier(c.expression)) return wordLists(c.expression);
    if (ts.isIdentifier(c)) {
      const d = declarations.get(c.text);
      if (d && ts.isBindingElement(d) && ts.isArrayBindingPattern(d.parent)) {
        const decl = d.parent.parent;
        if (ts.isVariableDeclaration(decl) && decl.initializer) return wordLists(decl.initializer);
      }
    }
    return product([word(cmd).map((w) => [w]), args ? wordLists(args) : [[]]]);
  };

  // Calls to the file's own functions whose parameter becomes the command.
  const wrappers = new Map<string, { cmd: number; args: number | null; shell: boolean; list: boolean }>();
  const found: { lists: Lists; shell: boolean; node: ts.Node }[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n)) {
      const name = calleeName(n.expression, calls, namespaces);
      const first = n.arguments[0];
      if (name && first && (ARGV_CALLS.has(name) || SHELL_CALLS.has(name))) {
        const shell = SHELL_CALLS.has(name);
        const root = unwrap(first);
        const base = ts.isElementAccessExpression(root) ? unwrap(root.expression) : root;
        const param = ts.isIdentifier(base) ? paramOf(base) : null;
        if (param && !declarations.has(base.getText())) {
          const argsParam =
            n.arguments[1] && ts.isIdentifier(unwrap(n.arguments[1]))
              ? paramOf(unwrap(n.arguments[1]) as ts.Identifier)
              : null;
          const list = ts.isElementAccessExpression(root);
          wrappers.set(param[0], {
            cmd: param[1],
            args: list ? null : (argsParam?.[1] ?? null),
            shell,
            list,
          });
        } else
          found.push({
            lists: shell ? word(first).map((w) => [w]) : argvLists(first, n.arguments[1]),
            shell,
            node: n,
          });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const visitWrapperCalls = (n: ts.Node) => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : "";
      const w = wrappers.get(name);
      const arg = w ? n.arguments[w.cmd] : undefined;
      if (w && arg) {
        const args = w.args === null ? undefined : n.arguments[w.args];
        const lists = w.shell ? word(arg).map((x) => [x]) : w.list ? wordLists(arg) : argvLists(arg, args);
        found.push({ lists, shell: w.shell, node: n });
      }
    }
    ts.forEachChild(n, visitWrapperCalls);
  };
  if (wrappers.size) visitWrapperCalls(sf);

  const out: TsCommand[] = [];
  for (const f of found) {
    const line = sf.getLineAndCharacterOfPosition(f.node.getStart()).line + 1;
    for (const list of f.lists) {
      const commands = f.shell
        ? typeof list[0] === "string"
          ? parseShell(list[0])
          : []
        : commandsOfWords(list, parseShell);
      for (const command of commands) out.push({ command, line });
    }
  }
  return out;
}

function functionName(n: ts.SignatureDeclaration): string | null {
  if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && n.name) return n.name.getText();
  if (ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name)) return n.parent.name.text;
  return null;
}

function calleeName(e: ts.Expression, calls: Map<string, string>, namespaces: Set<string>): string | null {
  if (ts.isIdentifier(e)) return calls.get(e.text) ?? null;
  if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && namespaces.has(e.expression.text))
    return e.name.text;
  return null;
}
