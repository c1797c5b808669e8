// chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305).
// The 64-byte key splits into K_main (first 32) and K_header (last 32). Per packet, with the
// sequence number as the 64-bit DJB nonce: the length is encrypted with K_header at block 0,
// the Poly1305 key is K_main's block-0 keystream, the rest is encrypted with K_main from block 1,
// and the tag covers the encrypted length and body (no AEAD padding or length block).
// This is the fallback when libcrypto cannot carry it (chacha20_poly1305_libcrypto.ts):
// ChaCha20 comes from node:crypto (native); Poly1305 from poly1305.ts (WASM).

import { nodeCrypto } from "./node_crypto.ts";
import { ProtocolError } from "../../errors.ts";
import type { CipherSpec, PacketOpener, PacketSealer } from "./cipher.ts";
import { timingSafeEqual } from "./hash.ts";
import { poly1305Tag } from "./poly1305.ts";
import { cryptoBackend } from "./crypto_backend.ts";
import {
  LibcryptoChaChaPolyOpener,
  LibcryptoChaChaPolySealer,
} from "./chacha20_poly1305_libcrypto.ts";

const FALLBACK = "webcrypto (node:crypto ChaCha20, WASM Poly1305)";

const ZERO64 = new Uint8Array(64);
/** Block 0 of K_main up to the last 4 bytes, which the packet's length field takes. */
const ZERO60 = new Uint8Array(60);

function chachaStream(key: Uint8Array, seq: number, counter: number) {
  // OpenSSL's 16-byte IV for DJB ChaCha20 is LE64(block counter) || nonce(8), and the nonce
  // is the packet sequence number as a big-endian 64-bit value.
  const iv = new Uint8Array(16);
  iv[0] = counter;
  iv[12] = seq >>> 24;
  iv[13] = seq >>> 16;
  iv[14] = seq >>> 8;
  iv[15] = seq;
  const c = nodeCrypto().createCipheriv("chacha20", key, iv);
  return (data: Uint8Array): Uint8Array => {
    const out = c.update(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  };
}

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];
const st = new Uint32Array(16);

function quarter(x: Uint32Array, a: number, b: number, c: number, d: number): void {
  let t: number;
  x[a] += x[b];
  t = x[d] ^ x[a];
  x[d] = (t << 16) | (t >>> 16);
  x[c] += x[d];
  t = x[b] ^ x[c];
  x[b] = (t << 12) | (t >>> 20);
  x[a] += x[b];
  t = x[d] ^ x[a];
  x[d] = (t << 8) | (t >>> 24);
  x[c] += x[d];
  t = x[b] ^ x[c];
  x[b] = (t << 7) | (t >>> 25);
}

/**
 * The first 4 keystream bytes of DJB ChaCha20 block 0 (key as 8 little-endian words, nonce the
 * big-endian 64-bit `seq`), as a little-endian word: all the packet length field needs. One
 * block in JS costs less than setting up a node:crypto cipher for it.
 */
function headerWord(k: Uint32Array, seq: number): number {
  st[0] = SIGMA[0];
  st[1] = SIGMA[1];
  st[2] = SIGMA[2];
  st[3] = SIGMA[3];
  st.set(k, 4);
  st[12] = 0;
  st[13] = 0;
  st[14] = 0;
  // Nonce bytes 4..7 are seq big-endian; read as a little-endian word that is bswap(seq).
  st[15] = ((seq & 0xff) << 24) | ((seq & 0xff00) << 8) | ((seq >>> 8) & 0xff00) | (seq >>> 24);
  for (let i = 0; i < 10; i++) {
    quarter(st, 0, 4, 8, 12);
    quarter(st, 1, 5, 9, 13);
    quarter(st, 2, 6, 10, 14);
    quarter(st, 3, 7, 11, 15);
    quarter(st, 0, 5, 10, 15);
    quarter(st, 1, 6, 11, 12);
    quarter(st, 2, 7, 8, 13);
    quarter(st, 3, 4, 9, 14);
  }
  return (st[0] + SIGMA[0]) >>> 0;
}

/** XORs the 4-byte length field at `to[0..4)` from `from[0..4)` with K_header's keystream. */
function xorHeader(k: Uint32Array, seq: number, from: Uint8Array, to: Uint8Array): void {
  const w = headerWord(k, seq);
  to[0] = from[0] ^ (w & 0xff);
  to[1] = from[1] ^ ((w >>> 8) & 0xff);
  to[2] = from[2] ^ ((w >>> 16) & 0xff);
  to[3] = from[3] ^ (w >>> 24);
}

