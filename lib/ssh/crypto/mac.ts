// MAC registry: HMAC-SHA2 (plain and encrypt-then-MAC, OpenSSH PROTOCOL §1.5) and HMAC-SHA1.
// Computed on libcrypto (one HMAC context per direction keeps the key schedule) or, as the
// fallback, with node:crypto's synchronous createHmac (about 1.2 GB/s here for SHA-256).

import { nodeCrypto } from "./node_crypto.ts";
import { type HmacHash, LibcryptoHmac } from "../../../ffi/crypto.ts";
import { cryptoBackend } from "./crypto_backend.ts";
import type { HashName } from "./hash.ts";

export interface MacSpec {
  readonly name: string;
  readonly hash: HashName;
  readonly keyLength: number;
  readonly macLength: number;
  /** Encrypt-then-MAC: the MAC covers the clear length and the ciphertext. */
  readonly etm: boolean;
}

const nodeNames: Record<HashName, string> = {
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

/** Supported MACs in our default preference order (EtM first, SHA-1 last). */
export const MACS: readonly MacSpec[] = [
  {
    name: "hmac-sha2-256-etm@openssh.com",
    hash: "SHA-256",
    keyLength: 32,
    macLength: 32,
    etm: true,
  },
  {
    name: "hmac-sha2-512-etm@openssh.com",
    hash: "SHA-512",
    keyLength: 64,
    macLength: 64,
    etm: true,
  },
  { name: "hmac-sha2-256", hash: "SHA-256", keyLength: 32, macLength: 32, etm: false },
  { name: "hmac-sha2-512", hash: "SHA-512", keyLength: 64, macLength: 64, etm: false },
  { name: "hmac-sha1-etm@openssh.com", hash: "SHA-1", keyLength: 20, macLength: 20, etm: true },
  { name: "hmac-sha1", hash: "SHA-1", keyLength: 20, macLength: 20, etm: false },
];

/** Names enabled when the user does not say otherwise (OpenSSH leaves SHA-1 MACs on too). */
export const DEFAULT_MACS: readonly string[] = MACS.map((m) => m.name);

export function macByName(name: string): MacSpec | undefined {
  return MACS.find((m) => m.name === name);
}

const seqBuf = new Uint8Array(4);
const seqView = new DataView(seqBuf.buffer);

/** HMAC over `u32 seq || parts...` (RFC 4253 §6.4). */
export function computeMac(
  spec: MacSpec,
  key: Uint8Array,
  seq: number,
  ...parts: Uint8Array[]
): Uint8Array {
  const h = nodeCrypto().createHmac(nodeNames[spec.hash], key);
  seqView.setUint32(0, seq >>> 0);
  h.update(seqBuf);
  for (const p of parts) h.update(p);
  const out = h.digest();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** One direction's MAC under one key: `out` gets MAC(key, u32 seq || data). */
export interface PacketMac {
  readonly length: number;
  readonly backend: string;
  compute(seq: number, data: Uint8Array, out: Uint8Array): void;
  dispose(): void;
}

const libcryptoNames: Record<HashName, HmacHash | undefined> = {
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": undefined,
  "SHA-512": "sha512",
};

/** Whether `spec` would run on the fallback (node:crypto, see node_crypto.ts). */
export function macOnFallback(spec: MacSpec): boolean {
  return !(libcryptoNames[spec.hash] && cryptoBackend("hmac") === "libcrypto");
}

/** The MAC of one direction, on libcrypto when that backend carries HMACs. */
export function packetMac(spec: MacSpec, key: Uint8Array): PacketMac {
  const hash = libcryptoNames[spec.hash];
  if (hash && cryptoBackend("hmac") === "libcrypto") {
    const h = new LibcryptoHmac(hash, key);
    return {
      length: spec.macLength,
      backend: "libcrypto",
      compute: (seq, data, out) => h.mac(seq, data, out),
      dispose: () => h.free(),
    };
  }
  const k = Uint8Array.from(key);
  return {
    length: spec.macLength,
    backend: "node:crypto",
    compute: (seq, data, out) => out.set(computeMac(spec, k, seq, data)),
    dispose: () => k.fill(0),
  };
}
