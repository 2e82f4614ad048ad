import { AF_INET, AF_UNSPEC, IFA } from "./constants";
import { formatIp, ipBytes } from "./ip";
import { NetlinkParseError } from "../errors";
import { attr, attrString, attrU32, need, parseAttributes, u32 } from "./message";

export interface Address {
  family: number;
  index: number;
  prefixLength: number;
  scope: number;
  flags: number;
  /** The interface's own address (IFA_LOCAL, or IFA_ADDRESS when there is no IFA_LOCAL). */
  address: string;
  /** The far end on point-to-point links. */
  peer: string | null;
  label: string | null;
}

const IFADDRMSG_LEN = 8;

export function parseAddress(payload: Buffer): Address {
  need(payload, IFADDRMSG_LEN, "ifaddrmsg");
  const a = parseAttributes(payload, IFADDRMSG_LEN);
  const local = a.get(IFA.LOCAL);
  const addr = a.get(IFA.ADDRESS);
  const own = local ?? addr;
  const text = own ? formatIp(own) : null;
  if (!text) throw new NetlinkParseError("address message without a valid address");
  const peer = local && addr && !addr.equals(local) ? formatIp(addr) : null;
  return {
    family: payload[0] as number,
    prefixLength: payload[1] as number,
    flags: attrU32(a.get(IFA.FLAGS)) ?? (payload[2] as number),
    scope: payload[3] as number,
    index: payload.readUInt32LE(4),
    address: text,
    peer,
    label: attrString(a.get(IFA.LABEL)),
  };
}

export function ifaddrmsg(family = AF_UNSPEC): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b.writeUInt8(family, 0);
  return b;
}

export const familyName = (family: number): "ipv4" | "ipv6" => (family === AF_INET ? "ipv4" : "ipv6");

/** ifaddrmsg + attributes for an address (RTM_NEWADDR/DELADDR, or the fake kernel's replies). */
export function addressBody(a: Address): Buffer[] {
  const head = ifaddrmsg(a.family);
  head.writeUInt8(a.prefixLength, 1);
  head.writeUInt8(a.flags & 0xff, 2);
  head.writeUInt8(a.scope, 3);
  head.writeUInt32LE(a.index, 4);
  const local = ipBytes(a.address);
  const body: Buffer[] = [head, attr(IFA.ADDRESS, a.peer ? ipBytes(a.peer) : local), attr(IFA.LOCAL, local)];
  if (a.label) body.push(attr(IFA.LABEL, Buffer.from(`${a.label}\0`)));
  body.push(attr(IFA.FLAGS, u32(a.flags)));
  return body;
}
