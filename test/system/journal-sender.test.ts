// Native journal messages reach a datagram socket standing in for journald,
// with the fields journalctl filters on; without the socket the line goes to
// stderr as before.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { journalDatagram } from "../../src/log/journal";
import { configureLogging, getLogger, logSettings } from "../../src/log/logger";
import { MESSAGE_ID } from "../../src/log/message-ids";
import { realBinding } from "../../src/native/real";
import { journalSender } from "../../src/system/journal-sender";
import { notifyListener } from "../helpers/notify";
import { waitFor } from "../helpers/proc";
import { tempDir } from "../helpers/tmp";

/** journald's side of the protocol: KEY=value lines, or KEY, a 64-bit length and raw bytes. */
function parseDatagram(d: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < d.length) {
    const nl = d.indexOf(0x0a, i);
    const line = d.subarray(i, nl).toString();
    const eq = line.indexOf("=");
    if (eq >= 0) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
      i = nl + 1;
    } else {
      const size = Number(d.readBigUInt64LE(nl + 1));
      out[line] = d.subarray(nl + 9, nl + 9 + size).toString();
      i = nl + 9 + size + 1;
    }
  }
  return out;
}

/** Logging as under systemd, to a journal socket at `sock`; returns what reached stderr instead. */
function logToJournal(sock: string, onGone?: () => void): string[] {
  const stderr: string[] = [];
  configureLogging({
    format: "journal",
    level: "info",
    write: (l) => stderr.push(l),
    journal: journalSender(realBinding(), sock, onGone),
  });
  return stderr;
}

const saved = { ...logSettings() };
afterEach(() => configureLogging({ ...saved, journal: undefined }));

describe("native journal protocol", () => {
  it("maps the link to INTERFACE, fields to NETEVD_*, passes MESSAGE_ID, and escapes a newline in a value", () => {
    const d = journalDatagram(
      {
        level: "warn",
        module: "scripts",
        fields: {
          link: "nv0",
          event: "routable",
          script: "10-x",
          exit_status: 3,
          MESSAGE_ID: MESSAGE_ID.scriptFailed,
          stderr: "line one\nline two",
          "bad key!": "x",
        },
      },
      "scripts [nv0]: /etc/netevd/routable.d/10-x exited with status 3",
      "netevd",
    );
    expect(parseDatagram(d)).toEqual({
      MESSAGE: "scripts [nv0]: /etc/netevd/routable.d/10-x exited with status 3",
      PRIORITY: "4",
      SYSLOG_IDENTIFIER: "netevd",
      NETEVD_MODULE: "scripts",
      INTERFACE: "nv0",
      NETEVD_EVENT: "routable",
      NETEVD_SCRIPT: "10-x",
      NETEVD_EXIT_STATUS: "3",
      MESSAGE_ID: MESSAGE_ID.scriptFailed,
      NETEVD_STDERR: "line one\\nline two",
      NETEVD_BAD_KEY_: "x",
    });
  });

  it("no field carries a control byte: a link name's escape sequences and a forged line are escaped as in MESSAGE", () => {
    const link = "e\x1b]0;t\x07\nMESSAGE_ID=forged\u009b2J";
    const d = journalDatagram(
      {
        level: "info",
        module: "scripts",
        fields: { link, stdout: "ok\rPRIORITY=0", NETEVD_EVENT: "x\x00y" },
      },
      "m",
      "netevd",
    );
    // Every byte but each field's closing newline is printable (or UTF-8 above U+009F).
    const lines = d.toString("utf8").split("\n").slice(0, -1);
    for (const l of lines) expect(l).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(parseDatagram(d)).toMatchObject({
      INTERFACE: "e\\x1b]0;t\\x07\\nMESSAGE_ID=forged\\x9b2J",
      NETEVD_STDOUT: "ok\\x0dPRIORITY=0",
      NETEVD_EVENT: "x\\x00y",
    });
    expect(parseDatagram(d).MESSAGE_ID).toBeUndefined();
  });

  it("a logger under systemd sends datagrams to the journal socket; the text line leaves out journal-only fields", async () => {
    const sock = join(tempDir(), "journal.sock");
    const journal = await notifyListener(sock);
    try {
      const stderr = logToJournal(sock);
      getLogger("daemon", { link: "nv0" }).info("event routable", { NETEVD_EVENT: "routable" });
      expect(await waitFor(() => journal.datagrams().length === 1)).toBe(true);
      expect(parseDatagram(journal.datagrams()[0] as Buffer)).toMatchObject({
        MESSAGE: "daemon [nv0]: event routable",
        PRIORITY: "6",
        INTERFACE: "nv0",
        NETEVD_EVENT: "routable",
      });
      expect(stderr).toEqual([]);
    } finally {
      journal.stop();
    }
  });

  it("without a journal socket the line goes to stderr with its priority prefix, and stays there", () => {
    const sock = join(tempDir(), "absent.sock");
    expect(existsSync(sock)).toBe(false);
    let gone = 0;
    const stderr = logToJournal(sock, () => gone++);
    const log = getLogger("daemon");
    log.info("ready: 2 link(s)", { MESSAGE_ID: MESSAGE_ID.ready });
    log.warn("second");
    expect(stderr).toEqual(["<6>daemon: ready: 2 link(s)\n", "<4>daemon: second\n"]);
    // Told once, so the daemon stops building datagrams for a socket that is not there.
    expect(gone).toBe(1);
  });
});
