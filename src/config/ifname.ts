import picomatch from "picomatch";
import { hasControl } from "../util/control";

// Linux accepts interface names of 1..15 bytes without '/', ':' or whitespace
// (dev_valid_name). Patterns may also use shell glob syntax: * ? [...] {a,b}.
const IFNAMSIZ_MAX = 15;
export const INTERFACE_PATTERN_ALLOWED = `interface names (1-${IFNAMSIZ_MAX} characters, no "/", ":" or whitespace) or shell globs such as "eth*" or "en[ops]*"`;

const GLOB_CHARS = /[*?[\]{}!]/;

export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/** A problem with the pattern, or undefined when it is valid. */
export function interfacePatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return "empty interface name";
  if (/[/:\s]/u.test(pattern)) return `"${pattern}" contains "/", ":" or whitespace`;
  if (hasControl(pattern)) return "control character in interface name";
  if (!isGlob(pattern)) {
    if (Buffer.byteLength(pattern) > IFNAMSIZ_MAX) {
      return `"${pattern}" is longer than ${IFNAMSIZ_MAX} bytes, the kernel's limit for interface names`;
    }
    if (pattern === "." || pattern === "..") return `"${pattern}" is not a valid interface name`;
    return undefined;
  }
  return globProblem(pattern);
}

/** A problem with a shell glob's syntax, or undefined. */
export function globProblem(pattern: string): string | undefined {
  if (!balanced(pattern, "[", "]")) return `unbalanced "[" in glob "${pattern}"`;
  if (!balanced(pattern, "{", "}")) return `unbalanced "{" in glob "${pattern}"`;
  try {
    picomatch.makeRe(pattern, { strictBrackets: true });
  } catch (err) {
    return `invalid glob "${pattern}": ${(err as Error).message}`;
  }
  return undefined;
}

function balanced(text: string, open: string, close: string): boolean {
  let depth = 0;
  for (const ch of text) {
    if (ch === open) depth++;
    else if (ch === close && --depth < 0) return false;
  }
  return depth === 0;
}

/** A matcher for a list of names/globs; compiled once, called on the event path. */
export function compileInterfaceMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const exact = new Set(patterns.filter((p) => !isGlob(p)));
  const globs = patterns.filter(isGlob).map((p) => picomatch(p, { dot: true }));
  return (name) => exact.has(name) || globs.some((match) => match(name));
}
