// The variable scan finds network-broker's variables, and what netevd does not
// give NetworkManager-dispatcher scripts, however a hook reads its
// environment: shell, Python, Perl, Ruby, awk, JavaScript, Go or C.
import { describe, expect, it } from "vitest";
import { NM_DISPATCHER } from "../../migrate/dispatchers";
import { BROKER_PATTERNS, PRIVILEGE_PATTERNS, scanScript } from "../../migrate/scripts";

const found = (text: string, patterns = BROKER_PATTERNS) =>
  scanScript("hook", text, patterns).map((f) => `${f.line} ${f.variable}`);

describe("the variable scan", () => {
  it("finds a variable in every language's way of reading the environment", () => {
    expect(
      found(
        [
          'logger "$OperationalState up"', // shell
          "s = os.environ['AdministrativeState']", // Python
          'l = os.environ.get("DHCP_LEASE", "")',
          'state = os.getenv("CarrierState")',
          "my $s = $ENV{AddressState};", // Perl
          'd = ENV["DOMAIN"]', // Ruby
          'e = ENV.fetch("OnlineState")',
          "awk 'BEGIN { print ENVIRON[\"DOMAIN\"] }'", // awk
          "const j = process.env.OperationalState;", // JavaScript
          'a := os.Getenv("AdministrativeState")', // Go
          'char *s = getenv("DOMAIN");', // C
          "printenv DHCP_LEASE",
        ].join("\n"),
      ),
    ).toEqual([
      "1 OperationalState",
      "2 AdministrativeState",
      "3 DHCP_LEASE",
      "4 CarrierState",
      "5 AddressState",
      "6 DOMAIN",
      "7 OnlineState",
      "8 DOMAIN",
      "9 OperationalState",
      "10 AdministrativeState",
      "11 DOMAIN",
      "12 DHCP_LEASE",
    ]);
  });

  it("does not take other words for variables", () => {
    expect(
      found('STATE="$LINK"\necho "OperationalState is the old name"\nmy_s = os.environ["LINK"]\n'),
    ).toEqual([]);
    expect(found('echo "$DOMAINS"')).toEqual([]);
    expect(found('d = os.environ["DOMAIN"]')).toEqual(["1 DOMAIN"]);
  });

  it("finds what netevd does not give NetworkManager-dispatcher scripts, in any language", () => {
    expect(
      found(
        [
          'case "$2" in vpn-up) ;; reapply) ;; esac',
          'if sys.argv[2] == "pre-up":',
          'vpn = os.environ["VPN_IP_IFACE"]',
          'if [ "$2" = "up" ]; then echo "$IP4_ADDRESS_0 $PROXY_PAC_URL"; fi',
        ].join("\n"),
        NM_DISPATCHER.patterns,
      ),
    ).toEqual(["1 reapply", "2 pre-up", "4 PROXY_PAC_URL"]);
  });
});

describe("the privilege scan", () => {
  const needs = (text: string) => found(text, PRIVILEGE_PATTERNS);

  it("names each command a root hook ran that netevd's scripts may not", () => {
    expect(
      needs(
        [
          'ip rule add from "$ADDR" table 100', // network-broker's ip_routing_rule_add.sh
          "ip -4 route replace default via 10.0.0.1 table 100",
          "nft add rule inet filter input iifname $IFACE accept",
          "iptables -t nat -A POSTROUTING -o $IFACE -j MASQUERADE",
          "ethtool -K $IFACE gro off",
          "systemctl restart chronyd",
          'echo "nameserver $DNS" > /etc/resolv.conf',
          "sed -i s/old/new/ /etc/hosts",
          "cp /tmp/new.conf /etc/ntp.conf",
          "sysctl -w net.ipv4.ip_forward=1",
          "mount -t nfs srv:/x /mnt",
        ].join("\n"),
      ),
    ).toEqual([
      "1 ip (a change)",
      "2 ip (a change)",
      "3 nft",
      "4 iptables",
      "5 ethtool (a change)",
      "6 systemctl",
      "7 a write to /etc/resolv.conf",
      "8 a write to /etc/hosts",
      "9 a write to /etc/ntp.conf",
      "10 sysctl (a change)",
      "11 mount",
    ]);
  });

  it("leaves reading alone", () => {
    expect(
      needs(
        [
          "ip route show table 100",
          "ip -j addr show dev $IFACE",
          "ethtool $IFACE",
          "systemctl is-active chronyd",
          "cat /etc/hosts",
          "cp /etc/ntp.conf /tmp/backup",
          "grep -q x /etc/hosts && echo yes",
          "sysctl net.ipv4.ip_forward",
        ].join("\n"),
      ),
    ).toEqual([]);
  });
});
