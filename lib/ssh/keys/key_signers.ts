// Private key material → WebCrypto keys → Signers. Encodings follow RFC 8709 (ed25519),
// RFC 5656 (ecdsa: signature = string(mpint r, mpint s)) and RFC 8332 (rsa-sha2-256/512).
// WebCrypto binds an RSA key to one hash, so RSA imports one CryptoKey per algorithm, lazily.

import { WireWriter } from "../../wire/writer.ts";
import { KeyFormatError } from "./key_errors.ts";
import { signatureAlgorithmsFor, type Signer } from "./signer.ts";

const ED25519_PKCS8_PREFIX = Uint8Array.from([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
]);

export function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromB64url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "=".repeat((4 - b64.length % 4) % 4)), (c) => c.charCodeAt(0));
}

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function leftPad(b: Uint8Array, len: number): Uint8Array {
  const s = stripZeros(b);
  if (s.length > len) throw new KeyFormatError("invalid format: integer too long");
  const out = new Uint8Array(len);
  out.set(s, len - s.length);
  return out;
}

function bigFrom(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function bytesFrom(v: bigint): Uint8Array {
  const out: number[] = [];
  while (v > 0n) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Uint8Array.from(out.length ? out : [0]);
}

function sigBlob(alg: string, sig: Uint8Array): Uint8Array {
  return new WireWriter(sig.length + alg.length + 16).string(alg).string(sig).finish();
}

async function importFailure<T>(p: Promise<T>, what: string): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new KeyFormatError(`invalid ${what} key: ${(e as Error).message}`);
  }
}

/** ssh-ed25519 from the 32-byte public key and the 32-byte seed. */
export async function ed25519Signer(
  pub: Uint8Array,
  seed: Uint8Array,
  comment: string,
  source: string,
): Promise<Signer> {
  if (pub.length !== 32 || seed.length !== 32) throw new KeyFormatError("invalid ed25519 key");
  const pkcs8 = new Uint8Array(ED25519_PKCS8_PREFIX.length + 32);
  pkcs8.set(ED25519_PKCS8_PREFIX);
  pkcs8.set(seed, ED25519_PKCS8_PREFIX.length);
  const key = await importFailure(
    crypto.subtle.importKey("pkcs8", pkcs8 as BufferSource, "Ed25519", true, ["sign"]),
    "ed25519",
  );
  pkcs8.fill(0);
  // The seed determines the public key: refuse a file whose halves disagree.
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const derived = fromB64url(jwk.x ?? "");
  if (derived.length !== 32 || !derived.every((b, i) => b === pub[i])) {
    throw new KeyFormatError("invalid ed25519 key: public key does not match private key");
  }
  const blob = new WireWriter(64).string("ssh-ed25519").string(pub).finish();
  return {
    publicKeyBlob: blob,
    keyType: "ssh-ed25519",
    algorithms: signatureAlgorithmsFor("ssh-ed25519"),
    comment,
    source,
    async sign(alg, data) {
      if (alg !== "ssh-ed25519") throw new Error(`ed25519 key cannot sign ${alg}`);
      const sig = new Uint8Array(await crypto.subtle.sign("Ed25519", key, data as BufferSource));
      return sigBlob(alg, sig);
    },
  };
}

const CURVES: Record<string, { crv: string; hash: string; size: number }> = {
  nistp256: { crv: "P-256", hash: "SHA-256", size: 32 },
  nistp384: { crv: "P-384", hash: "SHA-384", size: 48 },
  nistp521: { crv: "P-521", hash: "SHA-512", size: 66 },
};

