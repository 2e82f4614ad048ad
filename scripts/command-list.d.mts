export interface CommandRow {
  command: string;
  package: string;
  where: "host" | "machine" | "system" | "optional";
  purpose: string;
  line: number;
}
export const LIST_FILE: string;
export const WHERE: readonly string[];
export function readCommandList(text?: string): CommandRow[];
export function onPath(command: string): boolean;
export function missingCommands(rows?: CommandRow[]): CommandRow[];
