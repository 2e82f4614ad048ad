// A netlink socket with request bookkeeping: sequence numbers, ACKs, dumps
// (one at a time, as the kernel requires), a cap on requests in flight,
// de-duplication of identical pending requests, timeouts, and rejection of
// everything pending on close. Messages that are not replies (events, dump
// parts) go to onMessage in arrival order.
import type { NativeBinding, NativeError, NetlinkHandle } from "../native/binding";
import type { Logger } from "../log/logger";
import { CanceledError, type NetlinkError, OverrunError, TimeoutError } from "../errors";
import {
  NETLINK_EXT_ACK,
  NETLINK_GET_STRICT_CHK,
  NETLINK_ROUTE,
  NLM_F,
  NLMSG,
  SOL_NETLINK,
} from "./constants";
import { parseError, toNetlinkError } from "./error";
import { buildMessage, type NlMessage, splitMessages } from "./message";

export interface ClientOptions {
  log: Logger;
  groups?: readonly number[];
  /** Receive buffer to ask for; the kernel may give less without CAP_NET_ADMIN. */
  receiveBuffer?: number;
  requestTimeoutMs?: number;
  maxInFlight?: number;
  onMessage?: (msg: NlMessage) => void;
  /** The kernel dropped messages for this socket (ENOBUFS): state must be re-read. */
  onOverrun?: (err: OverrunError) => void;
  /** Take over this unbound netlink socket (one opened in another namespace) instead of opening one. */
  fd?: number;
}

export interface DumpResult {
  /** NLM_F_DUMP_INTR was set: the dump is inconsistent and must be repeated. */
  interrupted: boolean;
}

