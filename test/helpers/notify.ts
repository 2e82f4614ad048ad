// A stand-in for systemd's notify and journal sockets: every datagram netevd
// sends, in order.
import { spawn } from "node:child_process";
import { waitFor } from "./proc";

interface Listener {
  /** The datagrams so far, each as text with its newlines shown as " | ", one per line. */
  notes: () => string;
  datagrams: () => Buffer[];
  stop: () => void;
}

export async function notifyListener(sock: string): Promise<Listener> {
  const py = spawn("python3", [
    "-c",
    `import socket,sys,os,base64\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,1<<20)\ns.bind(sys.argv[1])\nos.chmod(sys.argv[1],0o777)\nprint("ready",flush=True)\nwhile True: print(base64.b64encode(s.recv(1<<20)).decode(),flush=True)`,
    sock,
  ]);
  let out = "";
  py.stdout.on("data", (b: Buffer) => (out += b.toString()));
  if (!(await waitFor(() => out.includes("ready\n"))))
    throw new Error(`notify listener did not start: ${out}`);
  const datagrams = () =>
    out
      .split("\n")
      .slice(1, -1)
      .map((l) => Buffer.from(l, "base64"));
  return {
    datagrams,
    notes: () =>
      datagrams()
        .map((d) => d.toString().replace(/\n/g, " | "))
        .join("\n"),
    stop: () => py.kill(),
  };
}
