// Poly1305 one-shot tag (RFC 8439 §2.5). Wraps @noble/ciphers' audited implementation; kept
// behind this function so a faster one (e.g. WASM) can replace it without touching the cipher.

import { poly1305 } from "@noble/ciphers/poly1305";

/** The 16-byte Poly1305 tag of `msg` under the one-time `key` (32 bytes). */
export function poly1305Tag(key: Uint8Array, msg: Uint8Array): Uint8Array {
  return poly1305(msg, key);
}
