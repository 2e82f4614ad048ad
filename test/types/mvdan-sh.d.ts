// mvdan-sh ships no types: the little of its API the command scan uses.
declare module "mvdan-sh" {
  export namespace syntax {
    type Node = object;
    interface Parser {
      Parse(text: string, name: string): Node;
    }
    type ParserOption = unknown;
    function NewParser(...options: ParserOption[]): Parser;
    function KeepComments(keep: boolean): ParserOption;
    function Variant(lang: unknown): ParserOption;
    const LangBash: unknown;
    function Walk(node: Node, visit: (node: (Node & Record<string, unknown>) | null) => boolean): void;
    function NodeType(node: Node): string;
  }
}
