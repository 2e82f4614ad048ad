// The variable scan finds network-broker's variables, and what netevd does not
// give NetworkManager-dispatcher scripts, however a hook reads its
// environment: shell, Python, Perl, Ruby, awk, JavaScript, Go or C.
import { describe, expect, it } from "vitest";
import { NM_DISPATCHER } from "../../migrate/dispatchers";
import { BROKER_PATTERNS, scanScript } from "../../migrate/scripts";

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
          'case "$2" in vpn-up) ;; esac',
          'if sys.argv[2] == "pre-up":',
          'vpn = os.environ["VPN_IP_IFACE"]',
          'if [ "$2" = "up" ]; then echo "$IP4_ADDRESS_0"; fi',
        ].join("\n"),
        NM_DISPATCHER.patterns,
      ),
    ).toEqual(["1 vpn-up", "2 pre-up", "3 VPN_IP_IFACE"]);
  });
});
