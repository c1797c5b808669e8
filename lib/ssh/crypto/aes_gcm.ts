// aes128-gcm@openssh.com and aes256-gcm@openssh.com (RFC 5647, OpenSSH PROTOCOL §1.6) on
// WebCrypto: the fallback when libcrypto cannot carry them (aes_gcm_libcrypto.ts). The 12-byte nonce is fixed(4) || invocation counter(8); the counter is taken
// synchronously when a packet is queued so several packets can be in flight, and incremented
// with an explicit carry (a `++u8[i] !== 0` test never sees 0 on a Uint8Array: 255+1 is 256).
// The clear 4-byte length is the AAD; WebCrypto's ciphertext||tag output is SSH's wire layout.

import { nodeCrypto } from "./node_crypto.ts";
import { ProtocolError } from "../../errors.ts";
import type { CipherSpec, PacketOpener, PacketSealer } from "./cipher.ts";
import { LibcryptoGcmOpener, LibcryptoGcmSealer } from "./aes_gcm_libcrypto.ts";
import { cryptoBackend } from "./crypto_backend.ts";

/** Increments the 64-bit big-endian invocation counter in iv[4..12], wrapping at 2^64. */
export function incrementGcmIv(iv: Uint8Array): void {
  for (let i = 11; i >= 4; i--) {
    iv[i] = (iv[i] + 1) & 0xff;
    if (iv[i] !== 0) break;
  }
}

/**
 * Packets with less ciphertext than this go through node:crypto synchronously: a WebCrypto call
 * has a fixed cost of 10-30 us, node's GCM is faster below ~2-4 KiB and slower above (its AES
 * runs at ~130 MB/s against WebCrypto's ~500). Window adjusts and acks are all small.
 */
const SMALL = 2048;

function importKey(key: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key as BufferSource, "AES-GCM", false, [usage]);
}

class GcmBase {
  protected readonly key: Promise<CryptoKey>;
  /** The imported key once ready: calls then start synchronously, with no await before them. */
  protected ready: CryptoKey | undefined;
  protected readonly iv: Uint8Array;
  /** node:crypto's name and key for the small-packet path. */
  protected readonly nodeAlg: "aes-128-gcm" | "aes-256-gcm";
  protected readonly rawKey: Uint8Array;
  readonly blockSize = 16;
  readonly lengthExcluded = true;
  readonly backend = "webcrypto";
  constructor(key: Uint8Array, iv: Uint8Array, usage: KeyUsage) {
    if (iv.length !== 12) throw new Error("AES-GCM needs a 12-byte IV");
    this.key = importKey(key, usage);
    // Avoid unhandled-rejection noise if import fails before first use; the use site rethrows.
    this.key.then((k) => (this.ready = k), () => {});
    this.nodeAlg = key.length === 16 ? "aes-128-gcm" : "aes-256-gcm";
    this.rawKey = Uint8Array.from(key);
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
  /** Until the key is imported, a packet waits for it (see sealParts). */
  get releasesPacket(): boolean {
    return this.ready !== undefined;
  }
  seal(seq: number, packet: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const parts = this.sealParts(seq, packet);
    const join = (p: Uint8Array[]) => {
      if (p.length === 1) return p[0];
      const out = new Uint8Array(p[0].length + p[1].length);
      out.set(p[0]);
      out.set(p[1], p[0].length);
      return out;
    };
    return parts instanceof Promise ? parts.then(join) : join(parts);
  }

  /** [wire packet] for small packets; [clear length, ciphertext || tag] for WebCrypto ones. */
  sealParts(_seq: number, packet: Uint8Array): Uint8Array[] | Promise<Uint8Array[]> {
    const iv = this.nextIv();
    if (packet.length - 4 < SMALL) {
      const c = nodeCrypto().createCipheriv(this.nodeAlg, this.rawKey, iv);
      c.setAAD(packet.subarray(0, 4));
      const ct = c.update(packet.subarray(4));
      c.final();
      const out = new Uint8Array(packet.length + 16);
      out.set(packet.subarray(0, 4));
      out.set(ct, 4);
      out.set(c.getAuthTag(), packet.length);
      return [out];
    }
    // WebCrypto copies its inputs before returning, so with the key at hand the packet is
    // free again as soon as encrypt() returns (no await may come before the call). The length
    // is copied too: the transport may reuse the packet's buffer (releasesPacket).
    const head = packet.slice(0, 4);
    const encrypt = (key: CryptoKey) =>
      crypto.subtle.encrypt(
        {
          name: "AES-GCM",
          iv,
          additionalData: head as BufferSource,
          tagLength: 128,
        },
        key,
        packet.subarray(4) as BufferSource,
      ).then((ct) => [head, new Uint8Array(ct)]);
    return this.ready ? encrypt(this.ready) : this.key.then(encrypt);
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
  /**
   * `wire` is only read before this returns when the key is ready (WebCrypto copies its
   * inputs synchronously); see `inputCopied`.
   */
  open(_seq: number, wire: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const iv = this.nextIv();
    const end = wire.length - 16;
    if (end - 4 < SMALL) {
      try {
        const d = nodeCrypto().createDecipheriv(this.nodeAlg, this.rawKey, iv);
        d.setAAD(wire.subarray(0, 4));
        d.setAuthTag(wire.subarray(end));
        const pt = d.update(wire.subarray(4, end));
        d.final();
        return new Uint8Array(pt.buffer, pt.byteOffset, pt.byteLength);
      } catch {
        // Rejected rather than thrown, so packets opened before this one are still delivered.
        return Promise.reject(new ProtocolError("Corrupted MAC on input."));
      }
    }
    const decrypt = (key: CryptoKey) =>
      crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv,
          additionalData: wire.subarray(0, 4) as BufferSource,
          tagLength: 128,
        },
        key,
        wire.subarray(4) as BufferSource,
      ).then((pt) => new Uint8Array(pt), () => {
        throw new ProtocolError("Corrupted MAC on input.");
      });
    return this.ready ? decrypt(this.ready) : this.key.then(decrypt, () => {
      throw new ProtocolError("Corrupted MAC on input.");
    });
  }

  /** True when open() has taken its own copy of `wire` by the time it returns. */
  get inputCopied(): boolean {
    return this.ready !== undefined;
  }
}

function gcmSpec(bits: number): CipherSpec {
  return {
    name: `aes${bits}-gcm@openssh.com`,
    keyLength: bits / 8,
    ivLength: 12,
    blockSize: 16,
    aead: true,
    sealer: (key, iv) =>
      cryptoBackend("aes-gcm") === "libcrypto"
        ? new LibcryptoGcmSealer(key, iv)
        : new GcmSealer(key, iv),
    opener: (key, iv) =>
      cryptoBackend("aes-gcm") === "libcrypto"
        ? new LibcryptoGcmOpener(key, iv)
        : new GcmOpener(key, iv),
  };
}

export const AES_GCM_CIPHERS: readonly CipherSpec[] = [gcmSpec(128), gcmSpec(256)];
