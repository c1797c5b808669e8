// The system's OpenSSL libcrypto (3.x), opened once and lazily: the bulk ciphers and MACs of the
// SSH transport run on it by default (libcrypto_gcm.ts, libcrypto_stream.ts, libcrypto_mac.ts),
// because Deno's own AES and per-call WebCrypto hops cost several times OpenSSL's CPU per byte.
// It is optional: a machine without it (or with an older one) keeps the WebCrypto/WASM path,
// so nothing here throws at import time and nothing is loaded until a key exchange asks.
//
// Where OpenSSL 3 lives (the search list, tried in order; SSHMUX_LIBCRYPTO replaces it):
// - Linux: the soname `libcrypto.so.3` through the dynamic loader's own search (glibc distros,
//   Alpine/musl), then the usual absolute paths for loaders whose cache lacks it (a musl
//   loader only searches /lib:/usr/local/lib:/usr/lib; RHEL-likes use /usr/lib64).
// - macOS: Homebrew (`/opt/homebrew` on Apple silicon, `/usr/local` on Intel) and MacPorts.
//   Never the bare `libcrypto.dylib`: Apple's system stub aborts the process when it is
//   loaded by an unversioned name, which no fallback could catch.

import { lazySymbols } from "./lazy_symbols.ts";

/** Oldest accepted library: 3.0 (EVP_MAC for Poly1305; `OpenSSL_version_num` format). */
const MIN_VERSION = 0x30000000n;

/** The names `Deno.dlopen` is tried with, in order, for `os` (unit-tested). */
export function libcryptoCandidates(os: string, override?: string): string[] {
  if (override) return [override];
  if (os === "darwin") {
    return [
      "/opt/homebrew/opt/openssl@3/lib/libcrypto.3.dylib",
      "/opt/homebrew/lib/libcrypto.3.dylib",
      "/usr/local/opt/openssl@3/lib/libcrypto.3.dylib",
      "/usr/local/lib/libcrypto.3.dylib",
      "/opt/local/lib/libcrypto.3.dylib",
    ];
  }
  return [
    "libcrypto.so.3",
    "/usr/lib/libcrypto.so.3",
    "/lib/libcrypto.so.3",
    "/usr/lib64/libcrypto.so.3",
    "/usr/local/lib/libcrypto.so.3",
    "/usr/local/lib64/libcrypto.so.3",
  ];
}

const SYMBOLS = {
  OpenSSL_version_num: { parameters: [], result: "u64" },
  // EVP ciphers (GCM, ChaCha20, CTR).
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_aes_128_gcm: { parameters: [], result: "pointer" },
  EVP_aes_256_gcm: { parameters: [], result: "pointer" },
  EVP_aes_128_ctr: { parameters: [], result: "pointer" },
  EVP_aes_192_ctr: { parameters: [], result: "pointer" },
  EVP_aes_256_ctr: { parameters: [], result: "pointer" },
  EVP_chacha20: { parameters: [], result: "pointer" },
  EVP_CipherInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  // Poly1305 through EVP_MAC (OpenSSL 3 only; the version check refuses older libraries).
  EVP_MAC_fetch: {
    parameters: ["pointer", "buffer", "pointer"],
    result: "pointer",
  },
  EVP_MAC_free: { parameters: ["pointer"], result: "void" },
  EVP_MAC_CTX_new: { parameters: ["pointer"], result: "pointer" },
  EVP_MAC_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_MAC_init: {
    parameters: ["pointer", "buffer", "usize", "pointer"],
    result: "i32",
  },
  EVP_MAC_update: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  EVP_MAC_final: {
    parameters: ["pointer", "buffer", "buffer", "usize"],
    result: "i32",
  },
  // HMAC: the HMAC_CTX calls (deprecated in 3.0, still exported) keep the key schedule across
  // packets without building OSSL_PARAM arrays by hand.
  EVP_sha1: { parameters: [], result: "pointer" },
  EVP_sha256: { parameters: [], result: "pointer" },
  EVP_sha512: { parameters: [], result: "pointer" },
  HMAC_CTX_new: { parameters: [], result: "pointer" },
  HMAC_CTX_free: { parameters: ["pointer"], result: "void" },
  HMAC_Init_ex: {
    parameters: ["pointer", "buffer", "i32", "pointer", "pointer"],
    result: "i32",
  },
  HMAC_Update: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  HMAC_Final: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
} as const;

export type LibcryptoSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: LibcryptoSymbols | null | undefined;
let loadError = "";
let loadedFrom = "";

function tryLoad(): LibcryptoSymbols | null {
  let override: string | undefined;
  try {
    override = Deno.env.get("SSHMUX_LIBCRYPTO") || undefined;
  } catch { /* no env permission: the built-in list */ }
  const reasons: string[] = [];
  for (const name of libcryptoCandidates(Deno.build.os, override)) {
    // Only the version function at first: binding all ~30 symbols up front costs 15-30 ms
    // (lazy_symbols.ts); the others are bound as the ciphers first call them.
    const probeDefs = { OpenSSL_version_num: SYMBOLS.OpenSSL_version_num };
    let probe: Deno.DynamicLibrary<typeof probeDefs>;
    try {
      probe = Deno.dlopen(name, probeDefs);
    } catch (e) {
      // Deno's message names the library and says why (not found, not libcrypto).
      reasons.push(e instanceof Error ? e.message : String(e));
      continue;
    }
    const v = BigInt(probe.symbols.OpenSSL_version_num());
    if (v < MIN_VERSION) {
      reasons.push(`${name}: OpenSSL ${versionText(v)} is older than 3.0`);
      probe.close();
      continue;
    }
    loadedFrom = `${name} (OpenSSL ${versionText(v)})`;
    // A symbol missing after all (a stripped build) throws where it is first used, inside the
    // self-test (lib/ssh/crypto/libcrypto_selftest.ts), and that family falls back.
    return lazySymbols(name, SYMBOLS);
  }
  // Only the first reason: the others repeat "not found" for the other paths.
  loadError = reasons[0] ?? "no candidate names";
  return null;
}

/** 0xMNN00PP0L → "M.NN.PP" (OpenSSL 3's version number layout). */
function versionText(v: bigint): string {
  const major = Number((v >> 28n) & 0xfn);
  const minor = Number((v >> 20n) & 0xffn);
  const patch = Number((v >> 4n) & 0xffn);
  return `${major}.${minor}.${patch}`;
}

/** The library's symbols, loading it on first use; null when it cannot be used. */
export function libcrypto(): LibcryptoSymbols | null {
  if (lib === undefined) lib = tryLoad();
  return lib;
}

/** Loads libcrypto if it can; returns why not, or undefined when it is available. */
export function libcryptoUnavailable(): string | undefined {
  return libcrypto() ? undefined : loadError || "not found";
}

/** Which file was loaded and its version, for the verbose log ("" when none). */
export function libcryptoLoadedFrom(): string {
  libcrypto();
  return loadedFrom;
}

/** The symbols, for wrappers constructed only after libcrypto() succeeded. */
export function libcryptoOrThrow(): LibcryptoSymbols {
  const s = libcrypto();
  if (!s) throw new Error(`libcrypto unavailable: ${loadError}`);
  return s;
}

/** SSH packets are capped far below this; lengths passed as C ints must not overflow. */
export const MAX_CALL_LEN = 1 << 30;

/**
 * A length for a `usize` parameter. Deno converts a plain number at run time (its types ask for
 * a bigint); a bigint per call would allocate on every packet.
 */
export function cSize(n: number): bigint {
  return n as unknown as bigint;
}
