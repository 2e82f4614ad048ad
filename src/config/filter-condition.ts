// The Rust netevd's filter conditions, kept compatible: terms joined by
// "&&" (binding tighter) and "||". Terms: `has_gateway`,
// `dns_count OP N` (OP one of >= <= > <), `interface == "NAME"`.
// Unlike the Rust netevd, an unknown term is a configuration error, not a
// silent "false" found at run time.
type Term =
  | { kind: "has_gateway" }
  | { kind: "dns_count"; op: ">=" | "<=" | ">" | "<"; value: number }
  | { kind: "interface"; name: string };

/** Disjunction of conjunctions. */
export type Condition = Term[][];

export const CONDITION_ALLOWED =
  'terms joined by && and ||: has_gateway, dns_count >= N (or <=, >, <), interface == "NAME"';

export interface EvaluationInput {
  interface: string;
  hasGateway: boolean;
  dnsCount: number;
}

export function parseCondition(text: string): Condition | { error: string } {
  const groups: Condition = [];
  for (const orPart of text.split("||")) {
    const group: Term[] = [];
    for (const raw of orPart.split("&&")) {
      const term = parseTerm(raw.trim());
      if (!term) return { error: `unrecognized condition term "${raw.trim()}"` };
      group.push(term);
    }
    groups.push(group);
  }
  return groups;
}

function parseTerm(text: string): Term | undefined {
  if (text === "has_gateway") return { kind: "has_gateway" };
  const count = /^dns_count\s*(>=|<=|>|<)\s*(\d+)$/.exec(text);
  if (count) return { kind: "dns_count", op: count[1] as ">=" | "<=" | ">" | "<", value: Number(count[2]) };
  const iface = /^interface\s*==?\s*"([^"]*)"$/.exec(text);
  if (iface) return { kind: "interface", name: iface[1] as string };
  return undefined;
}

export function evaluateCondition(condition: Condition, input: EvaluationInput): boolean {
  return condition.some((group) => group.every((term) => evaluateTerm(term, input)));
}

function evaluateTerm(term: Term, input: EvaluationInput): boolean {
  switch (term.kind) {
    case "has_gateway":
      return input.hasGateway;
    case "interface":
      return input.interface === term.name;
    case "dns_count":
      switch (term.op) {
        case ">=":
          return input.dnsCount >= term.value;
        case "<=":
          return input.dnsCount <= term.value;
        case ">":
          return input.dnsCount > term.value;
        case "<":
          return input.dnsCount < term.value;
      }
  }
}