/** ecdsa-sha2-<curve> from the curve name, the uncompressed point Q and the scalar d. */
export async function ecdsaSigner(
  curveName: string,
  q: Uint8Array,
  d: Uint8Array,
  comment: string,
  source: string,
): Promise<Signer> {
  const curve = CURVES[curveName];
  if (!curve) throw new KeyFormatError(`unsupported ecdsa curve "${curveName}"`);
  if (q.length !== 1 + 2 * curve.size || q[0] !== 4) {
    throw new KeyFormatError("invalid ecdsa point");
  }
  const jwk: JsonWebKey = {
    kty: "EC",
    crv: curve.crv,
    x: b64url(q.subarray(1, 1 + curve.size)),
    y: b64url(q.subarray(1 + curve.size)),
    d: b64url(leftPad(d, curve.size)),
    ext: false,
  };
  const key = await importFailure(
    crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: curve.crv }, false, ["sign"]),
    "ecdsa",
  );
  const keyType = `ecdsa-sha2-${curveName}`;
  const blob = new WireWriter(200).string(keyType).string(curveName).string(q).finish();
  return {
    publicKeyBlob: blob,
    keyType,
    algorithms: signatureAlgorithmsFor(keyType),
    comment,
    source,
    async sign(alg, data) {
      if (alg !== keyType) throw new Error(`${keyType} key cannot sign ${alg}`);
      const rs = new Uint8Array(
        await crypto.subtle.sign({ name: "ECDSA", hash: curve.hash }, key, data as BufferSource),
      );
      const inner = new WireWriter(160)
        .mpintBytes(rs.subarray(0, curve.size))
        .mpintBytes(rs.subarray(curve.size))
        .finish();
      return sigBlob(alg, inner);
    },
  };
}

const RSA_HASHES: Record<string, string> = {
  "rsa-sha2-512": "SHA-512",
  "rsa-sha2-256": "SHA-256",
  "ssh-rsa": "SHA-1",
};

export interface RsaComponents {
  n: Uint8Array;
  e: Uint8Array;
  d: Uint8Array;
  iqmp: Uint8Array;
  p: Uint8Array;
  q: Uint8Array;
}

/** OpenSSH refuses RSA keys below 1024 bits; above 16384 is not a real key. */
const RSA_MIN_BITS = 1024;
const RSA_MAX_BITS = 16384;

/** ssh-rsa from its CRT components (OpenSSH stores n, e, d, iqmp, p, q). */
export async function rsaSigner(
  c: RsaComponents,
  comment: string,
  source: string,
): Promise<Signer> {
  const n = stripZeros(c.n);
  const bits = n.length * 8 - Math.clz32(n[0]) + 24;
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
    throw new KeyFormatError(`unsupported RSA key size ${bits} bits`);
  }
  const d = bigFrom(c.d), p = bigFrom(c.p), q = bigFrom(c.q);
  if (p < 2n || q < 2n) throw new KeyFormatError("invalid rsa key");
  const jwk: JsonWebKey = {
    kty: "RSA",
    n: b64url(n),
    e: b64url(stripZeros(c.e)),
    d: b64url(stripZeros(c.d)),
    p: b64url(stripZeros(c.p)),
    q: b64url(stripZeros(c.q)),
    dp: b64url(bytesFrom(d % (p - 1n))),
    dq: b64url(bytesFrom(d % (q - 1n))),
    qi: b64url(stripZeros(c.iqmp)),
    ext: false,
  };
  const keys = new Map<string, Promise<CryptoKey>>();
  const keyFor = (alg: string): Promise<CryptoKey> => {
    let k = keys.get(alg);
    if (!k) {
      k = importFailure(
        crypto.subtle.importKey(
          "jwk",
          jwk,
          { name: "RSASSA-PKCS1-v1_5", hash: RSA_HASHES[alg] },
          false,
          ["sign"],
        ),
        "rsa",
      );
      keys.set(alg, k);
    }
    return k;
  };
  // Import once now so a malformed key fails at load time rather than at first signature.
  await keyFor("rsa-sha2-512");
  const blob = new WireWriter(n.length + 32).string("ssh-rsa").mpintBytes(c.e).mpintBytes(n)
    .finish();
  return {
    publicKeyBlob: blob,
    keyType: "ssh-rsa",
    algorithms: signatureAlgorithmsFor("ssh-rsa"),
    comment,
    source,
    async sign(alg, data) {
      if (!RSA_HASHES[alg]) throw new Error(`RSA key cannot sign ${alg}`);
      const sig = new Uint8Array(
        await crypto.subtle.sign("RSASSA-PKCS1-v1_5", await keyFor(alg), data as BufferSource),
      );
      // Receivers want the signature as long as the modulus (RFC 8017 I2OSP).
      return sigBlob(alg, leftPad(sig, n.length));
    },
  };
}
