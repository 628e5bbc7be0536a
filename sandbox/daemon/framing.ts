// Newline-delimited framing with a ceiling, used on both ends of the daemon stream: a line longer than the
// limit is never buffered whole; the reader is told once (a protocol violation) and nothing more is delivered.
export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private stopped = false;

  /** `maxBytes` is asked each time, so the host can allow more while a large answer is expected. */
  constructor(
    private readonly onLine: (line: Buffer) => void,
    private readonly maxBytes: () => number,
    private readonly onOverflow: (bytes: number, limit: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.stopped) {
      const nl = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, nl < 0 ? chunk.length : nl);
      if (this.tooLong(this.partBytes + piece.length)) return;
      if (nl < 0) {
        if (piece.length) (this.parts.push(piece), (this.partBytes += piece.length));
        return;
      }
      const line = this.parts.length ? Buffer.concat([...this.parts, piece]) : piece;
      this.parts = [];
      this.partBytes = 0;
      start = nl + 1;
      if (line.length) this.onLine(line);
    }
  }

  private tooLong(bytes: number): boolean {
    const limit = this.maxBytes();
    if (bytes <= limit) return false;
    this.stopped = true;
    this.parts = [];
    this.partBytes = 0;
    this.onOverflow(bytes, limit);
    return true;
  }
}
