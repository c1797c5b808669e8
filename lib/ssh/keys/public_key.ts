// SSH public keys (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709, RFC 8332): parse a key blob into a
// verifier, verify SSH signature blobs with WebCrypto, and compute OpenSSH-style fingerprints.
// Shared by the transport (host keys) and the auth layer (user keys, known_hosts).

import { DecodeError } from "../../errors.ts";
import { WireReader } from "../../wire/reader.ts";
import { digest } from "../crypto/hash.ts";

export const KEY_TYPE_ED25519 = "ssh-ed25519";
export const KEY_TYPE_RSA = "ssh-rsa";
export const KEY_TYPE_ECDSA_P256 = "ecdsa-sha2-nistp256";
export const KEY_TYPE_ECDSA_P384 = "ecdsa-sha2-nistp384";
export const KEY_TYPE_ECDSA_P521 = "ecdsa-sha2-nistp521";

/** Public key types we can parse (the names inside key blobs). */
export const KEY_TYPES: readonly string[] = [
  KEY_TYPE_ED25519,
  KEY_TYPE_ECDSA_P256,
  KEY_TYPE_ECDSA_P384,
  KEY_TYPE_ECDSA_P521,
  KEY_TYPE_RSA,
];

/** Signature algorithm names we can verify, mapped to the key type that makes them. */
const SIG_ALG_KEY_TYPE: Record<string, string> = {
  "ssh-ed25519": KEY_TYPE_ED25519,
  "ecdsa-sha2-nistp256": KEY_TYPE_ECDSA_P256,
  "ecdsa-sha2-nistp384": KEY_TYPE_ECDSA_P384,
  "ecdsa-sha2-nistp521": KEY_TYPE_ECDSA_P521,
  "rsa-sha2-512": KEY_TYPE_RSA,
  "rsa-sha2-256": KEY_TYPE_RSA,
  "ssh-rsa": KEY_TYPE_RSA,
};

/** The key type a signature (or host key) algorithm name belongs to; undefined if unknown. */
export function keyTypeForAlgorithm(alg: string): string | undefined {
  return SIG_ALG_KEY_TYPE[alg];
}

interface Curve {
  namedCurve: "P-256" | "P-384" | "P-521";
  id: string;
  coord: number;
  hash: "SHA-256" | "SHA-384" | "SHA-512";
}
const CURVES: Record<string, Curve> = {
  [KEY_TYPE_ECDSA_P256]: { namedCurve: "P-256", id: "nistp256", coord: 32, hash: "SHA-256" },
  [KEY_TYPE_ECDSA_P384]: { namedCurve: "P-384", id: "nistp384", coord: 48, hash: "SHA-384" },
  [KEY_TYPE_ECDSA_P521]: { namedCurve: "P-521", id: "nistp521", coord: 66, hash: "SHA-512" },
};

/** OpenSSH refuses RSA keys below this size (SSH_RSA_MINIMUM_MODULUS_SIZE). */
export const RSA_MIN_BITS = 1024;
/** Upper bound keeping BigInt/WebCrypto work on peer keys bounded (OpenSSH: 16384). */
export const RSA_MAX_BITS = 16384;

