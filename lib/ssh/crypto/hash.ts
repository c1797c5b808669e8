// Synchronous hashing for the transport (exchange hash, key derivation, fingerprints).
// node:crypto's createHash is synchronous and fast (~1.4 GB/s here); WebCrypto digest costs an
// async round trip per call, which matters little for kex but complicates the state machine.

import { createHash } from "node:crypto";

export type HashName = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";

const nodeNames: Record<HashName, string> = {
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

/** Hash of the concatenation of `parts`. */
export function digest(name: HashName, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(nodeNames[name]);
  for (const p of parts) h.update(p);
  const out = h.digest();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Constant-time comparison (time depends only on the lengths). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
