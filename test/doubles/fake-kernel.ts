// A small model of the kernel's rtnetlink side for tests: answers dumps and
// rule/route requests from its own tables with the real codec, multicasts
// changes to subscribed fake sockets, and can be told to overrun a socket.
import { addressBody, type Address } from "../../src/netlink/address";
import { AF_INET, NLM_F, NLMSG, RTM, RTNLGRP } from "../../src/netlink/constants";
import { linkBody, type Link } from "../../src/netlink/link";
import { buildMessage, splitMessages } from "../../src/netlink/message";
import { parseRoute, type Route, routeBody } from "../../src/netlink/route";
import { parseRule, type Rule, ruleBody } from "../../src/netlink/rule";
import { addressKey, routeIdentity, routeKey, ruleKey } from "../../src/kernel/keys";
import { emptyTables } from "../../src/kernel/tables";
import { FakeBinding, type FakeNetlinkHandle, type FakeResponder } from "./fake-binding";
import { constants as osConstants } from "node:os";

const ERRNO = osConstants.errno;
/** Messages per dump datagram, small so dumps span several reads. */
const DUMP_BATCH = 3;

export class FakeKernel implements FakeResponder {
  readonly binding = new FakeBinding(this);
  readonly tables = emptyTables();
  /** Requests seen, by message type. */
  readonly requests: number[] = [];

  handle(request: Buffer, from: FakeNetlinkHandle): void {
    for (const msg of splitMessages(request).messages) {
      const { type, flags, seq } = msg.header;
      this.requests.push(type);
      const reply = (datagrams: Buffer[]) => from.deliver(datagrams);
      const ack = (errno: number) => {
        const err = Buffer.alloc(4 + 16);
        err.writeInt32LE(-errno, 0);
        request.copy(err, 4, 0, 16);
        if (errno !== 0 || flags & NLM_F.ACK)
          reply([buildMessage(NLMSG.ERROR, NLM_F.CAPPED, seq, [err], from.portId)]);
      };
      // Only GET requests dump (the DUMP bits mean other things on NEW requests: EXCL is 0x200).
      if (type % 4 === 2 && flags & NLM_F.DUMP) {
        // A route dump filtered by RTA_OIF, as strict checking allows: that link's routes, ENODEV if it is gone.
        const oif = type === RTM.GETROUTE ? parseRoute(msg.payload).oif : null;
        if (oif !== null && !this.tables.links.has(oif)) return ack(ERRNO.ENODEV);
        const bodies = this.dumpBodies(type, oif);
        if (!bodies) return ack(ERRNO.EOPNOTSUPP);
        const messages = bodies.map(([t, b]) => buildMessage(t, NLM_F.MULTI, seq, b, from.portId));
        const datagrams: Buffer[] = [];
        for (let i = 0; i < messages.length; i += DUMP_BATCH)
          datagrams.push(Buffer.concat(messages.slice(i, i + DUMP_BATCH)));
        datagrams.push(buildMessage(NLMSG.DONE, NLM_F.MULTI, seq, [Buffer.alloc(4)], from.portId));
        reply(datagrams);
        continue;
      }
      switch (type) {
        case RTM.NEWROUTE: {
          const r = parseRoute(msg.payload);
          const exists = [...this.tables.routes.values()].some((x) => routeIdentity(x) === routeIdentity(r));
          if (exists && flags & NLM_F.EXCL) ack(ERRNO.EEXIST);
          else ack(this.changeRoute("new", r) ? 0 : ERRNO.EEXIST);
          break;
        }
        case RTM.DELROUTE: {
          const r = parseRoute(msg.payload);
          const found = [...this.tables.routes.values()].find(
            (x) => routeIdentity(x) === routeIdentity(r) && (r.oif === null || x.oif === r.oif),
          );
          ack(found && this.changeRoute("del", found) ? 0 : ERRNO.ESRCH);
          break;
        }
        case RTM.NEWRULE: {
          const rule = parseRule(msg.payload);
          ack(
            this.tables.rules.has(ruleKey(rule)) && flags & NLM_F.EXCL
              ? ERRNO.EEXIST
              : (this.changeRule("new", rule), 0),
          );
          break;
        }
        case RTM.DELRULE:
          ack(this.changeRule("del", parseRule(msg.payload)) ? 0 : ERRNO.ENOENT);
          break;
        default:
          ack(ERRNO.EOPNOTSUPP);
      }
    }
  }