/** K_main's block 0 gives the Poly1305 key; the same stream continues at block 1 for the body. */
function mainStream(
  key: Uint8Array,
  seq: number,
): { polyKey: Uint8Array; xor(d: Uint8Array): Uint8Array } {
  const xor = chachaStream(key, seq, 0);
  return { polyKey: xor(ZERO64).subarray(0, 32), xor };
}

class ChaChaKeys {
  readonly main: Uint8Array;
  readonly header: Uint8Array;
  /** K_header as little-endian words (headerWord). */
  readonly headerWords: Uint32Array;
  constructor(key: Uint8Array) {
    if (key.length !== 64) throw new Error("chacha20-poly1305 needs a 64-byte key");
    this.main = key.slice(0, 32);
    this.header = key.slice(32, 64);
    const v = new DataView(this.header.buffer);
    this.headerWords = new Uint32Array(8);
    for (let i = 0; i < 8; i++) this.headerWords[i] = v.getUint32(4 * i, true);
  }
}

export class ChaChaPolySealer implements PacketSealer {
  readonly blockSize = 8;
  readonly lengthExcluded = true;
  /** seal() reads the packet synchronously; its output is a new buffer. */
  readonly releasesPacket = true;
  readonly backend = FALLBACK;
  private readonly k: ChaChaKeys;
  constructor(key: Uint8Array) {
    this.k = new ChaChaKeys(key);
  }

  seal(seq: number, packet: Uint8Array): Uint8Array {
    const len = packet.length;
    if (packet.byteOffset + len + 16 <= packet.buffer.byteLength) {
      // Spare room after the packet (transport/packet_codec.ts): run K_main over length field,
      // body and those 16 bytes in one call, so its output is the wire buffer. The stream
      // starts 4 bytes before block 1, so the body gets block 1 on; the length field and the
      // tag slot get throwaway keystream and are overwritten. The input is only read.
      const xor = chachaStream(this.k.main, seq, 0);
      const polyKey = xor(ZERO60).subarray(0, 32);
      const out = xor(new Uint8Array(packet.buffer, packet.byteOffset, len + 16));
      xorHeader(this.k.headerWords, seq, packet, out);
      out.set(poly1305Tag(polyKey, out.subarray(0, len)), len);
      return out;
    }
    const out = new Uint8Array(packet.length + 16);
    xorHeader(this.k.headerWords, seq, packet, out);
    const main = mainStream(this.k.main, seq);
    out.set(main.xor(packet.subarray(4)), 4);
    out.set(poly1305Tag(main.polyKey, out.subarray(0, packet.length)), packet.length);
    return out;
  }
}

export class ChaChaPolyOpener implements PacketOpener {
  readonly blockSize = 8;
  readonly lengthExcluded = true;
  readonly headLength = 4;
  readonly tagLength = 16;
  readonly backend = FALLBACK;
  private readonly k: ChaChaKeys;
  constructor(key: Uint8Array) {
    this.k = new ChaChaKeys(key);
  }

  packetLength(seq: number, head: Uint8Array): number {
    const w = headerWord(this.k.headerWords, seq);
    const l0 = head[0] ^ (w & 0xff), l1 = head[1] ^ ((w >>> 8) & 0xff);
    const l2 = head[2] ^ ((w >>> 16) & 0xff), l3 = head[3] ^ (w >>> 24);
    return ((l0 << 24) | (l1 << 16) | (l2 << 8) | l3) >>> 0;
  }

  open(seq: number, wire: Uint8Array): Uint8Array {
    const end = wire.length - 16;
    const main = mainStream(this.k.main, seq);
    const tag = poly1305Tag(main.polyKey, wire.subarray(0, end));
    if (!timingSafeEqual(tag, wire.subarray(end))) {
      throw new ProtocolError("Corrupted MAC on input.");
    }
    return main.xor(wire.subarray(4, end));
  }
}

export const CHACHA20_POLY1305: CipherSpec = {
  name: "chacha20-poly1305@openssh.com",
  keyLength: 64,
  ivLength: 0,
  blockSize: 8,
  aead: true,
  sealer: (key) =>
    cryptoBackend("chacha20-poly1305") === "libcrypto"
      ? new LibcryptoChaChaPolySealer(key)
      : new ChaChaPolySealer(key),
  opener: (key) =>
    cryptoBackend("chacha20-poly1305") === "libcrypto"
      ? new LibcryptoChaChaPolyOpener(key)
      : new ChaChaPolyOpener(key),
};
