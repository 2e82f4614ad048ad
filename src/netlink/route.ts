import { AF_INET, RTA, RT_TABLE } from "./constants";
import { attrIp, ipBytes } from "./ip";
import { attr, attrU32, need, parseAttributes, u32 } from "./message";

export interface Route {
  family: number;
  /** Full table id: RTA_TABLE when present (ids ≥ 256 are only there). */
  table: number;
  protocol: number;
  scope: number;
  type: number;
  tos: number;
  flags: number;
  dst: string | null;
  dstLength: number;
  src: string | null;
  srcLength: number;
  gateway: string | null;
  oif: number | null;
  priority: number | null;
  prefsrc: string | null;
}

const RTMSG_LEN = 12;

export function parseRoute(payload: Buffer): Route {
  need(payload, RTMSG_LEN, "rtmsg");
  const a = parseAttributes(payload, RTMSG_LEN);
  const ip = (t: number) => attrIp(a.get(t));
  return {
    family: payload[0] as number,
    dstLength: payload[1] as number,
    srcLength: payload[2] as number,
    tos: payload[3] as number,
    table: attrU32(a.get(RTA.TABLE)) ?? (payload[4] as number),
    protocol: payload[5] as number,
    scope: payload[6] as number,
    type: payload[7] as number,
    flags: payload.readUInt32LE(8),
    dst: ip(RTA.DST),
    src: ip(RTA.SRC),
    gateway: ip(RTA.GATEWAY),
    oif: attrU32(a.get(RTA.OIF)),
    priority: attrU32(a.get(RTA.PRIORITY)),
    prefsrc: ip(RTA.PREFSRC),
  };
}

export interface RouteSpec {
  family: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  dst: string | null;
  dstLength: number;
  gateway?: string | null;
  oif?: number | null;
  priority?: number | null;
  prefsrc?: string | null;
}

/** rtmsg + attributes for RTM_NEWROUTE/DELROUTE, or a dump filter (family only). */
export function routeBody(r: Partial<RouteSpec> & { family: number }): Buffer[] {
  const head = Buffer.alloc(RTMSG_LEN);
  const table = r.table ?? RT_TABLE.UNSPEC;
  head.writeUInt8(r.family, 0);
  head.writeUInt8(r.dstLength ?? 0, 1);
  // Table ids ≥ 256 only fit in RTA_TABLE; the header then says 0 (unspec).
  head.writeUInt8(table < 256 ? table : RT_TABLE.UNSPEC, 4);
  head.writeUInt8(r.protocol ?? 0, 5);
  head.writeUInt8(r.scope ?? 0, 6);
  head.writeUInt8(r.type ?? 0, 7);
  const body: Buffer[] = [head];
  if (r.table !== undefined) body.push(attr(RTA.TABLE, u32(table)));
  if (r.dst) body.push(attr(RTA.DST, ipBytes(r.dst)));
  if (r.gateway) body.push(attr(RTA.GATEWAY, ipBytes(r.gateway)));
  if (r.oif) body.push(attr(RTA.OIF, u32(r.oif)));
  if (r.priority !== undefined && r.priority !== null) body.push(attr(RTA.PRIORITY, u32(r.priority)));
  if (r.prefsrc) body.push(attr(RTA.PREFSRC, ipBytes(r.prefsrc)));
  return body;
}

/** As `ip route` shows it: "default", or ADDRESS/PREFIX. */
export function routeDestination(r: Pick<Route, "family" | "dst" | "dstLength">): string {
  if (r.dstLength === 0) return "default";
  return `${r.dst ?? (r.family === AF_INET ? "0.0.0.0" : "::")}/${r.dstLength}`;
}
