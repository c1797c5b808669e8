// A minimal DER reader for the key formats PEM carries (PKCS#1, SEC1, PKCS#8, PBES2 params):
// definite lengths only, bounded item counts, typed errors for anything malformed.

import { KeyFormatError } from "./key_errors.ts";

export interface Der {
  tag: number;
  body: Uint8Array;
}

export const DER_SEQUENCE = 0x30;
export const DER_INTEGER = 0x02;
export const DER_OCTET_STRING = 0x04;
export const DER_OID = 0x06;

/** Reads consecutive TLVs from `buf`. */
export function derItems(buf: Uint8Array): Der[] {
  const out: Der[] = [];
  let i = 0;
  while (i < buf.length) {
    if (out.length > 64) throw new KeyFormatError("invalid format: DER too many items");
    const tag = buf[i++];
    if (i >= buf.length) throw new KeyFormatError("invalid format: DER truncated");
    let len = buf[i++];
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || i + n > buf.length) {
        throw new KeyFormatError("invalid format: DER length");
      }
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + buf[i++];
    }
    if (i + len > buf.length) throw new KeyFormatError("invalid format: DER truncated");
    out.push({ tag, body: buf.subarray(i, i + len) });
    i += len;
  }
  return out;
}

function expect(d: Der | undefined, tag: number, what: string): Der {
  if (!d || d.tag !== tag) throw new KeyFormatError(`invalid format: expected DER ${what}`);
  return d;
}

export function seq(d: Der | undefined): Der[] {
  return derItems(expect(d, DER_SEQUENCE, "SEQUENCE").body);
}

export function int(d: Der | undefined): Uint8Array {
  return expect(d, DER_INTEGER, "INTEGER").body;
}

export function octets(d: Der | undefined): Uint8Array {
  return expect(d, DER_OCTET_STRING, "OCTET STRING").body;
}

/** An OBJECT IDENTIFIER's encoded bytes as hex (compared against constants). */
export function oidHex(d: Der | undefined): string {
  return hex(expect(d, DER_OID, "OBJECT IDENTIFIER").body);
}

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** A small non-negative INTEGER as a number (iteration counts, key lengths). */
export function smallInt(d: Der | undefined): number {
  const b = int(d);
  if (b.length === 0 || b.length > 4 || b[0] & 0x80) {
    throw new KeyFormatError("invalid format: bad DER integer");
  }
  return b.reduce((v, x) => v * 256 + x, 0);
}
