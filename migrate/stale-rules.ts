// network-broker's policy rules pointed at tables 9999 + ifindex and were never
// cleaned up: find such rules in `ip rule` (read only) and say how to remove them.
import { execFileSync } from "node:child_process";
import { BROKER_TABLE_BASE } from "./model";

export interface StaleRule {
  family: "ipv4" | "ipv6";
  priority: number;
  selector: string;
  table: number;
  command: string;
}

interface JRule {
  priority: number;
  src?: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  table: string;
  protocol?: string;
}

/** Rules whose table is 9999 + the ifindex of a link (or of any link, when `ifindexes` is null). */
export function findStaleRules(ifindexes: number[] | null): { rules: StaleRule[]; error?: string } {
  const rules: StaleRule[] = [];
  for (const [family, flag] of [
    ["ipv4", "-4"],
    ["ipv6", "-6"],
  ] as const) {
    let list: JRule[];
    try {
      list = JSON.parse(
        execFileSync("ip", ["-j", flag, "rule", "show"], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        }) || "[]",
      ) as JRule[];
    } catch (err) {
      return { rules, error: `could not read ip rules: ${(err as Error).message}` };
    }
    for (const r of list) {
      const table = Number(r.table);
      if (!Number.isInteger(table) || table <= BROKER_TABLE_BASE) continue;
      if (r.protocol === "netevd" || r.protocol === "177") continue;
      const ifindex = table - BROKER_TABLE_BASE;
      if (ifindexes ? !ifindexes.includes(ifindex) : ifindex > 100_000) continue;
      const sel = r.src && r.src !== "all" ? `from ${r.src}` : r.dst ? `to ${r.dst}` : "";
      rules.push({
        family,
        priority: r.priority,
        selector: sel,
        table,
        command: `ip ${flag} rule del priority ${r.priority}${sel ? ` ${sel}` : ""} table ${table}`,
      });
    }
  }
  return { rules };
}
