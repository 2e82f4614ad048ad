// The control API's socket, read from netevd.yaml without the configuration's
// checks: the commands that only read from the running daemon (status, list,
// show) try it first, since the schema costs most of their start-up. When
// the daemon does not answer there, they load the whole configuration, so an
// invalid file still gets its errors and exit status 78.
import { readRegularFile } from "../util/read-regular";
import { MAX_CONFIG_BYTES, parseYamlBytes } from "./yaml-source";

/** api.socket's default; the schema takes it from here. */
export const DEFAULT_API_SOCKET = "/run/netevd/netevd.sock";

/** The socket the file names (or the default), or undefined when only the full load can tell. */
export function quickApiSocket(file: string, explicit: boolean): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, MAX_CONFIG_BYTES);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    return missing && !explicit ? DEFAULT_API_SOCKET : undefined;
  }
  const src = parseYamlBytes(file, bytes);
  if ("severity" in src) return undefined;
  const data: unknown = src.data ?? {};
  if (!isRecord(data)) return undefined;
  if (data.api === undefined) return DEFAULT_API_SOCKET;
  if (!isRecord(data.api)) return undefined;
  const socket = data.api.socket;
  if (socket === undefined) return DEFAULT_API_SOCKET;
  return typeof socket === "string" && socket.startsWith("/") ? socket : undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
