// MACs on libcrypto: Poly1305 (EVP_MAC, OpenSSL 3) for chacha20-poly1305@openssh.com, where a
// fresh one-time key comes with every packet, and HMAC-SHA1/SHA2 (HMAC_CTX) for the hmac-*
// MACs, where one key serves every packet of a direction and its schedule is kept.
//
// Safety: lengths are checked in JS before each C call; contexts are freed exactly once
// (free(), or the finalizer as a backstop).

import { cSize, libcrypto, libcryptoOrThrow, MAX_CALL_LEN } from "./libcrypto.ts";

type Ptr = Deno.PointerValue;

const macFreer = new FinalizationRegistry<{ ctx: Ptr; mac: Ptr }>(({ ctx, mac }) => {
  const s = libcrypto();
  if (s && ctx) s.EVP_MAC_CTX_free(ctx);
  if (s && mac) s.EVP_MAC_free(mac);
});
const hmacFreer = new FinalizationRegistry<Ptr>((ctx) => {
  if (ctx) libcrypto()?.HMAC_CTX_free(ctx);
});

const POLY1305_NAME = new TextEncoder().encode("POLY1305\0");
/** EVP_MAC_final's `size_t *outl`. */
const sizeOut = new BigUint64Array(1);
/** HMAC_Final's `unsigned int *len`. */
const uintOut = new Uint32Array(1);

/** Poly1305 tags, each under its own 32-byte one-time key. */
export class LibcryptoPoly1305 {
  private ctx: Ptr;
  private mac: Ptr;
  private readonly s = libcryptoOrThrow();
  private readonly token = {};

  constructor() {
    const s = this.s;
    const mac = s.EVP_MAC_fetch(null, POLY1305_NAME, null);
    if (!mac) throw new Error("EVP_MAC_fetch(POLY1305) failed");
    const ctx = s.EVP_MAC_CTX_new(mac);
    if (!ctx) {
      s.EVP_MAC_free(mac);
      throw new Error("EVP_MAC_CTX_new failed");
    }
    this.ctx = ctx;
    this.mac = mac;
    macFreer.register(this, { ctx, mac }, this.token);
  }

  /** Writes the tag of `msg` under `key` (32 bytes) to `out` (16 bytes). */
  tag(key: Uint8Array, msg: Uint8Array, out: Uint8Array): void {
    if (key.length !== 32 || out.length !== 16 || msg.length > MAX_CALL_LEN) {
      throw new RangeError("bad Poly1305 bounds");
    }
    if (!this.ctx) throw new Error("Poly1305 context already freed");
    const s = this.s;
    // A new key re-initialises the state (OpenSSL allows init again on a used context).
    if (s.EVP_MAC_init(this.ctx, key, cSize(32), null) !== 1) {
      throw new Error("EVP_MAC_init failed");
    }
    if (msg.length > 0 && s.EVP_MAC_update(this.ctx, msg, cSize(msg.length)) !== 1) {
      throw new Error("EVP_MAC_update failed");
    }
    if (s.EVP_MAC_final(this.ctx, out, sizeOut, cSize(16)) !== 1 || sizeOut[0] !== 16n) {
      throw new Error("EVP_MAC_final failed");
    }
  }

  /** Frees the context and the fetched algorithm. Idempotent. */
  free(): void {
    if (!this.ctx) return;
    macFreer.unregister(this.token);
    this.s.EVP_MAC_CTX_free(this.ctx);
    this.s.EVP_MAC_free(this.mac);
    this.ctx = null;
    this.mac = null;
  }
}

export type HmacHash = "sha1" | "sha256" | "sha512";
const HMAC_LENGTH: Record<HmacHash, number> = { sha1: 20, sha256: 32, sha512: 64 };

/** HMAC under one key, over `u32 seq || data` per call (RFC 4253 §6.4's MAC input). */
export class LibcryptoHmac {
  private ctx: Ptr;
  private readonly s = libcryptoOrThrow();
  private readonly token = {};
  private readonly seqBuf = new Uint8Array(4);
  readonly length: number;

  constructor(readonly hash: HmacHash, key: Uint8Array) {
    const s = this.s;
    if (key.length === 0 || key.length > 1024) throw new RangeError("bad HMAC key length");
    const md = hash === "sha1" ? s.EVP_sha1() : hash === "sha256" ? s.EVP_sha256() : s.EVP_sha512();
    const ctx = s.HMAC_CTX_new();
    if (!ctx) throw new Error("HMAC_CTX_new failed");
    if (s.HMAC_Init_ex(ctx, key, key.length, md, null) !== 1) {
      s.HMAC_CTX_free(ctx);
      throw new Error("HMAC_Init_ex failed");
    }
    this.ctx = ctx;
    this.length = HMAC_LENGTH[hash];
    hmacFreer.register(this, ctx, this.token);
  }

  /** Writes HMAC(key, u32 seq || data) to `out` (exactly the hash's length). */
  mac(seq: number, data: Uint8Array, out: Uint8Array): void {
    if (out.length !== this.length || data.length > MAX_CALL_LEN) {
      throw new RangeError("bad HMAC bounds");
    }
    if (!this.ctx) throw new Error("HMAC context already freed");
    const s = this.s;
    const q = this.seqBuf;
    q[0] = seq >>> 24;
    q[1] = seq >>> 16;
    q[2] = seq >>> 8;
    q[3] = seq;
    // A null key with the same digest restarts with the kept key schedule.
    if (
      s.HMAC_Init_ex(this.ctx, null, 0, null, null) !== 1 ||
      s.HMAC_Update(this.ctx, q, cSize(4)) !== 1 ||
      (data.length > 0 && s.HMAC_Update(this.ctx, data, cSize(data.length)) !== 1) ||
      s.HMAC_Final(this.ctx, out, uintOut) !== 1 || uintOut[0] !== this.length
    ) {
      throw new Error("HMAC failed");
    }
  }

  /** Frees the context (wiping the key). Idempotent. */
  free(): void {
    if (!this.ctx) return;
    hmacFreer.unregister(this.token);
    this.s.HMAC_CTX_free(this.ctx);
    this.ctx = null;
  }
}
