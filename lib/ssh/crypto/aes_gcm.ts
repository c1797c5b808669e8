// aes128-gcm@openssh.com and aes256-gcm@openssh.com (RFC 5647, OpenSSH PROTOCOL §1.6) on
// WebCrypto. The 12-byte nonce is fixed(4) || invocation counter(8); the counter is taken
// synchronously when a packet is queued so several packets can be in flight, and incremented
// with an explicit carry (a `++u8[i] !== 0` test never sees 0 on a Uint8Array: 255+1 is 256).
// The clear 4-byte length is the AAD; WebCrypto's ciphertext||tag output is SSH's wire layout.

import { ProtocolError } from "../../errors.ts";
import type { CipherSpec, PacketOpener, PacketSealer } from "./cipher.ts";

/** Increments the 64-bit big-endian invocation counter in iv[4..12], wrapping at 2^64. */
export function incrementGcmIv(iv: Uint8Array): void {
  for (let i = 11; i >= 4; i--) {
    iv[i] = (iv[i] + 1) & 0xff;
    if (iv[i] !== 0) break;
  }
}

function importKey(key: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key as BufferSource, "AES-GCM", false, [usage]);
}

class GcmBase {
  protected readonly key: Promise<CryptoKey>;
  protected readonly iv: Uint8Array;
  readonly blockSize = 16;
  readonly lengthExcluded = true;
  constructor(key: Uint8Array, iv: Uint8Array, usage: KeyUsage) {
    if (iv.length !== 12) throw new Error("AES-GCM needs a 12-byte IV");
    this.key = importKey(key, usage);
    // Avoid unhandled-rejection noise if import fails before first use; the use site rethrows.
    this.key.catch(() => {});
    this.iv = Uint8Array.from(iv);
  }
  /** This packet's nonce; advances the counter for the next one. */
  protected nextIv(): Uint8Array<ArrayBuffer> {
    const iv = Uint8Array.from(this.iv);
    incrementGcmIv(this.iv);
    return iv;
  }
}

export class GcmSealer extends GcmBase implements PacketSealer {
  constructor(key: Uint8Array, iv: Uint8Array) {
    super(key, iv, "encrypt");
  }
  async seal(_seq: number, packet: Uint8Array): Promise<Uint8Array> {
    const iv = this.nextIv();
    const aad = packet.slice(0, 4);
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 },
        await this.key,
        packet.subarray(4) as BufferSource,
      ),
    );
    const out = new Uint8Array(4 + ct.length);
    out.set(aad);
    out.set(ct, 4);
    return out;
  }
}

export class GcmOpener extends GcmBase implements PacketOpener {
  readonly headLength = 4;
  readonly tagLength = 16;
  readonly pipelined = true;
  constructor(key: Uint8Array, iv: Uint8Array) {
    super(key, iv, "decrypt");
  }
  packetLength(_seq: number, head: Uint8Array): number {
    return ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  }
  async open(_seq: number, wire: Uint8Array): Promise<Uint8Array> {
    const iv = this.nextIv() as Uint8Array<ArrayBuffer>;
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: "AES-GCM", iv, additionalData: wire.slice(0, 4), tagLength: 128 },
          await this.key,
          wire.subarray(4) as BufferSource,
        ),
      );
    } catch {
      throw new ProtocolError("Corrupted MAC on input.");
    }
  }
}

function gcmSpec(bits: number): CipherSpec {
  return {
    name: `aes${bits}-gcm@openssh.com`,
    keyLength: bits / 8,
    ivLength: 12,
    blockSize: 16,
    aead: true,
    sealer: (key, iv) => new GcmSealer(key, iv),
    opener: (key, iv) => new GcmOpener(key, iv),
  };
}

export const AES_GCM_CIPHERS: readonly CipherSpec[] = [gcmSpec(128), gcmSpec(256)];
