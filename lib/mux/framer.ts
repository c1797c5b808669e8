// PROTOCOL.mux framing: u32 length + body, body at least 4 bytes (the type), at most
// MUX_MAX_PACKET. Two ways to use it:
// - MuxFramer, for streams read in bulk (the client side, tests): push bytes, get bodies;
// - parseFrameLength / readMuxFrame, for the master's control socket, where passed fds ride on
//   1-byte messages right after a request: the master must read exactly one header and then
//   exactly one body, never past the end of the frame (channels.c read_mux).

import { DecodeError, ProtocolError, SizeLimitError } from "../errors.ts";
import { MUX_MAX_PACKET } from "./constants.ts";
import { FrameAssembler, frameHeaderLength } from "./frame_assembler.ts";

export { frameHeaderLength };

/** Smallest body: the u32 message type. */
const MUX_MIN_BODY = 4;

function checkMuxLength(length: number): void {
  if (length > MUX_MAX_PACKET) {
    throw new SizeLimitError(`mux frame of ${length} bytes exceeds the ${MUX_MAX_PACKET} limit`);
  }
  if (length < MUX_MIN_BODY) {
    throw new ProtocolError(`mux frame of ${length} bytes is too short to hold a message type`);
  }
}

/**
 * The body length announced by a 4-byte frame header. Throws SizeLimitError over MUX_MAX_PACKET
 * (262144 is accepted, 262145 is not, as OpenSSH's master does) and ProtocolError below 4.
 */
export function parseFrameLength(header: Uint8Array): number {
  if (header.length !== frameHeaderLength) {
    throw new RangeError(`a mux frame header is ${frameHeaderLength} bytes, got ${header.length}`);
  }
  const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
  checkMuxLength(length);
  return length;
}

/** Assembles mux frame bodies from a byte stream split at arbitrary points. */
export class MuxFramer {
  private readonly frames = new FrameAssembler(checkMuxLength);

  /**
   * Appends bytes and returns every body completed by them (fresh copies, in order). A bad
   * header throws; bodies completed before it are returned first and the next call throws.
   */
  push(bytes: Uint8Array): Uint8Array[] {
    this.frames.append(bytes);
    return this.frames.drain();
  }

  /** Appends bytes without taking frames (use with `next()`). */
  append(bytes: Uint8Array): void {
    this.frames.append(bytes);
  }

  /**
   * One complete body or null. Use this instead of `push` when a frame may switch the stream
   * to another framing (MUX_S_PROXY): stop there and pass `takeRemainder()` on.
   */
  next(): Uint8Array | null {
    return this.frames.next();
  }

  /** Bytes to read to finish the frame in progress (0 if one is complete); never over-reads. */
  get bytesNeeded(): number {
    return this.frames.bytesNeeded;
  }

  /** Bytes buffered that no returned body contains. */
  get buffered(): number {
    return this.frames.buffered;
  }

  /**
   * Call at EOF, after taking every complete frame: throws if the stream stopped inside a frame
   * (DecodeError) or on a bad header.
   */
  end(): void {
    this.frames.end();
  }

  /** The unconsumed bytes (a copy), e.g. proxy packets that followed MUX_S_PROXY. */
  takeRemainder(): Uint8Array {
    return this.frames.takeRemainder();
  }
}

/**
 * Exact-read callback: resolves with exactly `n` bytes, or, when the stream ends first, with
 * null or the shorter tail it got (possibly empty). It must never return more than `n` bytes.
 */
export type ReadExact = (n: number) => Promise<Uint8Array | null>;

/**
 * Reads one frame with exact reads: the 4-byte header, then exactly the body, never a byte
 * more (passed fds may follow the frame). Returns the body, or null on a clean EOF before the
 * header. EOF inside the header or body is a DecodeError; a bad length throws
 * (SizeLimitError / ProtocolError) before any body byte is read.
 */
export async function readMuxFrame(readExact: ReadExact): Promise<Uint8Array | null> {
  const header = await readExact(frameHeaderLength);
  if (header === null || header.length === 0) return null;
  checkNotOver(header, frameHeaderLength);
  if (header.length < frameHeaderLength) {
    throw new DecodeError(`connection closed inside a mux frame header`);
  }
  const length = parseFrameLength(header);
  const body = await readExact(length);
  if (body !== null) checkNotOver(body, length);
  if (body === null || body.length < length) {
    throw new DecodeError(`connection closed inside a ${length}-byte mux frame`);
  }
  return body;
}

function checkNotOver(got: Uint8Array, wanted: number): void {
  // More than asked for means the callback over-read, which would desynchronise fd passing:
  // a bug in the caller, not peer input.
  if (got.length > wanted) {
    throw new RangeError(`readExact(${wanted}) returned ${got.length} bytes`);
  }
}
