// Growable writer for SSH and PROTOCOL.mux encodings. `reserve` lets packet builders leave
// room for a header in front of the payload so a packet is built in place, without copies.

const utf8 = new TextEncoder();

export class WireWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos: number;

  /** `headroom` bytes are reserved in front (see `finishWithHeadroom`). */
  constructor(initial = 256, private readonly headroom = 0) {
    this.buf = new Uint8Array(Math.max(initial, 16) + headroom);
    this.view = new DataView(this.buf.buffer);
    this.pos = headroom;
  }

  get length(): number {
    return this.pos - this.headroom;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
    return this;
  }

  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** SSH `string` from bytes or text (UTF-8). */
  string(v: Uint8Array | string): this {
    const b = typeof v === "string" ? utf8.encode(v) : v;
    this.u32(b.length);
    return this.raw(b);
  }

  nameList(names: readonly string[]): this {
    return this.string(names.join(","));
  }

  /** SSH `mpint` from a bigint (two's complement, minimal length). */
  mpint(v: bigint): this {
    if (v === 0n) return this.u32(0);
    const bytes: number[] = [];
    if (v > 0n) {
      let x = v;
      while (x > 0n) {
        bytes.unshift(Number(x & 0xffn));
        x >>= 8n;
      }
      if (bytes[0] & 0x80) bytes.unshift(0);
    } else {
      let len = 1;
      while (-(1n << BigInt(len * 8 - 1)) > v) len++;
      let x = (1n << BigInt(len * 8)) + v;
      for (let i = 0; i < len; i++) {
        bytes.unshift(Number(x & 0xffn));
        x >>= 8n;
      }
    }
    this.u32(bytes.length);
    return this.raw(Uint8Array.from(bytes));
  }

  /** SSH `mpint` from unsigned big-endian magnitude bytes. */
  mpintBytes(mag: Uint8Array): this {
    let i = 0;
    while (i < mag.length && mag[i] === 0) i++;
    const m = mag.subarray(i);
    if (m.length > 0 && m[0] & 0x80) {
      this.u32(m.length + 1).u8(0);
    } else {
      this.u32(m.length);
    }
    return this.raw(m);
  }

  /** The bytes written so far (a copy-free view; do not write to the writer afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(this.headroom, this.pos);
  }

  /** The whole buffer including the reserved headroom, for in-place packet headers. */
  finishWithHeadroom(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Body framed as `u32 length + body` (the PROTOCOL.mux frame). */
  framed(): Uint8Array {
    const body = this.finish();
    const out = new Uint8Array(4 + body.length);
    new DataView(out.buffer).setUint32(0, body.length);
    out.set(body, 4);
    return out;
  }
}
