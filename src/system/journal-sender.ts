// Sends the logger's native journal datagrams through the native layer,
// without blocking: a full journald queue (EAGAIN) or an oversized message
// sends that line to stderr instead; no socket (not under systemd, or a
// sandbox without it) turns the sender off for good.
import { JOURNAL_SOCKET } from "../log/journal";
import { configureLogging, logSettings } from "../log/logger";
import { isNativeError, type NativeBinding } from "../native/binding";

const GONE = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "EPERM", "ENOTSOCK", "EPROTOTYPE"]);

/** `onGone` is called once when the socket is gone for good (every later send is refused at once). */
export function journalSender(
  binding: NativeBinding,
  socket = JOURNAL_SOCKET,
  onGone: () => void = () => undefined,
): (datagram: Buffer) => boolean {
  let off = false;
  return (datagram) => {
    if (off) return false;
    try {
      binding.notify(socket, datagram);
      return true;
    } catch (err) {
      if (isNativeError(err) && GONE.has(err.code)) {
        off = true;
        onGone();
      }
      return false;
    }
  };
}

/**
 * Under systemd (the journal stream detected), log through the native
 * protocol from now on; once the socket is gone for good the sender is
 * removed, so no datagram is built for nothing.
 */
export function useNativeJournal(binding: NativeBinding, identifier?: string): void {
  if (logSettings().format !== "journal") return;
  const journal = journalSender(binding, JOURNAL_SOCKET, () => configureLogging({ journal: undefined }));
  configureLogging({ journal, ...(identifier ? { identifier } : {}) });
}
