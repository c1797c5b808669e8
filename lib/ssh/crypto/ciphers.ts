// Cipher registry: every supported cipher in our default preference order
// (chacha20-poly1305 first: fastest synchronous path in Deno; then AES-GCM, then AES-CTR).

import { AES_CTR_CIPHERS } from "./aes_ctr.ts";
import { AES_GCM_CIPHERS } from "./aes_gcm.ts";
import { CHACHA20_POLY1305 } from "./chacha20_poly1305.ts";
import type { CipherSpec } from "./cipher.ts";

export const CIPHERS: readonly CipherSpec[] = [
  CHACHA20_POLY1305,
  ...AES_GCM_CIPHERS,
  ...AES_CTR_CIPHERS,
];

export function cipherByName(name: string): CipherSpec | undefined {
  return CIPHERS.find((c) => c.name === name);
}
