// The socket `netevd status` asks first, read from netevd.yaml without the
// schema: what the full load would give, or undefined to make it load.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_API_SOCKET, quickApiSocket } from "../../src/config/api-socket";
import { loadConfigFile } from "../../src/config/load";
import { tempDir } from "../helpers/tmp";

describe("quickApiSocket", () => {
  it("gives the socket the full load gives, or leaves the answer to it", () => {
    const dir = tempDir();
    const file = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    for (const text of ["", "system: { backend: none }\n", "api: {}\n", "api: { socket: /tmp/x.sock }\n"]) {
      const p = file("ok.yaml", text);
      expect(quickApiSocket(p, true), JSON.stringify(text)).toBe(loadConfigFile(p).config?.api.socket);
    }
    // Another key wrong: the socket is still the one named (the daemon may be running).
    expect(
      quickApiSocket(file("bad.yaml", "system: { backend: bogus }\napi: { socket: /tmp/y.sock }\n"), true),
    ).toBe("/tmp/y.sock");
    for (const text of [
      "api:\n",
      "api: { socket: relative.sock }\n",
      "api: 3\n",
      "- a list\n",
      "api: { socket: [\n",
    ])
      expect(quickApiSocket(file("worse.yaml", text), true), JSON.stringify(text)).toBeUndefined();
    expect(quickApiSocket(join(dir, "absent.yaml"), false)).toBe(DEFAULT_API_SOCKET);
    expect(quickApiSocket(join(dir, "absent.yaml"), true)).toBeUndefined();
    // A FIFO is not read (it would block).
    const fifo = join(dir, "fifo.yaml");
    execFileSync("mkfifo", [fifo]);
    expect(quickApiSocket(fifo, true)).toBeUndefined();
  });
});
