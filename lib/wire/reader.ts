// Bounds-checked reader for SSH (RFC 4251 §5) and PROTOCOL.mux encodings.
// Every read checks the remaining length first and throws DecodeError: peer input never
// reads out of bounds or allocates more than the message already holds.

import { DecodeError } from "../errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Big-endian u32 at `off`, NOT bounds-checked (the caller checked the length): for per-packet
 * paths that cannot afford a DataView or a reader per message.
 */
export function u32At(b: Uint8Array, off = 0): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

export class WireReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  atEnd(): boolean {
    return this.pos === this.buf.length;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new DecodeError(`truncated message: ${what} needs ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(): number {
    this.need(1, "byte");
    return this.buf[this.pos++];
  }

  bool(): boolean {
    return this.u8() !== 0;
  }

  u32(): number {
    this.need(4, "uint32");
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8, "uint64");
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** `n` raw bytes, as a view into the message (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n, "bytes");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** SSH `string`: u32 length + bytes, as a view (no copy). */
  string(): Uint8Array {
    const len = this.u32();
    this.need(len, "string body");
    return this.bytes(len);
  }

  /** SSH `string` decoded as UTF-8 text. */
  text(): string {
    return utf8.decode(this.string());
  }

  /** A string that must not contain NUL (OpenSSH's sshbuf_get_cstring rule). */
  cstring(): string {
    const raw = this.string();
    if (raw.includes(0)) throw new DecodeError("string contains a NUL byte");
    return utf8.decode(raw);
  }

  /** SSH `name-list`: comma-separated names in one string. */
  nameList(): string[] {
    const s = this.text();
    return s.length === 0 ? [] : s.split(",");
  }

  /** SSH `mpint` as a bigint (two's complement, big-endian). */
  mpint(): bigint {
    const raw = this.string();
    if (raw.length === 0) return 0n;
    let v = 0n;
    for (const b of raw) v = (v << 8n) | BigInt(b);
    if (raw[0] & 0x80) v -= 1n << BigInt(raw.length * 8);
    return v;
  }

  /** SSH `mpint` as its unsigned magnitude bytes (leading zero byte stripped). */
  mpintBytes(): Uint8Array {
    const raw = this.string();
    if (raw.length > 0 && raw[0] & 0x80) throw new DecodeError("negative mpint");
    let i = 0;
    while (i < raw.length && raw[i] === 0) i++;
    return raw.subarray(i);
  }

  /** Everything not read yet, as a view. */
  rest(): Uint8Array {
    const out = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return out;
  }

  /** Throws unless the whole message was consumed. */
  expectEnd(what = "message"): void {
    if (!this.atEnd()) throw new DecodeError(`${what} has ${this.remaining} trailing bytes`);
  }
}