export interface PublicKey {
  /** The key type inside the blob, e.g. "ssh-ed25519", "ssh-rsa". */
  readonly type: string;
  readonly blob: Uint8Array;
  /** Key size in bits (modulus for RSA, curve size for ECDSA, 256 for Ed25519). */
  readonly bits: number;
  /** Verifies a raw signature (the inner string of a signature blob) made with `algorithm`. */
  verify(algorithm: string, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
  /** WebCrypto-compatible fields for other key code (JWK for RSA, raw point/key otherwise). */
  readonly raw: { q?: Uint8Array; n?: Uint8Array; e?: Uint8Array };
}

function b64url(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/** Left-pads an unsigned big-endian integer to `len` bytes; undefined if it does not fit. */
function leftPad(b: Uint8Array, len: number): Uint8Array | undefined {
  const m = stripZeros(b);
  if (m.length > len) return undefined;
  const out = new Uint8Array(len);
  out.set(m, len - m.length);
  return out;
}

function bitLength(b: Uint8Array): number {
  const m = stripZeros(b);
  if (m.length === 0 || (m.length === 1 && m[0] === 0)) return 0;
  return (m.length - 1) * 8 + (32 - Math.clz32(m[0]));
}

function ed25519Key(blob: Uint8Array, r: WireReader): PublicKey {
  const a = r.string();
  r.expectEnd("ssh-ed25519 key");
  if (a.length !== 32) throw new DecodeError(`ssh-ed25519 key has ${a.length} bytes, expected 32`);
  const q = Uint8Array.from(a);
  let key: Promise<CryptoKey> | undefined;
  return {
    type: KEY_TYPE_ED25519,
    blob,
    bits: 256,
    raw: { q },
    async verify(alg, sig, data) {
      if (alg !== "ssh-ed25519" || sig.length !== 64) return false;
      key ??= crypto.subtle.importKey("raw", q, "Ed25519", false, ["verify"]);
      return await crypto.subtle.verify(
        "Ed25519",
        await key,
        sig as BufferSource,
        data as BufferSource,
      );
    },
  };
}

function ecdsaKey(type: string, blob: Uint8Array, r: WireReader): PublicKey {
  const curve = CURVES[type];
  const id = r.text();
  const point = Uint8Array.from(r.string());
  r.expectEnd(`${type} key`);
  if (id !== curve.id) throw new DecodeError(`${type} key names curve "${id}"`);
  if (point.length !== 1 + 2 * curve.coord || point[0] !== 4) {
    throw new DecodeError(`${type} key has a malformed point`);
  }
  let key: Promise<CryptoKey> | undefined;
  return {
    type,
    blob,
    bits: curve.namedCurve === "P-521" ? 521 : curve.coord * 8,
    raw: { q: point },
    async verify(alg, sig, data) {
      if (alg !== type) return false;
      let rs: Uint8Array;
      try {
        const sr = new WireReader(sig);
        const rb = sr.mpintBytes();
        const sb = sr.mpintBytes();
        sr.expectEnd("ecdsa signature");
        const rp = leftPad(rb, curve.coord);
        const sp = leftPad(sb, curve.coord);
        if (!rp || !sp) return false;
        rs = new Uint8Array(2 * curve.coord);
        rs.set(rp);
        rs.set(sp, curve.coord);
      } catch {
        return false;
      }
      key ??= crypto.subtle.importKey(
        "raw",
        point,
        { name: "ECDSA", namedCurve: curve.namedCurve },
        false,
        ["verify"],
      );
      return await crypto.subtle.verify(
        { name: "ECDSA", hash: curve.hash },
        await key,
        rs as BufferSource,
        data as BufferSource,
      );
    },
  };
}

const RSA_HASH: Record<string, "SHA-1" | "SHA-256" | "SHA-512"> = {
  "rsa-sha2-256": "SHA-256",
  "rsa-sha2-512": "SHA-512",
  "ssh-rsa": "SHA-1",
};

function rsaKey(blob: Uint8Array, r: WireReader): PublicKey {
  const e = Uint8Array.from(stripZeros(r.mpintBytes()));
  const n = Uint8Array.from(stripZeros(r.mpintBytes()));
  r.expectEnd("ssh-rsa key");
  const bits = bitLength(n);
  if (bits < RSA_MIN_BITS) throw new DecodeError(`RSA key too small: ${bits} bits`);
  if (bits > RSA_MAX_BITS) throw new DecodeError(`RSA key too large: ${bits} bits`);
  if (e.length === 0 || e.length > 8 || (e[e.length - 1] & 1) === 0) {
    throw new DecodeError("RSA key has an invalid public exponent");
  }
  const modLen = Math.ceil(bits / 8);
  // An RSA CryptoKey is bound to one hash, so keep one import per hash.
  const keys = new Map<string, Promise<CryptoKey>>();
  return {
    type: KEY_TYPE_RSA,
    blob,
    bits,
    raw: { n, e },
    async verify(alg, sig, data) {
      const hash = RSA_HASH[alg];
      if (!hash) return false;
      // WebCrypto rejects signatures shorter than the modulus: restore stripped leading zeros.
      const full = leftPad(sig, modLen);
      if (!full || sig.length > modLen) return false;
      let key = keys.get(hash);
      if (!key) {
        key = crypto.subtle.importKey(
          "jwk",
          { kty: "RSA", n: b64url(n), e: b64url(e), ext: true },
          { name: "RSASSA-PKCS1-v1_5", hash },
          false,
          ["verify"],
        );
        keys.set(hash, key);
      }
      return await crypto.subtle.verify(
        "RSASSA-PKCS1-v1_5",
        await key,
        full as BufferSource,
        data as BufferSource,
      );
    },
  };
}

/** Parses a public key blob. Throws DecodeError for malformed or unsupported keys. */
export function parsePublicKey(blob: Uint8Array): PublicKey {
  const r = new WireReader(blob);
  const type = r.cstring();
  const copy = Uint8Array.from(blob);
  switch (type) {
    case KEY_TYPE_ED25519:
      return ed25519Key(copy, r);
    case KEY_TYPE_ECDSA_P256:
    case KEY_TYPE_ECDSA_P384:
    case KEY_TYPE_ECDSA_P521:
      return ecdsaKey(type, copy, r);
    case KEY_TYPE_RSA:
      return rsaKey(copy, r);
    default:
      throw new DecodeError(`unsupported public key type "${type.slice(0, 64)}"`);
  }
}

/** Splits a signature blob (`string algorithm, string signature`). */
export function parseSignatureBlob(
  sigBlob: Uint8Array,
): { algorithm: string; signature: Uint8Array } {
  const r = new WireReader(sigBlob);
  const algorithm = r.cstring();
  const signature = r.string();
  r.expectEnd("signature blob");
  return { algorithm, signature };
}

/**
 * Verifies an SSH signature blob over `data` with the key in `blob`. Returns false for a wrong
 * signature or an algorithm the key cannot make; throws DecodeError for a malformed key/blob.
 * `allowedAlgorithms`, when given, restricts the signature algorithm (e.g. the negotiated one).
 */
export async function verifySignature(
  blob: Uint8Array,
  sigBlob: Uint8Array,
  data: Uint8Array,
  allowedAlgorithms?: readonly string[],
): Promise<boolean> {
  const key = parsePublicKey(blob);
  const { algorithm, signature } = parseSignatureBlob(sigBlob);
  if (allowedAlgorithms && !allowedAlgorithms.includes(algorithm)) return false;
  if (keyTypeForAlgorithm(algorithm) !== key.type) return false;
  try {
    return await key.verify(algorithm, signature, data);
  } catch {
    return false;
  }
}

/** OpenSSH's SHA256 fingerprint: "SHA256:" + unpadded base64 of SHA-256(blob). */
export function fingerprintSha256(blob: Uint8Array): string {
  const h = digest("SHA-256", blob);
  let s = "";
  for (const x of h) s += String.fromCharCode(x);
  return "SHA256:" + btoa(s).replace(/=+$/, "");
}
