// The fallback for AES-CTR with an encrypt-then-MAC HMAC (libcrypto absent): WebCrypto, several packets in flight (the
// `-etm@openssh.com` MACs leave the length in clear, so packets can be cut and opened ahead).
// SSH's CTR keystream runs on across packets; each packet's starting counter is taken
// synchronously, in order, when it is queued: start = IV + (16-byte blocks used so far).
// The MAC is checked synchronously (node:crypto HMAC) before any decryption.

import { ProtocolError } from "../../errors.ts";
import type { PacketOpener, PacketSealer } from "./cipher.ts";
import { timingSafeEqual } from "./hash.ts";
import { computeMac, type MacSpec } from "./mac.ts";

/** A 128-bit big-endian counter block that advances by whole blocks, wrapping at 2^128. */
export class CtrCounter {
  private readonly block: Uint8Array;
  constructor(iv: Uint8Array) {
    if (iv.length !== 16) throw new Error("AES-CTR needs a 16-byte IV");
    this.block = Uint8Array.from(iv);
  }
  /** The counter for the next `bytes` (a multiple of 16), advancing past them. */
  take(bytes: number): Uint8Array<ArrayBuffer> {
    const now = Uint8Array.from(this.block);
    let carry = bytes / 16;
    for (let i = 15; i >= 0 && carry > 0; i--) {
      const v = this.block[i] + (carry % 256);
      this.block[i] = v & 0xff;
      carry = Math.floor(carry / 256) + (v >> 8);
    }
    return now;
  }
}

function importKey(key: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  const p = crypto.subtle.importKey("raw", key as BufferSource, "AES-CTR", false, [usage]);
  p.catch(() => {}); // rethrown where it is awaited
  return p;
}

export class CtrEtmSealer implements PacketSealer {
  readonly blockSize = 16;
  readonly backend = "webcrypto";
  readonly lengthExcluded = true;
  private readonly key: Promise<CryptoKey>;
  private readonly counter: CtrCounter;
  constructor(
    key: Uint8Array,
    iv: Uint8Array,
    private readonly mac: MacSpec,
    private readonly macKey: Uint8Array,
  ) {
    this.key = importKey(key, "encrypt");
    this.counter = new CtrCounter(iv);
  }
  async seal(seq: number, packet: Uint8Array): Promise<Uint8Array> {
    const counter = this.counter.take(packet.length - 4);
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-CTR", counter, length: 128 },
        await this.key,
        packet.subarray(4) as BufferSource,
      ),
    );
    const out = new Uint8Array(packet.length + this.mac.macLength);
    out.set(packet.subarray(0, 4));
    out.set(ct, 4);
    out.set(computeMac(this.mac, this.macKey, seq, out.subarray(0, packet.length)), packet.length);
    return out;
  }
}

export class CtrEtmOpener implements PacketOpener {
  readonly blockSize = 16;
  readonly backend = "webcrypto";
  readonly lengthExcluded = true;
  readonly headLength = 4;
  readonly tagLength: number;
  readonly pipelined = true;
  private readonly key: Promise<CryptoKey>;
  private readonly counter: CtrCounter;
  constructor(
    key: Uint8Array,
    iv: Uint8Array,
    private readonly mac: MacSpec,
    private readonly macKey: Uint8Array,
  ) {
    this.key = importKey(key, "decrypt");
    this.counter = new CtrCounter(iv);
    this.tagLength = mac.macLength;
  }
  packetLength(_seq: number, head: Uint8Array): number {
    return ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  }
  open(seq: number, wire: Uint8Array): Promise<Uint8Array> {
    const end = wire.length - this.tagLength;
    // The keystream position advances even for a packet that fails, like the peer's.
    const counter = this.counter.take(end - 4);
    const tag = computeMac(this.mac, this.macKey, seq, wire.subarray(0, end));
    if (!timingSafeEqual(tag, wire.subarray(end))) {
      return Promise.reject(new ProtocolError("Corrupted MAC on input."));
    }
    return this.decrypt(counter, wire.subarray(4, end));
  }
  private async decrypt(counter: Uint8Array<ArrayBuffer>, ct: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-CTR", counter, length: 128 },
        await this.key,
        ct as BufferSource,
      ),
    );
  }
}
