// AES-GCM through the system's OpenSSL libcrypto (EVP), the default for aes*-gcm@openssh.com
// when libcrypto loads and passes its self-test (lib/ssh/crypto/crypto_backend.ts). WebCrypto's
// AES-GCM in Deno 2.9 costs about 6x the CPU of OpenSSL's per byte and hops to a pool thread per packet; on a 2-core machine
// shared with sshd that caps aes*-gcm at ~0.65x of ssh. EVP calls are synchronous and work on
// the caller's buffers (no copies). libcrypto is optional: images without it keep WebCrypto.
//
// Safety: every length handed to C is derived here from the JS buffers and checked against
// them first; contexts are freed exactly once (free(), or the finalizer as a backstop), which
// also wipes the key schedule (EVP_CIPHER_CTX_free cleanses it).

import { libcrypto, libcryptoOrThrow, MAX_CALL_LEN as MAX_LEN } from "./libcrypto.ts";

type Ptr = Deno.PointerValue;

/** OpenSSL's ctrl codes for GCM tags (evp.h). */
const EVP_CTRL_GCM_GET_TAG = 0x10;
const EVP_CTRL_GCM_SET_TAG = 0x11;
const TAG = 16;

const freer = new FinalizationRegistry<Ptr>((ctx) => {
  if (ctx) libcrypto()?.EVP_CIPHER_CTX_free(ctx);
});

/** Scratch for EVP's `int *outl` (synchronous calls on one thread: one is enough). */
const outl = new Int32Array(1);

/**
 * One direction of aes128-gcm / aes256-gcm with SSH's nonce rule: a 12-byte IV whose last 8
 * bytes count packets (RFC 5647 §7.1). The 4 bytes before the body are the AAD.
 */
export class LibcryptoGcm {
  private ctx: Ptr;
  private readonly s = libcryptoOrThrow();
  private readonly iv: Uint8Array;
  private readonly token = {};

  constructor(key: Uint8Array, iv: Uint8Array, encrypt: boolean) {
    const s = this.s;
    if (key.length !== 16 && key.length !== 32) {
      throw new Error("AES-GCM key must be 16 or 32 bytes");
    }
    if (iv.length !== 12) throw new Error("AES-GCM needs a 12-byte IV");
    const ctx = s.EVP_CIPHER_CTX_new();
    if (!ctx) throw new Error("EVP_CIPHER_CTX_new failed");
    const cipher = key.length === 16 ? s.EVP_aes_128_gcm() : s.EVP_aes_256_gcm();
    if (s.EVP_CipherInit_ex(ctx, cipher, null, key, null, encrypt ? 1 : 0) !== 1) {
      s.EVP_CIPHER_CTX_free(ctx);
      throw new Error("EVP_CipherInit_ex failed");
    }
    this.ctx = ctx;
    this.iv = Uint8Array.from(iv);
    freer.register(this, ctx, this.token);
  }

  /** Starts the next packet: its nonce, then the counter moves on (with carry, mod 2^64). */
  private begin(aad: Uint8Array): void {
    const s = this.s;
    if (!this.ctx) throw new Error("AES-GCM context already freed");
    if (s.EVP_CipherInit_ex(this.ctx, null, null, null, this.iv, -1) !== 1) {
      throw new Error("EVP_CipherInit_ex (IV) failed");
    }
    for (let i = 11; i >= 4; i--) {
      this.iv[i] = (this.iv[i] + 1) & 0xff;
      if (this.iv[i] !== 0) break;
    }
    if (s.EVP_CipherUpdate(this.ctx, null, outl, aad, aad.length) !== 1) {
      throw new Error("EVP_CipherUpdate (AAD) failed");
    }
  }

  /**
   * Encrypts `buf[4, end)` in place with `buf[0, 4)` as AAD and writes the tag to
   * `buf[end, end + 16)`. `buf` must have those 16 bytes.
   */
  sealInPlace(buf: Uint8Array, end: number): void {
    if (end < 4 || end > MAX_LEN || end + TAG > buf.length) {
      throw new RangeError("bad GCM seal bounds");
    }
    const s = this.s;
    this.begin(buf.subarray(0, 4));
    const body = buf.subarray(4, end);
    if (
      s.EVP_CipherUpdate(this.ctx, body, outl, body, body.length) !== 1 || outl[0] !== body.length
    ) {
      throw new Error("EVP_CipherUpdate failed");
    }
    if (s.EVP_CipherFinal_ex(this.ctx, buf.subarray(end), outl) !== 1 || outl[0] !== 0) {
      throw new Error("EVP_CipherFinal_ex failed");
    }
    const tag = buf.subarray(end, end + TAG);
    if (s.EVP_CIPHER_CTX_ctrl(this.ctx, EVP_CTRL_GCM_GET_TAG, TAG, tag) !== 1) {
      throw new Error("EVP_CTRL_GCM_GET_TAG failed");
    }
  }

  /**
   * Verifies and decrypts `wire` = length(4, the AAD) | ciphertext | tag(16) into `out`
   * (exactly the ciphertext's size). False when the tag does not verify; `out` is then garbage.
   */
  open(wire: Uint8Array, out: Uint8Array): boolean {
    const n = wire.length - 4 - TAG;
    if (n < 0 || wire.length > MAX_LEN || out.length !== n) {
      throw new RangeError("bad GCM open bounds");
    }
    const s = this.s;
    this.begin(wire.subarray(0, 4));
    if (
      s.EVP_CipherUpdate(this.ctx, out, outl, wire.subarray(4, 4 + n), n) !== 1 || outl[0] !== n
    ) {
      return false;
    }
    // The expected tag goes in before the final step, which verifies it and writes nothing.
    if (s.EVP_CIPHER_CTX_ctrl(this.ctx, EVP_CTRL_GCM_SET_TAG, TAG, wire.subarray(4 + n)) !== 1) {
      return false;
    }
    return s.EVP_CipherFinal_ex(this.ctx, finalScratch, outl) === 1;
  }

  /** Frees the context (wiping the key schedule). Idempotent. */
  free(): void {
    if (!this.ctx) return;
    freer.unregister(this.token);
    this.s.EVP_CIPHER_CTX_free(this.ctx);
    this.ctx = null;
  }
}

/** GCM's final step writes nothing; OpenSSL still wants a valid pointer. */
const finalScratch = new Uint8Array(16);
