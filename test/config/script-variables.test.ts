// Which variables a hook may read: a costly variable (networkd-dispatcher's
// json, systemd-networkd's DNS data) is computed only for a hook that may read
// it. The scanner errs one way: when it cannot tell, the hook reads everything.
import { execFileSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MANAGER_DETAILS } from "../../src/scripts/environment";
import { envRef, fileVersion, mayRead } from "../../src/config/script-variables";
import { tempDir, writeScript } from "../helpers/tmp";

const JSON_VARS = envRef("json|ADDR|ESSID|IP_ADDRS|IP6_ADDRS");

function script(body: string): { path: string; version: string } {
  const path = writeScript(tempDir(), "hook", body);
  const st = statSync(path);
  return { path, version: fileVersion(st) };
}

describe("mayRead: the variables a hook may read", () => {
  it.each([
    ['echo "$json" | jq .', true],
    ['printf %s "${IP_ADDRS}"', true],
    ['[ "$IFACE" = eth0 ] || exit 0\nlogger -t hook "$IFACE is $STATE"', false],
    ["exec >/dev/null 2>&1\nchronyc onoffline", false],
    ["# uses $json one day\ntrue", false],
    // The whole environment, or a name made at run time.
    ["env -0 > /tmp/env.out", true],
    ["printenv > /tmp/env.out", true],
    ['eval "echo \\$$1"', true],
    ['name=json; echo "${!name}"', true],
    // Handed to code netevd cannot see into.
    [". /etc/default/hook", true],
    ["run-parts /etc/network/if-up.d", true],
    ["python3 /usr/local/lib/hook.py", true],
    ["/usr/local/bin/hook-helper", true],
    ['"$HOOKS"/helper', true],
    ["ip netns exec blue /usr/bin/true", true],
    ["exec /opt/hooks/run", true],
  ])("%j → %s", (body, reads) => {
    expect(mayRead(script(body), JSON_VARS)).toBe(reads);
  });

  it("reads Python's os.environ by name, and counts a Python hook that starts programs as reading all", () => {
    const py = (body: string) => script(`#!/usr/bin/python3\nimport os\n${body}\n`);
    expect(mayRead(py('print(os.environ["json"])'), JSON_VARS)).toBe(true);
    expect(mayRead(py('print(os.environ.get("IFACE"))'), JSON_VARS)).toBe(false);
    expect(
      mayRead(py('import subprocess\nsubprocess.run(["/usr/bin/logger", os.environ["IFACE"]])'), JSON_VARS),
    ).toBe(true);
    expect(mayRead(py("print(dict(os.environ))"), JSON_VARS)).toBe(true);
  });

  it("counts a binary, and a file it cannot read, as reading everything", () => {
    const bin = join(tempDir(), "hook");
    writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
    expect(mayRead({ path: bin, version: "1" }, JSON_VARS)).toBe(true);
    const fifo = join(tempDir(), "hook");
    execFileSync("mkfifo", [fifo]);
    expect(mayRead({ path: fifo, version: "1" }, JSON_VARS)).toBe(true);
  });

  it("knows the manager's details by their variables: DNS, DOMAINS, DHCP_*, JSON", () => {
    expect(mayRead(script('echo "$DNS"'), MANAGER_DETAILS)).toBe(true);
    expect(mayRead(script('echo "$DHCP_HOSTNAME"'), MANAGER_DETAILS)).toBe(true);
    expect(mayRead(script('echo "$JSON" | jq .'), MANAGER_DETAILS)).toBe(true);
    expect(mayRead(script('echo "$LINK $ADDRESSES $GATEWAY"'), MANAGER_DETAILS)).toBe(false);
  });

  it("scans a hook again when it changes", () => {
    const s = script("echo $IFACE");
    expect(mayRead(s, JSON_VARS)).toBe(false);
    writeFileSync(s.path, '#!/bin/sh\necho "$json"\n');
    // The same version: the verdict holds (the runner passes a new one after a change).
    expect(mayRead(s, JSON_VARS)).toBe(false);
    const st = statSync(s.path);
    expect(mayRead({ ...s, version: fileVersion(st) }, JSON_VARS)).toBe(true);
  });
});

describe("mayRead on any text", () => {
  it("never throws, and a script that reads $json is never said not to", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (body) => {
        const dir = tempDir();
        const path = join(dir, "hook");
        writeFileSync(path, `#!/bin/sh\n${body}\n`);
        const a = mayRead({ path, version: "a" }, JSON_VARS);
        writeFileSync(path, `#!/bin/sh\n${body}\necho "$json"\n`);
        const b = mayRead({ path, version: "b" }, JSON_VARS);
        return typeof a === "boolean" && b;
      }),
      { numRuns: 300 },
    );
  });
});
