import { escapeControl } from "../util/control";

// Splits a byte stream into lines, never buffering more than maxBytes: a longer
// line is cut and the rest of it reported as a continuation.
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;

  constructor(
    private readonly maxBytes: number,
    private readonly emit: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.ended) return;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      let piece = chunk.subarray(start, end);
      while (this.pendingBytes + piece.length > this.maxBytes) {
        const room = this.maxBytes - this.pendingBytes;
        this.pending.push(piece.subarray(0, room));
        this.flush(" […]");
        piece = piece.subarray(room);
      }
      this.pending.push(piece);
      this.pendingBytes += piece.length;
      if (nl === -1) break;
      this.flush("");
      start = nl + 1;
    }
  }

  /** Emits a last line without newline, if any; later data is ignored. */
  end(): void {
    if (this.ended) return;
    if (this.pendingBytes > 0) this.flush("");
    this.ended = true;
  }

  private flush(suffix: string): void {
    // Escape sequences from a script must not reach the terminal or journal as such.
    const line = escapeControl(Buffer.concat(this.pending).toString("utf8").replace(/\r$/, ""));
    this.pending = [];
    this.pendingBytes = 0;
    this.emit(line + suffix);
  }
}
