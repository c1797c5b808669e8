// Buffered reads from the byte stream: large reads into one growable buffer, from which the
// version line and whole packets are cut. Growth is capped so a peer cannot make us allocate
// more than one maximum packet plus slack.

import { SizeLimitError } from "../../errors.ts";
import type { ByteStream } from "./byte_stream.ts";

/** Free space we want before each read from the stream. */
const MIN_READ = 64 * 1024;

export class InputBuffer {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  /** Total bytes read from the stream. */
  bytesRead = 0;
  /** A stream read is running into buf[end..]: positions must not move under it. */
  private reading = false;

  constructor(
    private readonly stream: ByteStream,
    initial = 256 * 1024,
    private readonly maxSize = 1024 * 1024,
  ) {
    this.buf = new Uint8Array(initial);
  }

  get available(): number {
    return this.end - this.start;
  }

  /** A view of the next `n` buffered bytes (valid until the next fill). */
  peek(n: number): Uint8Array {
    return this.buf.subarray(this.start, this.start + n);
  }

  /** Drops `n` buffered bytes. */
  consume(n: number): void {
    this.start += n;
    if (this.start === this.end && !this.reading) this.start = this.end = 0;
  }

  /**
   * Waits until at least `n` bytes are buffered. Resolves false at end of stream. One fill at
   * a time; peek/consume may run while it waits (consumed space is reclaimed by the next fill).
   */
  async fill(n: number): Promise<boolean> {
    if (n > this.maxSize) throw new SizeLimitError(`read of ${n} bytes exceeds the buffer cap`);
    if (this.reading) throw new Error("InputBuffer.fill: another fill is running");
    while (this.available < n) {
      if (this.start === this.end) this.start = this.end = 0;
      // Keep a useful amount of space to read into: many small reads cost more than a copy.
      if (this.buf.length - this.start < n || this.buf.length - this.end < MIN_READ) {
        this.makeRoom(Math.max(n, this.available + MIN_READ));
      }
      this.reading = true;
      let got: number | null;
      try {
        got = await this.stream.read(this.buf.subarray(this.end));
      } finally {
        this.reading = false;
      }
      if (got === null || got === 0) return false;
      this.end += got;
      this.bytesRead += got;
    }
    return true;
  }

  private makeRoom(n: number): void {
    const live = this.buf.subarray(this.start, this.end);
    if (this.buf.length >= n * 2 || this.buf.length >= this.maxSize) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const next = new Uint8Array(Math.min(this.maxSize, Math.max(n * 2, this.buf.length * 2)));
      next.set(live);
      this.buf = next;
    }
    this.end -= this.start;
    this.start = 0;
  }

  /**
   * Reads one line ending in LF (CR LF or bare LF), at most `maxLen` bytes including the
   * terminator. Returns it without the line end, or null at end of stream.
   */
  async readLine(maxLen: number): Promise<Uint8Array | null> {
    let scanned = 0;
    for (;;) {
      const view = this.peek(this.available);
      const nl = view.indexOf(0x0a, scanned);
      if (nl >= 0) {
        if (nl + 1 > maxLen) throw new SizeLimitError("identification line too long");
        let line = view.slice(0, nl);
        if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
        this.consume(nl + 1);
        return line;
      }
      scanned = view.length;
      if (scanned >= maxLen) throw new SizeLimitError("identification line too long");
      if (!(await this.fill(this.available + 1))) return null;
    }
  }
}
