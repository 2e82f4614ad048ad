// Captures rtnetlink dump bytes from this kernel as test fixtures:
//   npm run build && node scripts/capture-netlink-fixtures.mjs   (as root)
// Writes test/fixtures/netlink/{links,addresses,routes,rules}.bin (each
// datagram prefixed with its u32 length) and expected.json (what `ip -j`
// showed at the same moment, in the tests' canonical lines).
import { execFileSync } from "node:child_process";
import { Buffer } from "node:buffer";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const require = createRequire(import.meta.url);
const { realBinding } = require(path.join(root, "dist/src/native/real.js"));
const { buildMessage, splitMessages } = require(path.join(root, "dist/src/netlink/message.js"));
const { ifinfomsg } = require(path.join(root, "dist/src/netlink/link.js"));
const { ifaddrmsg } = require(path.join(root, "dist/src/netlink/address.js"));
const { routeBody } = require(path.join(root, "dist/src/netlink/route.js"));
const { ruleBody } = require(path.join(root, "dist/src/netlink/rule.js"));
const C = require(path.join(root, "dist/src/netlink/constants.js"));

const ns = `nvcapture${process.pid}`;
const ip = (...a) => execFileSync("ip", ["-n", ns, ...a], { encoding: "utf8" });
const out = path.join(root, "test/fixtures/netlink");
mkdirSync(out, { recursive: true });

execFileSync("ip", ["netns", "add", ns]);
try {
  for (const step of [
    "link set lo up",
    "link add ve0 type veth peer name ve1",
    "link add br0 type bridge",
    "link set ve1 master br0",
    "link set ve0 up",
    "link set ve1 up",
    "link set br0 up",
    "addr add 192.0.2.10/24 dev ve0",
    "addr add 198.51.100.1 peer 198.51.100.2/32 dev ve0",
    "-6 addr add 2001:db8:1::10/64 dev ve0 nodad",
    "route add 203.0.113.0/24 via 192.0.2.1 table 1000 metric 7",
    "route add default via 192.0.2.1 dev ve0 table 70000 proto static",
    "route add unreachable 10.99.0.0/16 table 1000",
    "-6 route add 2001:db8:9::/48 via 2001:db8:1::1 table 1000",
    "rule add from 192.0.2.10 lookup 1000 priority 1000 proto static",
    "rule add to 192.0.2.10/32 lookup 70000 priority 1001",
    "-6 rule add from 2001:db8:1::10 lookup 1000 priority 1002",
  ])
    ip(...step.split(" "));
  execFileSync("sleep", ["1"]); // let IPv6 link-local addresses settle

  const b = realBinding();
  const home = openSync("/proc/thread-self/ns/net", "r");
  const target = openSync(`/run/netns/${ns}`, "r");
  b.setns(target, 0x40000000);
  const h = b.openNetlink(C.NETLINK_ROUTE);
  b.setns(home, 0x40000000);
  closeSync(home);
  closeSync(target);

  const dumps = [
    ["links", C.RTM.GETLINK, [ifinfomsg()]],
    ["addresses", C.RTM.GETADDR, [ifaddrmsg()]],
    ["routes", C.RTM.GETROUTE, routeBody({ family: C.AF_UNSPEC })],
    ["rules", C.RTM.GETRULE, ruleBody({ family: C.AF_UNSPEC })],
  ];
  let seq = 100;
  const next = async ([name, type, body]) => {
    const mySeq = ++seq;
    const chunks = [];
    await new Promise((resolve) => {
      h.start((err, datagrams) => {
        if (err) throw err;
        for (const d of datagrams) {
          chunks.push(d);
          if (
            splitMessages(d).messages.some((m) => m.header.seq === mySeq && m.header.type === C.NLMSG.DONE)
          ) {
            h.stop();
            resolve();
          }
        }
      });
      h.send(buildMessage(type, C.NLM_F.REQUEST | C.NLM_F.DUMP, mySeq, body));
    });
    const framed = chunks.flatMap((c) => {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(c.length);
      return [len, c];
    });
    writeFileSync(path.join(out, `${name}.bin`), Buffer.concat(framed));
  };
  for (const d of dumps) await next(d);
  h.close();
  const json = (...a) => JSON.parse(ip("-j", ...a) || "[]");
  writeFileSync(
    path.join(out, "ip.json"),
    `${JSON.stringify(
      {
        kernel: execFileSync("uname", ["-r"], { encoding: "utf8" }).trim(),
        link: json("link", "show"),
        addr: json("addr", "show"),
        route4: json("-4", "route", "show", "table", "all"),
        route6: json("-6", "route", "show", "table", "all"),
        rule4: json("-4", "rule", "show"),
        rule6: json("-6", "rule", "show"),
      },
      null,
      1,
    )}\n`,
  );
  console.log(`wrote fixtures to ${out}`);
} finally {
  execFileSync("ip", ["netns", "del", ns]);
}
