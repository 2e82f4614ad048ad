// A stand-in for systemd's notify socket: every datagram netevd sends, in order.
import { spawn } from "node:child_process";
import { waitFor } from "./proc";

export async function notifyListener(sock: string): Promise<{ notes: () => string; stop: () => void }> {
  const py = spawn("python3", [
    "-c",
    `import socket,sys,os\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nos.chmod(sys.argv[1],0o777)\nprint("ready",flush=True)\nwhile True: print(s.recv(4096).decode().replace("\\n"," | "),flush=True)`,
    sock,
  ]);
  let notes = "";
  py.stdout.on("data", (b: Buffer) => (notes += b.toString()));
  await waitFor(() => notes.includes("ready"));
  return { notes: () => notes, stop: () => py.kill() };
}
