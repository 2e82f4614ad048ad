// The hook runner's protocol takes lines from the other side of a socket:
// whatever arrives is a request (or answer) of the right shape, or refused,
// and never throws.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseHookAnswer, parseHookRequest } from "../../src/scripts/hook-request";

const good = {
  name: "50-hook",
  path: "/etc/netevd/routable.d/50-hook",
  args: ["eth0", "up"],
  env: { LINK: "eth0", STATE: "routable" },
  timeout_ms: 30_000,
};

describe("hook runner requests", () => {
  it("takes a well-formed request as it is", () => {
    expect(parseHookRequest(JSON.stringify(good))).toEqual(good);
  });

  it("refuses each malformed part, naming it", () => {
    const bad: [unknown, RegExp][] = [
      [{ ...good, path: "routable.d/x" }, /^path:/],
      [{ ...good, path: "/etc/netevd/../shadow" }, /^path:/],
      [{ ...good, args: Array(17).fill("a") }, /^args:/],
      [{ ...good, args: ["a\0b"] }, /^args:/],
      [{ ...good, env: { "BAD-NAME": "x" } }, /^env:/],
      [{ ...good, env: { __proto__: "x", LINK: 1 } }, /^env:/],
      [{ ...good, timeout_ms: 0 }, /^timeout_ms:/],
      [{ ...good, extra: 1 }, /^unknown keys: extra/],
      [[good], /not a JSON object/],
    ];
    for (const [req, why] of bad)
      expect(
        (parseHookRequest(JSON.stringify(req)) as { refused: string }).refused,
        JSON.stringify(req),
      ).toMatch(why);
    expect(parseHookRequest("{")).toEqual({ refused: "not a JSON request" });
  });

  it("never throws, and what it takes has the request's shape", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (line) => {
          const r = parseHookRequest(line);
          if ("refused" in r) return;
          expect(r.path.startsWith("/")).toBe(true);
          expect(r.args.every((a) => typeof a === "string")).toBe(true);
          expect(Object.values(r.env).every((v) => typeof v === "string")).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("hook runner answers", () => {
  it("keeps only what an answer may hold: an exit status 0-255, a signal's name, a bounded error", () => {
    const r = parseHookAnswer(
      JSON.stringify({
        result: { exitCode: 999, signal: "SIGKILL; rm -rf /", timedOut: "yes", spawnError: "x".repeat(5000) },
      }),
    );
    expect(r).toEqual({
      result: {
        exitCode: null,
        signal: null,
        timedOut: false,
        outputTruncated: false,
        spawnError: "x".repeat(512),
      },
    });
    expect(parseHookAnswer('{"line":"hi","stream":"stdout"}')).toEqual({ line: "hi", stream: "stdout" });
    expect(parseHookAnswer('{"line":"hi","stream":"tty"}')).toBeNull();
  });

  it("never throws on any line", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (line) => {
        parseHookAnswer(line);
      }),
      { numRuns: 2000 },
    );
  });
});
