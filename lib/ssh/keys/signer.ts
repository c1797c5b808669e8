// The Signer seam: anything that can produce SSH signatures for one public key — a key file
// loaded into WebCrypto, or an identity held by ssh-agent. User auth only sees this interface.

import { WireReader } from "../../wire/reader.ts";
import { KeyFormatError } from "./key_errors.ts";
import { certAlgorithm, certBaseType } from "./certificate.ts";

export interface Signer {
  /** The SSH public key blob (RFC 4253 §6.6 encoding). */
  readonly publicKeyBlob: Uint8Array;
  /** The key's type name as in the blob: "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa". */
  readonly keyType: string;
  /** Signature algorithms this key can make, most preferred first (rsa: rsa-sha2-512, rsa-sha2-256). */
  readonly algorithms: readonly string[];
  /** The key's comment (from the file or the agent), for messages only. */
  readonly comment: string;
  /** Where it came from: a file path or "agent". */
  readonly source: string;
  /** Signs `data` with `alg` and returns the SSH signature blob (string alg, string sig). */
  sign(alg: string, data: Uint8Array): Promise<Uint8Array>;
}

/** Key types we can sign with, and their signature algorithms, most preferred first. */
const SIGNATURE_ALGORITHMS: Record<string, readonly string[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  // Plain "ssh-rsa" (SHA-1) is last: only offered when the server names nothing better.
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

export function signatureAlgorithmsFor(keyType: string): readonly string[] {
  return SIGNATURE_ALGORITHMS[keyType] ?? [];
}

/** The key type name at the start of a public key blob. Throws KeyFormatError on garbage. */
export function keyTypeOfBlob(blob: Uint8Array): string {
  try {
    const name = new WireReader(blob).cstring();
    if (name.length === 0 || name.length > 64) throw new KeyFormatError("bad key type name");
    return name;
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError("invalid format");
  }
}

/** The short type name ssh prints in messages ("ED25519", "ECDSA", "RSA"), like sshkey_type(). */
export function displayKeyType(keyType: string): string {
  if (keyType === "ssh-ed25519") return "ED25519";
  if (keyType.startsWith("ecdsa-sha2-")) return "ECDSA";
  if (keyType === "ssh-rsa") return "RSA";
  if (keyType === "ssh-dss") return "DSA";
  if (keyType.startsWith("sk-ssh-ed25519")) return "ED25519-SK";
  if (keyType.startsWith("sk-ecdsa-")) return "ECDSA-SK";
  return keyType;
}

/**
 * A certificate in front of `key`'s signer: the server is shown `certBlob` and the
 * "<alg>-cert-v01@openssh.com" algorithms; the signature itself is the key's plain one.
 */
export function certificateSigner(key: Signer, certBlob: Uint8Array): Signer {
  return {
    publicKeyBlob: certBlob,
    keyType: keyTypeOfBlob(certBlob),
    algorithms: key.algorithms.map(certAlgorithm),
    comment: key.comment,
    source: key.source,
    sign: (alg, data) => key.sign(certBaseType(alg), data),
  };
}

/** Byte equality for public blobs (public data: no constant-time need). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
