// chacha20-poly1305@openssh.com on the system's OpenSSL (ffi/libcrypto_stream.ts and
// libcrypto_mac.ts): the same wire format as chacha20_poly1305.ts, composed the way OpenSSH's
// PROTOCOL.chacha20poly1305 says. The 64-byte key is K_2 (first half: payload and Poly1305 key)
// and K_1 (second half: the length field). Per packet, with the sequence number as the 64-bit
// nonce: the length is XORed with K_1's keystream from block 0; K_2's block 0 gives the one-time
// Poly1305 key (its first 32 bytes) and the body is XORed from block 1 on; the tag covers the
// encrypted length and body. Packets are sealed in place when the transport left room for the tag.

import { LibcryptoPoly1305, LibcryptoStream } from "../../../ffi/crypto.ts";
import { ProtocolError } from "../../errors.ts";
import { takePlain } from "../buffer_pool.ts";
import { type PacketOpener, type PacketSealer, withTrailerRoom } from "./cipher.ts";
import { timingSafeEqual } from "./hash.ts";

const TAG = 16;
const ZERO64 = new Uint8Array(64);

/** The three contexts of one direction, plus the per-packet IV and Poly1305 key scratch. */
class ChaChaLibcrypto {
  readonly payload: LibcryptoStream;
  readonly length: LibcryptoStream;
  readonly poly = new LibcryptoPoly1305();
  /** LE64 block counter 0 || BE64 sequence number: OpenSSL's layout for DJB ChaCha20. */
  private readonly iv = new Uint8Array(16);
  /** K_2's block 0; its first 32 bytes are the Poly1305 key. */
  private readonly block0 = new Uint8Array(64);
  readonly polyKey = this.block0.subarray(0, 32);

  constructor(key: Uint8Array) {
    if (key.length !== 64) throw new Error("chacha20-poly1305 needs a 64-byte key");
    this.payload = new LibcryptoStream("chacha20", key.subarray(0, 32));
    try {
      this.length = new LibcryptoStream("chacha20", key.subarray(32, 64));
    } catch (e) {
      this.payload.free();
      this.poly.free();
      throw e;
    }
  }

  private setSeq(seq: number): void {
    const iv = this.iv;
    iv[12] = seq >>> 24;
    iv[13] = seq >>> 16;
    iv[14] = seq >>> 8;
    iv[15] = seq;
  }

  /** XORs the 4-byte length field from `src` into `dst` with K_1's keystream for `seq`. */
  lengthXor(seq: number, src: Uint8Array, dst: Uint8Array): void {
    this.setSeq(seq);
    this.length.setIv(this.iv);
    this.length.xor(src, dst);
  }

  /** Starts K_2's stream for `seq`: fills polyKey; the stream then stands at block 1. */
  startPayload(seq: number): void {
    this.setSeq(seq);
    this.payload.setIv(this.iv);
    this.payload.xor(ZERO64, this.block0);
  }

  free(): void {
    this.payload.free();
    this.length.free();
    this.poly.free();
    this.block0.fill(0);
  }
}

export class LibcryptoChaChaPolySealer implements PacketSealer {
  readonly blockSize = 8;
  readonly lengthExcluded = true;
  readonly backend = "libcrypto";
  /** The wire bytes may be the packet's own buffer, sealed in place: never reuse it. */
  readonly releasesPacket = false;
  private readonly c: ChaChaLibcrypto;
  constructor(key: Uint8Array) {
    this.c = new ChaChaLibcrypto(key);
  }

  seal(seq: number, packet: Uint8Array): Uint8Array {
    const len = packet.length;
    if (len < 4) throw new RangeError("packet shorter than its length field");
    const wire = withTrailerRoom(packet, TAG);
    const c = this.c;
    c.startPayload(seq);
    const body = wire.subarray(4, len);
    c.payload.xor(body, body);
    const head = wire.subarray(0, 4);
    c.lengthXor(seq, head, head);
    c.poly.tag(c.polyKey, wire.subarray(0, len), wire.subarray(len, len + TAG));
    return wire;
  }

  dispose(): void {
    this.c.free();
  }
}

export class LibcryptoChaChaPolyOpener implements PacketOpener {
  readonly blockSize = 8;
  readonly lengthExcluded = true;
  readonly headLength = 4;
  readonly tagLength = TAG;
  readonly backend = "libcrypto";
  private readonly c: ChaChaLibcrypto;
  private readonly head = new Uint8Array(4);
  private readonly tag = new Uint8Array(TAG);
  constructor(key: Uint8Array) {
    this.c = new ChaChaLibcrypto(key);
  }

  packetLength(seq: number, head: Uint8Array): number {
    const h = this.head;
    this.c.lengthXor(seq, head.subarray(0, 4), h);
    return ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
  }

  /** Checks the tag before decrypting; the plaintext goes to a pooled buffer (`wire` is reused). */
  open(seq: number, wire: Uint8Array): Uint8Array {
    const end = wire.length - TAG;
    if (end < 4) throw new ProtocolError("Corrupted MAC on input.");
    const c = this.c;
    c.startPayload(seq);
    c.poly.tag(c.polyKey, wire.subarray(0, end), this.tag);
    if (!timingSafeEqual(this.tag, wire.subarray(end))) {
      throw new ProtocolError("Corrupted MAC on input.");
    }
    const out = takePlain(end - 4);
    c.payload.xor(wire.subarray(4, end), out);
    return out;
  }

  dispose(): void {
    this.c.free();
  }
}
