// Raw keystream ciphers on libcrypto (EVP): ChaCha20 for chacha20-poly1305@openssh.com and
// AES-CTR for aes*-ctr. Both XOR a keystream that EVP keeps running across update calls, so
// SSH's one-stream-per-direction CTR is one context for the life of the keys, and ChaCha20 is
// restarted per packet with setIv() (the key schedule stays).
//
// OpenSSL's ChaCha20 takes a 16-byte IV = little-endian 32-bit block counter || 96-bit nonce.
// OpenSSH's original (DJB) ChaCha20 has a 64-bit counter and a 64-bit nonce: the same 16 bytes
// when read as LE64(counter) || nonce, since the counter's high word stays 0 within a packet.
//
// Safety: lengths are checked in JS against the buffers before each C call; a context is freed
// exactly once (free(), or the finalizer as a backstop), which also wipes its key schedule.

import { libcrypto, libcryptoOrThrow, MAX_CALL_LEN } from "./libcrypto.ts";

type Ptr = Deno.PointerValue;

export type StreamAlgorithm = "chacha20" | "aes-128-ctr" | "aes-192-ctr" | "aes-256-ctr";

const KEY_LENGTH: Record<StreamAlgorithm, number> = {
  "chacha20": 32,
  "aes-128-ctr": 16,
  "aes-192-ctr": 24,
  "aes-256-ctr": 32,
};

const freer = new FinalizationRegistry<Ptr>((ctx) => {
  if (ctx) libcrypto()?.EVP_CIPHER_CTX_free(ctx);
});

/** Scratch for EVP's `int *outl` (calls are synchronous on one thread). */
const outl = new Int32Array(1);

/** True when `a` and `b` share bytes without being the very same range. */
function partlyOverlapping(a: Uint8Array, b: Uint8Array): boolean {
  if (a.buffer !== b.buffer) return false;
  if (a.byteOffset === b.byteOffset) return false;
  return a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
}

export class LibcryptoStream {
  private ctx: Ptr;
  private readonly s = libcryptoOrThrow();
  private readonly token = {};

  /** `iv` (16 bytes) may be omitted for ChaCha20, whose IV is set per packet with setIv(). */
  constructor(readonly algorithm: StreamAlgorithm, key: Uint8Array, iv?: Uint8Array) {
    const s = this.s;
    if (key.length !== KEY_LENGTH[algorithm]) {
      throw new Error(`${algorithm} needs a ${KEY_LENGTH[algorithm]}-byte key`);
    }
    if (iv && iv.length !== 16) throw new Error(`${algorithm} needs a 16-byte IV`);
    const cipher = algorithm === "chacha20"
      ? s.EVP_chacha20()
      : algorithm === "aes-128-ctr"
      ? s.EVP_aes_128_ctr()
      : algorithm === "aes-192-ctr"
      ? s.EVP_aes_192_ctr()
      : s.EVP_aes_256_ctr();
    const ctx = s.EVP_CIPHER_CTX_new();
    if (!ctx) throw new Error("EVP_CIPHER_CTX_new failed");
    // Encrypt and decrypt are the same XOR; 1 keeps EVP from caring which.
    if (s.EVP_CipherInit_ex(ctx, cipher, null, key, iv ?? new Uint8Array(16), 1) !== 1) {
      s.EVP_CIPHER_CTX_free(ctx);
      throw new Error("EVP_CipherInit_ex failed");
    }
    this.ctx = ctx;
    freer.register(this, ctx, this.token);
  }

  /** Restarts the keystream at `iv` (16 bytes) under the same key. */
  setIv(iv: Uint8Array): void {
    if (iv.length !== 16) throw new RangeError("stream IV must be 16 bytes");
    if (!this.ctx) throw new Error(`${this.algorithm} context already freed`);
    if (this.s.EVP_CipherInit_ex(this.ctx, null, null, null, iv, -1) !== 1) {
      throw new Error("EVP_CipherInit_ex (IV) failed");
    }
  }

  /**
   * XORs the next `src.length` keystream bytes over `src` into `dst` (same length; the very
   * same bytes for in place, or not overlapping at all).
   */
  xor(src: Uint8Array, dst: Uint8Array): void {
    const n = src.length;
    if (dst.length !== n || n > MAX_CALL_LEN || partlyOverlapping(src, dst)) {
      throw new RangeError("bad stream cipher bounds");
    }
    if (!this.ctx) throw new Error(`${this.algorithm} context already freed`);
    if (n === 0) return;
    if (this.s.EVP_CipherUpdate(this.ctx, dst, outl, src, n) !== 1 || outl[0] !== n) {
      throw new Error("EVP_CipherUpdate failed");
    }
  }

  /** Frees the context (wiping the key schedule). Idempotent. */
  free(): void {
    if (!this.ctx) return;
    freer.unregister(this.token);
    this.s.EVP_CIPHER_CTX_free(this.ctx);
    this.ctx = null;
  }
}
