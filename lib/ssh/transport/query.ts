// `ssh -Q`: the algorithm names this build supports, under ssh's query names (and the
// ssh_config keyword spellings ssh also accepts), so scripts probing capabilities get our truth.

import { SUPPORTED } from "./algorithms.ts";
import { CIPHERS } from "../crypto/ciphers.ts";

/** Key types we can parse and verify (plain keys; certificates are not supported). */
const KEY_TYPES = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
];

/** AEAD ciphers: they carry their own authentication, no MAC is negotiated with them. */
const AUTHENTICATED_CIPHERS = [
  "chacha20-poly1305@openssh.com",
  "aes128-gcm@openssh.com",
  "aes256-gcm@openssh.com",
];

const QUERIES: Record<string, () => readonly string[]> = {
  cipher: () => SUPPORTED.ciphers,
  ciphers: () => SUPPORTED.ciphers,
  "cipher-auth": () => CIPHERS.map((c) => c.name).filter((n) => AUTHENTICATED_CIPHERS.includes(n)),
  mac: () => SUPPORTED.macs,
  macs: () => SUPPORTED.macs,
  kex: () => SUPPORTED.kex,
  kexalgorithms: () => SUPPORTED.kex,
  key: () => KEY_TYPES,
  "key-plain": () => KEY_TYPES,
  "key-cert": () => [],
  "key-ca-sign": () => SUPPORTED.hostkey,
  "key-sig": () => SUPPORTED.hostkey,
  sig: () => SUPPORTED.hostkey,
  hostkeyalgorithms: () => SUPPORTED.hostkey,
  pubkeyacceptedalgorithms: () => SUPPORTED.hostkey,
  pubkeyacceptedkeytypes: () => SUPPORTED.hostkey,
  casignaturealgorithms: () => SUPPORTED.hostkey,
  compression: () => ["none"],
  "protocol-version": () => ["2"],
};

/** The lines `-Q name` prints, or undefined for a query ssh would call unsupported. */
export function queryAlgorithms(name: string): readonly string[] | undefined {
  const q = QUERIES[name] ?? QUERIES[name.toLowerCase()];
  return q?.();
}

export function queryNames(): string[] {
  return Object.keys(QUERIES);
}
