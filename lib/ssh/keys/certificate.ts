// OpenSSH certificates (PROTOCOL.certkeys): "<type>-cert-v01@openssh.com" blobs that carry a
// public key plus what a CA signed about it. User auth offers a user certificate in place of
// its key (the server checks the CA); here we only take it apart: the embedded plain key (to
// find the private key that signs for it), the certificate type, and its fields for messages.
// Every length comes from the blob: garbage is a KeyFormatError.

import { DecodeError } from "../../errors.ts";
import { WireReader } from "../../wire/reader.ts";
import { WireWriter } from "../../wire/writer.ts";
import { KeyFormatError } from "./key_errors.ts";

const SUFFIX = "-cert-v01@openssh.com";

/** Certificate signature algorithms in the order ssh's defaults list them. */
export const CERT_SIGNATURE_ALGORITHMS = [
  "ssh-ed25519-cert-v01@openssh.com",
  "ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "ecdsa-sha2-nistp384-cert-v01@openssh.com",
  "ecdsa-sha2-nistp521-cert-v01@openssh.com",
  "sk-ssh-ed25519-cert-v01@openssh.com",
  "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
  "rsa-sha2-512-cert-v01@openssh.com",
  "rsa-sha2-256-cert-v01@openssh.com",
] as const;

/** PROTOCOL.certkeys certificate types. */
export const SSH2_CERT_TYPE_USER = 1;
export const SSH2_CERT_TYPE_HOST = 2;

export interface Certificate {
  /** "ssh-ed25519-cert-v01@openssh.com" and so on. */
  certType: string;
  /** The plain key type inside: "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa". */
  keyType: string;
  /** The embedded public key as a plain key blob (what the private key file holds). */
  keyBlob: Uint8Array;
  serial: bigint;
  /** SSH2_CERT_TYPE_USER or SSH2_CERT_TYPE_HOST. */
  type: number;
  keyId: string;
  principals: string[];
  validAfter: bigint;
  validBefore: bigint;
}

/** True for a certificate key type name. */
export function isCertType(name: string): boolean {
  return name.endsWith(SUFFIX);
}

/** The plain key type a certificate type wraps ("ssh-rsa-cert-v01@openssh.com" → "ssh-rsa"). */
export function certBaseType(name: string): string {
  return isCertType(name) ? name.slice(0, -SUFFIX.length) : name;
}

/** The certificate form of a signature algorithm ("rsa-sha2-512" → "rsa-sha2-512-cert-v01@openssh.com"). */
export function certAlgorithm(sigAlg: string): string {
  return sigAlg + SUFFIX;
}

export function parseCertificate(blob: Uint8Array): Certificate {
  try {
    const r = new WireReader(blob);
    const certType = r.cstring();
    if (!isCertType(certType)) throw new KeyFormatError(`not a certificate: ${certType}`);
    const keyType = certBaseType(certType);
    r.string(); // nonce
    const w = new WireWriter(128).string(keyType);
    if (keyType === "ssh-ed25519") {
      const pk = r.string();
      if (pk.length !== 32) throw new KeyFormatError("bad ed25519 certificate key");
      w.string(pk);
    } else if (keyType.startsWith("ecdsa-sha2-")) {
      const curve = r.cstring();
      if (`ecdsa-sha2-${curve}` !== keyType) throw new KeyFormatError("certificate curve mismatch");
      w.string(curve).string(r.string());
    } else if (keyType === "ssh-rsa") {
      const e = r.mpintBytes();
      const n = r.mpintBytes();
      w.mpintBytes(e).mpintBytes(n);
    } else {
      throw new KeyFormatError(`unsupported certificate type ${certType}`);
    }
    const serial = r.u64();
    const type = r.u32();
    const keyId = r.cstring();
    const pr = new WireReader(r.string());
    const principals: string[] = [];
    while (!pr.atEnd()) principals.push(pr.cstring());
    const validAfter = r.u64();
    const validBefore = r.u64();
    r.string(); // critical options
    r.string(); // extensions
    r.string(); // reserved
    r.string(); // signature key
    r.string(); // signature
    r.expectEnd("certificate");
    if (type !== SSH2_CERT_TYPE_USER && type !== SSH2_CERT_TYPE_HOST) {
      throw new KeyFormatError(`unknown certificate type ${type}`);
    }
    return {
      certType,
      keyType,
      keyBlob: Uint8Array.from(w.finish()),
      serial,
      type,
      keyId,
      principals,
      validAfter,
      validBefore,
    };
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    if (e instanceof DecodeError) throw new KeyFormatError(`invalid certificate: ${e.message}`);
    throw e;
  }
}
