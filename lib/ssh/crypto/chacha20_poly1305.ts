// chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305).
// The 64-byte key splits into K_main (first 32) and K_header (last 32). Per packet, with the
// sequence number as the 64-bit DJB nonce: the length is encrypted with K_header at block 0,
// the Poly1305 key is K_main's block-0 keystream, the rest is encrypted with K_main from block 1,
// and the tag covers the encrypted length and body (no AEAD padding or length block).
// ChaCha20 comes from node:crypto (native); Poly1305 from poly1305.ts.

import { createCipheriv } from "node:crypto";
import { ProtocolError } from "../../errors.ts";
import type { CipherSpec, PacketOpener, PacketSealer } from "./cipher.ts";
import { timingSafeEqual } from "./hash.ts";
import { poly1305Tag } from "./poly1305.ts";

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
  const c = createCipheriv("chacha20", key, iv);
  return (data: Uint8Array): Uint8Array => {
    const out = c.update(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  };
}

/** DJB ChaCha20 keystream XOR of `data` starting at block `counter`. */
export function chachaXor(
  key: Uint8Array,
  seq: number,
  counter: number,
  data: Uint8Array,
): Uint8Array {
  return chachaStream(key, seq, counter)(data);
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
  constructor(key: Uint8Array) {
    if (key.length !== 64) throw new Error("chacha20-poly1305 needs a 64-byte key");
    this.main = key.slice(0, 32);
    this.header = key.slice(32, 64);
  }
}

export class ChaChaPolySealer implements PacketSealer {
  readonly blockSize = 8;
  readonly lengthExcluded = true;
  /** seal() reads the packet synchronously; its output is a new buffer. */
  readonly releasesPacket = true;
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
      out.set(chachaXor(this.k.header, seq, 0, packet.subarray(0, 4)));
      out.set(poly1305Tag(polyKey, out.subarray(0, len)), len);
      return out;
    }
    const out = new Uint8Array(packet.length + 16);
    out.set(chachaXor(this.k.header, seq, 0, packet.subarray(0, 4)));
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
  private readonly k: ChaChaKeys;
  constructor(key: Uint8Array) {
    this.k = new ChaChaKeys(key);
  }

  packetLength(seq: number, head: Uint8Array): number {
    const l = chachaXor(this.k.header, seq, 0, head.subarray(0, 4));
    return ((l[0] << 24) | (l[1] << 16) | (l[2] << 8) | l[3]) >>> 0;
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
  sealer: (key) => new ChaChaPolySealer(key),
  opener: (key) => new ChaChaPolyOpener(key),
};
