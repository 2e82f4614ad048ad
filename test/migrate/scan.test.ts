// The variable scan finds networkd-dispatcher's and network-broker's
// variables however a hook reads its environment: shell, Python, Perl, Ruby,
// awk, JavaScript, Go or C.
import { describe, expect, it } from "vitest";
import { BROKER_PATTERNS, DISPATCHER_PATTERNS, scanScript } from "../../migrate/scripts";

const found = (text: string, patterns = DISPATCHER_PATTERNS) =>
  scanScript("hook", text, patterns).map((f) => `${f.line} ${f.variable}`);

describe("the variable scan", () => {
  it("finds a variable in every language's way of reading the environment", () => {
    expect(
      found(
        [
          'logger "$IFACE up"', // shell
          "iface = os.environ['IFACE']", // Python
          'addrs = os.environ.get("IP_ADDRS", "")',
          'state = os.getenv("OperationalState")',
          "my $s = $ENV{AdministrativeState};", // Perl
          'ip6 = ENV["IP6_ADDRS"]', // Ruby
          'e = ENV.fetch("ESSID")',
          "awk 'BEGIN { print ENVIRON[\"ADDR\"] }'", // awk
          "const j = process.env.json;", // JavaScript
          'iface := os.Getenv("IFACE")', // Go
          'char *s = getenv("IFACE");', // C
          "printenv IFACE",
        ].join("\n"),
      ),
    ).toEqual([
      "1 IFACE",
      "2 IFACE",
      "3 IP_ADDRS",
      "4 OperationalState",
      "5 AdministrativeState",
      "6 IP6_ADDRS",
      "7 ESSID",
      "8 ADDR",
      "9 json",
      "10 IFACE",
      "11 IFACE",
      "12 IFACE",
    ]);
  });

  it("does not take other words for variables", () => {
    expect(found('INTERFACE="$LINK"\necho "IFACE is the old name"\nmy_iface = os.environ["LINK"]\n')).toEqual(
      [],
    );
    expect(found('echo "$DOMAINS"', BROKER_PATTERNS)).toEqual([]);
    expect(found('d = os.environ["DOMAIN"]', BROKER_PATTERNS)).toEqual(["1 DOMAIN"]);
  });
});
