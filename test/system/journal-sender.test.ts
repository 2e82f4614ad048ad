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
  it("maps the link to INTERFACE, fields to NETEVD_*, passes MESSAGE_ID, and sends a value with a newline as binary", () => {
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
      NETEVD_STDERR: "line one\nline two",
      NETEVD_BAD_KEY_: "x",
    });
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