  private dumpBodies(type: number, oif: number | null): [number, Buffer[]][] | undefined {
    switch (type) {
      case RTM.GETLINK:
        return [...this.tables.links.values()].map((l) => [RTM.NEWLINK, linkBody(l)]);
      case RTM.GETADDR:
        return [...this.tables.addresses.values()].map((a) => [RTM.NEWADDR, addressBody(a)]);
      case RTM.GETROUTE:
        return [...this.tables.routes.values()]
          .filter((r) => oif === null || r.oif === oif)
          .map((r) => [RTM.NEWROUTE, routeBody(r)]);
      case RTM.GETRULE:
        return [...this.tables.rules.values()].map((r) => [
          RTM.NEWRULE,
          ruleBody({ ...r, priority: r.priority ?? 0 }),
        ]);
      default:
        return undefined;
    }
  }

  private multicast(group: number, type: number, body: Buffer[]): void {
    const message = buildMessage(type, 0, 0, body);
    for (const s of this.binding.sockets) if (!s.closed && s.groups.has(group)) s.deliver([message]);
  }

  // Driving the fake, as a test changes the "system".
  setLink(link: Link): void {
    this.tables.links.set(link.index, link);
    this.multicast(RTNLGRP.LINK, RTM.NEWLINK, linkBody(link));
  }
  removeLink(index: number): void {
    const link = this.tables.links.get(index);
    if (!link) return;
    for (const a of [...this.tables.addresses.values()]) if (a.index === index) this.changeAddress("del", a);
    for (const [k, r] of this.tables.routes) if (r.oif === index) this.tables.routes.delete(k); // silently, as IPv4 flushes are
    this.tables.links.delete(index);
    this.multicast(RTNLGRP.LINK, RTM.DELLINK, linkBody(link));
  }
  changeAddress(action: "new" | "del", a: Address): boolean {
    const key = addressKey(a);
    if (action === "del" && !this.tables.addresses.delete(key)) return false;
    if (action === "new") this.tables.addresses.set(key, a);
    const group = a.family === AF_INET ? RTNLGRP.IPV4_IFADDR : RTNLGRP.IPV6_IFADDR;
    this.multicast(group, action === "new" ? RTM.NEWADDR : RTM.DELADDR, addressBody(a));
    return true;
  }
  changeRoute(action: "new" | "del", r: Route): boolean {
    const key = routeKey(r);
    if (action === "del" && !this.tables.routes.delete(key)) return false;
    if (action === "new") this.tables.routes.set(key, r);
    const group = r.family === AF_INET ? RTNLGRP.IPV4_ROUTE : RTNLGRP.IPV6_ROUTE;
    this.multicast(group, action === "new" ? RTM.NEWROUTE : RTM.DELROUTE, routeBody(r));
    return true;
  }
  changeRule(action: "new" | "del", r: Rule): boolean {
    const key = ruleKey(r);
    if (action === "del" && !this.tables.rules.delete(key)) return false;
    if (action === "new") this.tables.rules.set(key, r);
    const group = r.family === AF_INET ? RTNLGRP.IPV4_RULE : RTNLGRP.IPV6_RULE;
    this.multicast(
      group,
      action === "new" ? RTM.NEWRULE : RTM.DELRULE,
      ruleBody({ ...r, priority: r.priority ?? 0 }),
    );
    return true;
  }
  /** Changes the tables without telling anyone, then reports ENOBUFS: what a full receive queue does. */
  overrun(socket: FakeNetlinkHandle, silently: () => void): void {
    silently();
    socket.deliverError("ENOBUFS");
  }
}
