// Netlink framing: nlmsghdr and rtattr, read and written with bounds checks.
// Malformed input raises NetlinkParseError, which the receive loop logs and drops.
import { NetlinkParseError } from "../errors";
import { NLMSG_HDRLEN, RTA_HDRLEN } from "./constants";

interface NlHeader {
  length: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

export interface NlMessage {
  header: NlHeader;
  /** The bytes after the header, up to header.length. */
  payload: Buffer;
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Splits one datagram into messages. A bad length ends the datagram with an error for what is left. */
export function splitMessages(datagram: Buffer): { messages: NlMessage[]; error?: NetlinkParseError } {
  const messages: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= datagram.length) {
    const length = datagram.readUInt32LE(off);
    if (length < NLMSG_HDRLEN || off + length > datagram.length) {
      return {
        messages,
        error: new NetlinkParseError(`message length ${length} at offset ${off} exceeds the datagram`),
      };
    }
    messages.push({
      header: {
        length,
        type: datagram.readUInt16LE(off + 4),
        flags: datagram.readUInt16LE(off + 6),
        seq: datagram.readUInt32LE(off + 8),
        pid: datagram.readUInt32LE(off + 12),
      },
      payload: datagram.subarray(off + NLMSG_HDRLEN, off + length),
    });
    off += align4(length);
  }
  // Fewer bytes than a header may follow as padding; anything else is noise.
  if (off < datagram.length && datagram.subarray(off).some((b) => b !== 0)) {
    return {
      messages,
      error: new NetlinkParseError(`${datagram.length - off} stray bytes after the last message`),
    };
  }
  return { messages };
}

/** Attributes by type (the last one wins when repeated). The 0x8000/0x4000 flag bits are masked. */
export function parseAttributes(buf: Buffer, offset: number): Map<number, Buffer> {
  const attrs = new Map<number, Buffer>();
  let off = offset;
  while (off + RTA_HDRLEN <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & 0x3fff;
    if (len < RTA_HDRLEN || off + len > buf.length) {
      throw new NetlinkParseError(`attribute ${type} length ${len} at offset ${off} exceeds the message`);
    }
    attrs.set(type, buf.subarray(off + RTA_HDRLEN, off + len));
    off += align4(len);
  }
  return attrs;
}

export function need(buf: Buffer, bytes: number, what: string): void {
  if (buf.length < bytes) throw new NetlinkParseError(`${what}: ${buf.length} bytes, need ${bytes}`);
}

export const attrU32 = (a: Buffer | undefined): number | null =>
  a && a.length >= 4 ? a.readUInt32LE(0) : null;
export const attrU8 = (a: Buffer | undefined): number | null =>
  a && a.length >= 1 ? (a[0] as number) : null;
export const attrString = (a: Buffer | undefined): string | null => {
  if (!a) return null;
  const nul = a.indexOf(0);
  return a.subarray(0, nul === -1 ? a.length : nul).toString("utf8");
};

/** Builds one attribute (header, value, padding). */
export function attr(type: number, value: Buffer): Buffer {
  const len = RTA_HDRLEN + value.length;
  const out = Buffer.alloc(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  value.copy(out, RTA_HDRLEN);
  return out;
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0, 0);
  return b;
}

export function u8(value: number): Buffer {
  return Buffer.from([value & 0xff]);
}

/** A whole message: header (length filled in) + fixed part + attributes. */
export function buildMessage(type: number, flags: number, seq: number, body: Buffer[], pid = 0): Buffer {
  const payload = Buffer.concat(body);
  const out = Buffer.alloc(NLMSG_HDRLEN + payload.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(flags, 6);
  out.writeUInt32LE(seq >>> 0, 8);
  out.writeUInt32LE(pid >>> 0, 12);
  payload.copy(out, NLMSG_HDRLEN);
  return out;
}
