// The executor's parser of what the daemon sends: whatever bytes arrive, it
// answers with a request or a refusal, never throws, and a request it accepts
// carries only variables netevd gives hooks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allowedVariable, EXECUTOR_SET, parseRequest } from "../../src/privileged/request";

const base = {
  directory: "/etc/netevd",
  script: "routable.d/50-x",
  args: [],
  env: {},
  link: "eth0",
  event: "routable",
};

describe("privileged request parsing", () => {
  it("never throws; what it accepts has only a hook's variables, no NUL, short labels", () => {
    const value = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.integer(), fc.constant(null));
    const env = fc.dictionary(
      fc.oneof(fc.constantFrom("LD_PRELOAD", "PATH", "IFACE", "DHCP4_X", "BASH_ENV", "json"), fc.string()),
      value,
    );
    const req = fc.record(
      {
        directory: fc.oneof(fc.constant("/etc/netevd"), fc.string()),
        script: fc.string(),
        args: fc.oneof(fc.array(fc.string(), { maxLength: 6 }), value),
        env: fc.oneof(env, value),
        link: fc.oneof(fc.constant("eth0"), fc.string()),
        event: fc.oneof(fc.constant("routable"), fc.string()),
        unit: fc.string(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          req.map((r) => JSON.stringify(r)),
          fc.string(),
        ),
        (line) => {
          const r = parseRequest(line);
          if ("refused" in r) return;
          if ("netns_socket" in r) {
            expect(r.netns_socket).not.toMatch(/[/\0]/);
            return;
          }
          for (const [k, v] of Object.entries(r.env)) {
            expect(allowedVariable(k) && !EXECUTOR_SET.has(k)).toBe(true);
            expect(v).not.toContain("\0");
          }
          expect(r.link.length).toBeLessThanOrEqual(64);
          expect(r.directory.startsWith("/")).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("drops the variables the executor sets itself, refuses the ones that steer a shell or the linker", () => {
    const ok = parseRequest(JSON.stringify({ ...base, env: { PATH: "/tmp", HOME: "/tmp", IFACE: "eth0" } }));
    expect(ok).toMatchObject({ env: { IFACE: "eth0" } });
    expect("refused" in ok || "netns_socket" in ok ? {} : ok.env).not.toHaveProperty("PATH");
    for (const name of [
      "LD_PRELOAD",
      "LD_LIBRARY_PATH",
      "BASH_ENV",
      "ENV",
      "IFS",
      "PS4",
      "SHELLOPTS",
      "PYTHONPATH",
      "NODE_OPTIONS",
      "GCONV_PATH",
      "DHCP4_lower",
      "__proto__",
    ])
      expect(parseRequest(JSON.stringify({ ...base, env: { [name]: "x" } })), name).toHaveProperty("refused");
    expect(
      parseRequest(JSON.stringify({ ...base, env: { IP4_ADDRESS_0: "10.0.0.2/24 10.0.0.1" } })),
    ).not.toHaveProperty("refused");
    // systemd refuses a value with control characters but tab and newline: left out, named.
    const ctl = parseRequest(JSON.stringify({ ...base, env: { DHCP_DOMAIN: "a\x1bb", DNS: "x\ny\tz" } }));
    expect(ctl).toMatchObject({ env: { DNS: "x\ny\tz" }, dropped: ["DHCP_DOMAIN"] });
  });
  it("takes a hook's namespace and a namespace socket request only with a namespace's name", () => {
    expect(parseRequest(JSON.stringify({ ...base, netns: "tenant-1" }))).toMatchObject({ netns: "tenant-1" });
    for (const netns of ["../x", "a/b", "", "..", 7])
      expect(parseRequest(JSON.stringify({ ...base, netns }))).toEqual({
        refused: "netns must be a namespace name",
      });
    expect(parseRequest('{"netns_socket":"tenant-1"}')).toEqual({ netns_socket: "tenant-1" });
    expect(parseRequest('{"netns_socket":"/run/netns/x"}')).toEqual({
      refused: "netns_socket must be a namespace name",
    });
  });
});
