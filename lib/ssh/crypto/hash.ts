// Synchronous hashing for the transport (exchange hash, key derivation, fingerprints): a few
// kilobytes per key exchange. WebCrypto's digest is asynchronous, which would complicate the
// state machine; node:crypto's createHash would start Deno's Node layer (~60 ms of CPU at every
// start, node_crypto.ts) just for this. @noble/hashes is synchronous plain JS, fast enough here.

import { sha256, sha384, sha512 } from "@noble/hashes/sha2";
import { sha1 } from "@noble/hashes/legacy";

export type HashName = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";

const HASHES = { "SHA-1": sha1, "SHA-256": sha256, "SHA-384": sha384, "SHA-512": sha512 };

/** Hash of the concatenation of `parts`. */
export function digest(name: HashName, ...parts: Uint8Array[]): Uint8Array {
  const h = HASHES[name].create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Constant-time comparison (time depends only on the lengths). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
