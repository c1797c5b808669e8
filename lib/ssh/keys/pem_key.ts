// Unencrypted PEM private keys, as older ssh-keygen and openssl write them: PKCS#1
// ("BEGIN RSA PRIVATE KEY"), SEC1 ("BEGIN EC PRIVATE KEY") and PKCS#8 ("BEGIN PRIVATE KEY").
// A minimal DER reader takes out the integers; encrypted PEM is refused with a clear message.

import { KeyFormatError } from "./key_errors.ts";
import { ecdsaSigner, ed25519Signer, fromB64url, rsaSigner } from "./key_signers.ts";
import type { Signer } from "./signer.ts";

const PEM_RE = /-----BEGIN (RSA |EC |)PRIVATE KEY-----([\s\S]*?)-----END \1PRIVATE KEY-----/;

export function isPemKeyText(text: string): boolean {
  return PEM_RE.test(text);
}

const OID_RSA = "2a864886f70d010101";
const OID_EC = "2a8648ce3d0201";
const OID_ED25519 = "2b6570";
const EC_CURVES: Record<string, string> = {
  "2a8648ce3d030107": "nistp256",
  "2b81040022": "nistp384",
  "2b81040023": "nistp521",
};

interface Der {
  tag: number;
  body: Uint8Array;
}

/** Reads consecutive DER TLVs from `buf` (definite lengths only, as DER requires). */
function derItems(buf: Uint8Array): Der[] {
  const out: Der[] = [];
  let i = 0;
  while (i < buf.length) {
    if (out.length > 64) throw new KeyFormatError("invalid format: DER too many items");
    const tag = buf[i++];
    if (i >= buf.length) throw new KeyFormatError("invalid format: DER truncated");
    let len = buf[i++];
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || i + n > buf.length) {
        throw new KeyFormatError("invalid format: DER length");
      }
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + buf[i++];
    }
    if (i + len > buf.length) throw new KeyFormatError("invalid format: DER truncated");
    out.push({ tag, body: buf.subarray(i, i + len) });
    i += len;
  }
  return out;
}

function seq(d: Der | undefined): Der[] {
  if (!d || d.tag !== 0x30) throw new KeyFormatError("invalid format: expected DER SEQUENCE");
  return derItems(d.body);
}

function int(d: Der | undefined): Uint8Array {
  if (!d || d.tag !== 0x02) throw new KeyFormatError("invalid format: expected DER INTEGER");
  return d.body;
}

function octets(d: Der | undefined): Uint8Array {
  if (!d || d.tag !== 0x04) throw new KeyFormatError("invalid format: expected DER OCTET STRING");
  return d.body;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function rsaFromPkcs1(der: Uint8Array, source: string): Promise<Signer> {
  const f = seq(derItems(der)[0]);
  // version, n, e, d, p, q, dp, dq, qi
  if (f.length < 9) throw new KeyFormatError("invalid format: short RSA key");
  return rsaSigner(
    { n: int(f[1]), e: int(f[2]), d: int(f[3]), p: int(f[4]), q: int(f[5]), iqmp: int(f[8]) },
    "",
    source,
  );
}

function ecFromSec1(der: Uint8Array, curveOid: string | undefined, source: string) {
  const f = seq(derItems(der)[0]);
  const d = octets(f[1]);
  let curve = curveOid ? EC_CURVES[curveOid] : undefined;
  let q: Uint8Array | undefined;
  for (const item of f.slice(2)) {
    if (item.tag === 0xa0) curve = EC_CURVES[hex(derItems(item.body)[0]?.body ?? new Uint8Array())];
    if (item.tag === 0xa1) {
      const bits = derItems(item.body)[0];
      if (bits?.tag === 0x03 && bits.body[0] === 0) q = bits.body.subarray(1);
    }
  }
  if (!curve) throw new KeyFormatError("unsupported EC curve");
  if (!q) throw new KeyFormatError("EC private key without its public key is not supported");
  return ecdsaSigner(curve, q, d, "", source);
}

async function fromPkcs8(der: Uint8Array, source: string): Promise<Signer> {
  const f = seq(derItems(der)[0]);
  const alg = seq(f[1]);
  const oid = alg[0]?.tag === 0x06 ? hex(alg[0].body) : "";
  const inner = octets(f[2]);
  if (oid === OID_RSA) return await rsaFromPkcs1(inner, source);
  if (oid === OID_EC) {
    return await ecFromSec1(inner, alg[1]?.tag === 0x06 ? hex(alg[1].body) : undefined, source);
  }
  if (oid === OID_ED25519) {
    const seed = octets(derItems(inner)[0]);
    // PKCS#8 ed25519 has no public key; WebCrypto derives it.
    const k = await crypto.subtle.importKey("pkcs8", der as BufferSource, "Ed25519", true, ["sign"])
      .catch(() => {
        throw new KeyFormatError("invalid ed25519 key");
      });
    const jwk = await crypto.subtle.exportKey("jwk", k);
    return await ed25519Signer(fromB64url(jwk.x ?? ""), seed, "", source);
  }
  throw new KeyFormatError("unknown or unsupported key type");
}

export async function loadPemKey(text: string, source: string): Promise<Signer> {
  const m = PEM_RE.exec(text);
  if (!m) throw new KeyFormatError("invalid format");
  const body = m[2];
  if (/Proc-Type:\s*4,ENCRYPTED/.test(body)) {
    throw new KeyFormatError("encrypted PEM keys are not supported; convert with ssh-keygen -p");
  }
  const b64 = body.replace(/\s+/g, "");
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    throw new KeyFormatError("invalid format: bad base64");
  }
  try {
    if (m[1] === "RSA ") return await rsaFromPkcs1(der, source);
    if (m[1] === "EC ") return await ecFromSec1(der, undefined, source);
    return await fromPkcs8(der, source);
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError(`invalid format: ${(e as Error).message}`);
  }
}
