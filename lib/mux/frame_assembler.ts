// Sans-IO assembler for "u32 length + body" frames arriving in arbitrary chunks. Shared by the
// mux framer and the proxy-mode framer, which differ only in how they validate the length.
//
// It is pull-based on purpose: `next()` takes exactly one frame, so a reader can stop after a
// frame that changes the framing (MUX_S_PROXY) and hand the rest over with `takeRemainder()`.
// A bad length is detected as soon as its 4 header bytes are buffered and is thrown on every
// call until the connection is dropped (the bytes stay put; there is no hidden error state).

import { DecodeError } from "../errors.ts";

export const frameHeaderLength = 4;

/** Capacity kept across frames; larger buffers are released once empty. */
const retainedBufferLimit = 64 * 1024;

/** Validates a frame length read from the header; throws a ProtocolError subclass if bad. */
export type LengthCheck = (length: number) => void;

export class FrameAssembler {
  private buf = new Uint8Array(0);
  private start = 0;
  private fill = 0; // end of the valid bytes in buf

  constructor(private readonly checkLength: LengthCheck) {}

  /** Bytes held that no returned frame contains yet. */
  get buffered(): number {
    return this.fill - this.start;
  }

  /**
   * How many more bytes complete the frame in progress (its header first, then its body);
   * 0 when a complete frame is buffered. Reading at most this many bytes never over-reads.
   */
  get bytesNeeded(): number {
    const have = this.buffered;
    if (have < frameHeaderLength) return frameHeaderLength - have;
    return Math.max(0, frameHeaderLength + this.peekLength() - have);
  }

  /** Appends bytes (copied: the caller may reuse its buffer). */
  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.fill + chunk.length > this.buf.length) this.makeRoom(chunk.length);
    this.buf.set(chunk, this.fill);
    this.fill += chunk.length;
  }

  /** The next complete frame's body (a fresh copy), or null if none is complete yet. */
  next(): Uint8Array | null {
    const body = this.peekBody();
    if (body === null) return null;
    const out = body.slice();
    this.consume(frameHeaderLength + body.length);
    return out;
  }

  /**
   * The next complete frame's body as a view into the internal buffer, not consumed. Valid only
   * until the next append/next/consume; for callers that validate before taking a frame.
   */
  peekBody(): Uint8Array | null {
    if (this.buffered < frameHeaderLength) return null;
    const length = this.peekLength();
    if (this.buffered < frameHeaderLength + length) return null;
    const from = this.start + frameHeaderLength;
    return this.buf.subarray(from, from + length);
  }

  /** Drops `n` buffered bytes (a header plus body returned by peekBody). */
  consume(n: number): void {
    this.start += Math.min(n, this.buffered);
    if (this.start === this.fill) {
      this.start = this.fill = 0;
      // One big frame should not pin its buffer for the life of an idle connection.
      if (this.buf.length > retainedBufferLimit) this.buf = new Uint8Array(0);
    }
  }

  /** All complete frames buffered so far, in order. */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (;;) {
      let frame: Uint8Array | null;
      try {
        frame = this.next();
      } catch (e) {
        // Hand over the good frames first; the bad header is still buffered and throws again.
        if (out.length > 0) return out;
        throw e;
      }
      if (frame === null) return out;
      out.push(frame);
    }
  }

  /**
   * The stream ended (call after taking every complete frame). Throws if bytes are left, i.e. it
   * ended inside a frame (DecodeError), or on a bad header (whatever the length check throws);
   * returns quietly if nothing was pending.
   */
  end(): void {
    if (this.buffered >= frameHeaderLength) this.peekLength();
    if (this.buffered > 0) {
      throw new DecodeError(`connection closed with ${this.buffered} bytes of a frame unread`);
    }
  }

  /** Everything buffered but not returned (a copy), emptying the assembler. */
  takeRemainder(): Uint8Array {
    const out = this.buf.slice(this.start, this.fill);
    this.start = this.fill = 0;
    return out;
  }

  private peekLength(): number {
    const b = this.buf;
    const s = this.start;
    const length = ((b[s] << 24) | (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3]) >>> 0;
    this.checkLength(length);
    return length;
  }

  private makeRoom(extra: number): void {
    const have = this.buffered;
    if (have + extra <= this.buf.length) {
      this.buf.copyWithin(0, this.start, this.fill);
    } else {
      const next = new Uint8Array(Math.max(have + extra, this.buf.length * 2, 4096));
      next.set(this.buf.subarray(this.start, this.fill));
      this.buf = next;
    }
    this.start = 0;
    this.fill = have;
  }
}
