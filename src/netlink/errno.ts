import { constants } from "node:os";

const names = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** "EEXIST" for 17, like Node's error codes. */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `E${errno}`;
}
