// NLMSG_ERROR: errno 0 is an ACK; otherwise the request failed. With
// NETLINK_EXT_ACK the kernel adds a message text (NLMSGERR_ATTR_MSG = 1).
import { NetlinkError } from "../errors";
import { NLM_F, NLMSG_HDRLEN } from "./constants";
import { attrString, need, parseAttributes } from "./message";
import { errnoName } from "./errno";

export interface ErrorReply {
  /** Positive, as errno(3) names it; NetlinkError carries it negative. */
  errno: number;
  /** Sequence number of the request this answers. */
  seq: number;
  extack: string | null;
}

export function parseError(payload: Buffer, flags: number): ErrorReply {
  need(payload, 4 + NLMSG_HDRLEN, "nlmsgerr");
  const errno = -payload.readInt32LE(0);
  const seq = payload.readUInt32LE(4 + 8);
  let extack: string | null = null;
  if (flags & NLM_F.ACK_TLVS) {
    // The original request follows, whole unless NLM_F_CAPPED (then only its header).
    const origLen = flags & NLM_F.CAPPED ? NLMSG_HDRLEN : payload.readUInt32LE(4);
    const at = 4 + ((origLen + 3) & ~3);
    if (at <= payload.length) {
      try {
        extack = attrString(parseAttributes(payload, at).get(1));
      } catch {
        extack = null; // a malformed extack costs only the text
      }
    }
  }
  return { errno, seq, extack };
}

export function toNetlinkError(reply: ErrorReply): NetlinkError {
  return new NetlinkError(reply.errno, errnoName(reply.errno), reply.extack);
}
