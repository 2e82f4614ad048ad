// Newline-delimited text from a stream (the API's event and run streams), a
// line at a time. A line longer than `maxBytes` ends the stream: a peer that
// never sends a newline must not grow the buffer without bound.
import type { Readable } from "node:stream";

export function readLines(
  stream: Readable,
  line: (text: string) => void,
  maxBytes = 16 << 20,
  tooLong: () => void = () => stream.destroy(new Error(`a line longer than ${maxBytes} bytes`)),
): void {
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      line(text);
    }
    if (buf.length > maxBytes) tooLong();
  });
}