interface Pending {
  seq: number;
  dump: boolean;
  /** Where this dump's parts go instead of onMessage. */
  onPart?: (msg: NlMessage) => void;
  interrupted: boolean;
  key: string | null;
  resolve: (r: DumpResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ClientStats {
  datagrams: number;
  messages: number;
  overruns: number;
  parseErrors: number;
  truncated: number;
}

export class NetlinkClient {
  private handle: NetlinkHandle | undefined;
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly pending = new Map<number, Pending>();
  private readonly byKey = new Map<string, Promise<DumpResult>>();
  private readonly waiting: (() => void)[] = [];
  private dumpChain: Promise<unknown> = Promise.resolve();
  readonly stats: ClientStats = { datagrams: 0, messages: 0, overruns: 0, parseErrors: 0, truncated: 0 };

  constructor(
    private readonly binding: NativeBinding,
    private readonly opts: ClientOptions,
  ) {}

  get receiveBufferSize(): number {
    return this.rcvbuf;
  }
  private rcvbuf = 0;

  /** Opens the socket, joins the groups, starts reading. Groups first: then dumps miss nothing. */
  open(): void {
    const h = this.binding.openNetlink(NETLINK_ROUTE, this.opts.fd);
    try {
      h.setIntOption(SOL_NETLINK, NETLINK_EXT_ACK, 1);
      h.setIntOption(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
      if (this.opts.receiveBuffer) this.rcvbuf = h.setReceiveBuffer(this.opts.receiveBuffer);
      for (const g of this.opts.groups ?? []) h.joinGroup(g);
      h.start((err, datagrams, truncated) => this.receive(err, datagrams, truncated));
    } catch (err) {
      h.close();
      throw err;
    }
    this.handle = h;
  }

  get isOpen(): boolean {
    return this.handle !== undefined;
  }

  /**
   * A dump request; its parts reach onPart if given, else onMessage (in order
   * with events); resolves on NLMSG_DONE. Dumps run one at a time.
   */
  dump(type: number, body: Buffer[], onPart?: (msg: NlMessage) => void): Promise<DumpResult> {
    const run = this.dumpChain.then(() =>
      this.send(type, NLM_F.REQUEST | NLM_F.DUMP, body, true, null, onPart),
    );
    this.dumpChain = run.catch(() => undefined);
    return run;
  }

  /** A change request with ACK; rejects with NetlinkError (err.code "EEXIST", "ENOENT", …). */
  async request(type: number, flags: number, body: Buffer[]): Promise<void> {
    const key = `${type}:${flags}:${Buffer.concat(body).toString("hex")}`;
    const same = this.byKey.get(key);
    if (same) {
      await same;
      return;
    }
    const p = this.send(type, NLM_F.REQUEST | NLM_F.ACK | flags, body, false, key);
    this.byKey.set(key, p);
    try {
      await p;
    } finally {
      this.byKey.delete(key);
    }
  }

  private async send(
    type: number,
    flags: number,
    body: Buffer[],
    dump: boolean,
    key: string | null,
    onPart?: (msg: NlMessage) => void,
  ): Promise<DumpResult> {
    const max = this.opts.maxInFlight ?? 64;
    while (this.pending.size >= max) await new Promise<void>((r) => this.waiting.push(r));
    const h = this.handle;
    if (!h) throw new CanceledError("netlink socket is closed");
    const seq = (this.seq = (this.seq + 1) >>> 0 || 1);
    return new Promise<DumpResult>((resolve, reject) => {
      const timeoutMs = this.opts.requestTimeoutMs ?? 5000;
      const p: Pending = {
        seq,
        dump,
        onPart,
        interrupted: false,
        key,
        resolve,
        reject,
        timer: setTimeout(
          () => this.finish(seq, new TimeoutError(`netlink request ${type} timed out after ${timeoutMs} ms`)),
          timeoutMs,
        ),
      };
      this.pending.set(seq, p);
      try {
        h.send(buildMessage(type, flags, seq, body));
      } catch (err) {
        this.finish(seq, err as Error);
      }
    });
  }

  private finish(seq: number, error: Error | null): void {
    const p = this.pending.get(seq);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(seq);
    if (error) p.reject(error);
    else p.resolve({ interrupted: p.interrupted });
    this.waiting.shift()?.();
  }

  private receive(err: NativeError | null, datagrams: Buffer[], truncated: number[]): void {
    if (err) {
      if (err.code === "ENOBUFS") {
        this.stats.overruns++;
        const overrun = new OverrunError("the kernel dropped netlink messages (ENOBUFS)");
        this.opts.log.warn(`${overrun.message}: re-reading its state`);
        this.opts.onOverrun?.(overrun);
      } else {
        this.opts.log.error(`netlink receive failed: ${err.message}`, { code: err.code });
      }
    }
    for (const [i, datagram] of datagrams.entries()) {
      this.stats.datagrams++;
      if (truncated.includes(i)) {
        // Parts of a cut datagram are lost: treat it like an overrun.
        this.stats.truncated++;
        const overrun = new OverrunError(`netlink datagram truncated (${datagram.length} bytes read)`);
        this.opts.log.warn(`${overrun.message}: re-reading state`);
        this.opts.onOverrun?.(overrun);
        continue;
      }
      const { messages, error } = splitMessages(datagram);
      if (error) {
        this.stats.parseErrors++;
        this.opts.log.warn(`malformed netlink datagram dropped: ${error.message}`);
      }
      for (const msg of messages) this.dispatch(msg);
    }
  }

  private dispatch(msg: NlMessage): void {
    this.stats.messages++;
    const { type, seq, flags } = msg.header;
    if (type === NLMSG.ERROR || type === NLMSG.DONE) {
      let replySeq = seq;
      let error: NetlinkError | null = null;
      if (type === NLMSG.ERROR) {
        try {
          const reply = parseError(msg.payload, flags);
          replySeq = reply.seq || seq;
          if (reply.errno !== 0) error = toNetlinkError(reply);
        } catch (e) {
          this.stats.parseErrors++;
          this.opts.log.warn(`malformed netlink error reply dropped: ${(e as Error).message}`);
          return;
        }
      }
      if (!this.pending.has(replySeq)) {
        this.opts.log.debug("netlink reply for no pending request (timed out?)", { seq: replySeq });
        return;
      }
      this.finish(replySeq, error);
      return;
    }
    if (type === NLMSG.NOOP || type === NLMSG.OVERRUN) return;
    // A dump part carries the dump's sequence number and this socket's port id; events do not.
    const p = this.pending.get(seq);
    const part = p?.dump && msg.header.pid === this.handle?.portId ? p : undefined;
    if (part && flags & NLM_F.DUMP_INTR) part.interrupted = true;
    try {
      (part?.onPart ?? this.opts.onMessage)?.(msg);
    } catch (e) {
      this.stats.parseErrors++;
      this.opts.log.warn(`netlink message type ${type} dropped: ${(e as Error).message}`);
    }
  }

  /** Closes the socket; every pending request is rejected with ECANCELED. */
  close(): void {
    const h = this.handle;
    this.handle = undefined;
    h?.close();
    for (const seq of [...this.pending.keys()]) this.finish(seq, new CanceledError("netlink socket closed"));
    for (const wake of this.waiting.splice(0)) wake();
  }
}
