// Sends the logger's native journal datagrams through the native layer,
// without blocking: a full journald queue (EAGAIN) or an oversized message
// sends that line to stderr instead; no socket (not under systemd, or a
// sandbox without it) turns the sender off for good.
import { JOURNAL_SOCKET } from "../log/journal";
import { configureLogging, logSettings } from "../log/logger";
import { isNativeError, type NativeBinding } from "../native/binding";

const GONE = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "EPERM", "ENOTSOCK", "EPROTOTYPE"]);

export function journalSender(
  binding: NativeBinding,
  socket = JOURNAL_SOCKET,
): (datagram: Buffer) => boolean {
  let off = false;
  return (datagram) => {
    if (off) return false;
    try {
      binding.notify(socket, datagram);
      return true;
    } catch (err) {
      if (isNativeError(err) && GONE.has(err.code)) off = true;
      return false;
    }
  };
}

/** Under systemd (the journal stream detected), log through the native protocol from now on. */
export function useNativeJournal(binding: NativeBinding, identifier?: string): void {
  if (logSettings().format !== "journal") return;
  configureLogging({ journal: journalSender(binding), ...(identifier ? { identifier } : {}) });
}
