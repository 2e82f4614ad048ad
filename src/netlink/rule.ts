import { FR_ACT_TO_TBL, FRA, RT_TABLE } from "./constants";
import { attrIp, ipBytes } from "./ip";
import { attr, attrString, attrU32, attrU8, need, parseAttributes, u32, u8 } from "./message";

export interface Rule {
  family: number;
  table: number;
  action: number;
  priority: number | null;
  src: string | null;
  srcLength: number;
  dst: string | null;
  dstLength: number;
  tos: number;
  flags: number;
  iifname: string | null;
  oifname: string | null;
  fwmark: number | null;
  protocol: number | null;
}

const FIB_RULE_HDR_LEN = 12;

export function parseRule(payload: Buffer): Rule {
  need(payload, FIB_RULE_HDR_LEN, "fib_rule_hdr");
  const a = parseAttributes(payload, FIB_RULE_HDR_LEN);
  const ip = (t: number) => attrIp(a.get(t));
  return {
    family: payload[0] as number,
    dstLength: payload[1] as number,
    srcLength: payload[2] as number,
    tos: payload[3] as number,
    table: attrU32(a.get(FRA.TABLE)) ?? (payload[4] as number),
    action: payload[7] as number,
    flags: payload.readUInt32LE(8),
    priority: attrU32(a.get(FRA.PRIORITY)),
    src: ip(FRA.SRC),
    dst: ip(FRA.DST),
    iifname: attrString(a.get(FRA.IIFNAME)),
    oifname: attrString(a.get(FRA.OIFNAME)),
    fwmark: attrU32(a.get(FRA.FWMARK)),
    protocol: attrU8(a.get(FRA.PROTOCOL)),
  };
}

export interface RuleSpec {
  family: number;
  table: number;
  priority: number;
  src?: string | null;
  srcLength?: number;
  dst?: string | null;
  dstLength?: number;
  protocol?: number | null;
}

/** fib_rule_hdr + attributes for RTM_NEWRULE/DELRULE ("from/to ADDR lookup TABLE priority P"), or a dump filter. */
export function ruleBody(r: Partial<RuleSpec> & { family: number }): Buffer[] {
  const head = Buffer.alloc(FIB_RULE_HDR_LEN);
  const table = r.table ?? RT_TABLE.UNSPEC;
  head.writeUInt8(r.family, 0);
  head.writeUInt8(r.dstLength ?? 0, 1);
  head.writeUInt8(r.srcLength ?? 0, 2);
  head.writeUInt8(table < 256 ? table : RT_TABLE.UNSPEC, 4);
  head.writeUInt8(r.table === undefined ? 0 : FR_ACT_TO_TBL, 7);
  const body: Buffer[] = [head];
  if (r.table !== undefined) body.push(attr(FRA.TABLE, u32(table)));
  if (r.priority !== undefined) body.push(attr(FRA.PRIORITY, u32(r.priority)));
  if (r.src) body.push(attr(FRA.SRC, ipBytes(r.src)));
  if (r.dst) body.push(attr(FRA.DST, ipBytes(r.dst)));
  if (r.protocol !== undefined && r.protocol !== null) body.push(attr(FRA.PROTOCOL, u8(r.protocol)));
  return body;
}
