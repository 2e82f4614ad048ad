import { AF_UNSPEC, IFF_LOWER_UP, IFF_UP, IFLA, IFLA_INFO_KIND, OPERSTATES } from "./constants";
import { attr, attrString, attrU32, attrU8, need, parseAttributes, u32, u8 } from "./message";

export interface Link {
  index: number;
  name: string;
  /** ARPHRD_* type. */
  type: number;
  flags: number;
  up: boolean;
  lowerUp: boolean;
  mtu: number | null;
  mac: string | null;
  operstate: string;
  carrier: boolean | null;
  master: number | null;
  /** IFLA_INFO_KIND: veth, bridge, vlan, … (null for physical devices). */
  kind: string | null;
}

const IFINFOMSG_LEN = 16;

export function parseLink(payload: Buffer): Link {
  need(payload, IFINFOMSG_LEN, "ifinfomsg");
  const flags = payload.readUInt32LE(8);
  const a = parseAttributes(payload, IFINFOMSG_LEN);
  const mac = a.get(IFLA.ADDRESS);
  const info = a.get(IFLA.LINKINFO);
  const operstate = attrU8(a.get(IFLA.OPERSTATE));
  const carrier = attrU8(a.get(IFLA.CARRIER));
  return {
    index: payload.readInt32LE(4),
    name: attrString(a.get(IFLA.IFNAME)) ?? "",
    type: payload.readUInt16LE(2),
    flags,
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    mtu: attrU32(a.get(IFLA.MTU)),
    mac: mac && mac.length > 0 ? [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":") : null,
    operstate: operstate === null ? "unknown" : (OPERSTATES[operstate] ?? "unknown"),
    carrier: carrier === null ? null : carrier !== 0,
    master: attrU32(a.get(IFLA.MASTER)) || null,
    kind: info ? attrString(parseAttributes(info, 0).get(IFLA_INFO_KIND)) : null,
  };
}

/** ifinfomsg for requests (dumps). */
export function ifinfomsg(index = 0, family = AF_UNSPEC): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  return b;
}

/** ifinfomsg + attributes describing a link, as the kernel sends it (the fake kernel uses this). */
export function linkBody(l: Link): Buffer[] {
  const head = ifinfomsg(l.index);
  head.writeUInt16LE(l.type, 2);
  head.writeUInt32LE(l.flags >>> 0, 8);
  const body: Buffer[] = [head, attr(IFLA.IFNAME, Buffer.from(`${l.name}\0`))];
  if (l.mtu !== null) body.push(attr(IFLA.MTU, u32(l.mtu)));
  if (l.mac) body.push(attr(IFLA.ADDRESS, Buffer.from(l.mac.split(":").map((h) => Number.parseInt(h, 16)))));
  body.push(
    attr(IFLA.OPERSTATE, u8(Math.max(0, OPERSTATES.indexOf(l.operstate as (typeof OPERSTATES)[number])))),
  );
  if (l.carrier !== null) body.push(attr(IFLA.CARRIER, u8(l.carrier ? 1 : 0)));
  if (l.master !== null) body.push(attr(IFLA.MASTER, u32(l.master)));
  if (l.kind) body.push(attr(IFLA.LINKINFO, attr(IFLA_INFO_KIND, Buffer.from(`${l.kind}\0`))));
  return body;
}
