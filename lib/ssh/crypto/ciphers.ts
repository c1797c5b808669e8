// Cipher registry: every supported cipher in our default preference order
// (chacha20-poly1305 first: fastest synchronous path in Deno; then AES-GCM, then AES-CTR).

import { AES_CTR_CIPHERS } from "./aes_ctr.ts";
import { AES_GCM_CIPHERS } from "./aes_gcm.ts";
import { CHACHA20_POLY1305 } from "./chacha20_poly1305.ts";
import type { CipherSpec } from "./cipher.ts";
import { cryptoBackend, type CryptoFamily } from "./crypto_backend.ts";

export const CIPHERS: readonly CipherSpec[] = [
  CHACHA20_POLY1305,
  ...AES_GCM_CIPHERS,
  ...AES_CTR_CIPHERS,
];

export function cipherByName(name: string): CipherSpec | undefined {
  return CIPHERS.find((c) => c.name === name);
}

function familyOf(name: string): CryptoFamily | undefined {
  if (name.startsWith("chacha20-poly1305")) return "chacha20-poly1305";
  if (/^aes\d+-gcm/.test(name)) return "aes-gcm";
  if (/^aes\d+-ctr$/.test(name)) return "aes-ctr";
  return undefined;
}

/**
 * Whether keys for cipher `name` would be made on the fallback, whose implementations call
 * node:crypto (node_crypto.ts). Unknown names say yes, so nothing runs without it.
 */
export function cipherOnFallback(name: string): boolean {
  const family = familyOf(name);
  return family === undefined || cryptoBackend(family) !== "libcrypto";
}
