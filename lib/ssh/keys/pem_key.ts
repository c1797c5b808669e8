// PEM private keys, as older ssh-keygen and openssl write them: PKCS#1 ("BEGIN RSA PRIVATE
// KEY"), SEC1 ("BEGIN EC PRIVATE KEY"), PKCS#8 ("BEGIN PRIVATE KEY"), plain or encrypted
// (traditional Proc-Type/DEK-Info, or PKCS#8 "BEGIN ENCRYPTED PRIVATE KEY"; pem_decrypt.ts).

import { derItems, hex, int, octets, seq } from "./der.ts";
import { KeyFormatError, PassphraseRequiredError } from "./key_errors.ts";
import { ecdsaSigner, ed25519Signer, fromB64url, rsaSigner } from "./key_signers.ts";
import { decryptPkcs8, decryptTraditional } from "./pem_decrypt.ts";
import { loadNodeCrypto } from "../crypto/node_crypto.ts";
import type { Signer } from "./signer.ts";

const PEM_RE =
  /-----BEGIN (RSA |EC |ENCRYPTED |)PRIVATE KEY-----([\s\S]*?)-----END \1PRIVATE KEY-----/;

export function isPemKeyText(text: string): boolean {
  return PEM_RE.test(text);
}

export function isEncryptedPem(text: string): boolean {
  const m = PEM_RE.exec(text);
  return !!m && (m[1] === "ENCRYPTED " || /Proc-Type:\s*4,ENCRYPTED/.test(m[2]));
}

const OID_RSA = "2a864886f70d010101";
const OID_EC = "2a8648ce3d0201";
const OID_ED25519 = "2b6570";
const EC_CURVES: Record<string, string> = {
  "2a8648ce3d030107": "nistp256",
  "2b81040022": "nistp384",
  "2b81040023": "nistp521",
};

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

export async function loadPemKey(
  text: string,
  passphrase: string | undefined,
  source: string,
): Promise<Signer> {
  const m = PEM_RE.exec(text);
  if (!m) throw new KeyFormatError("invalid format");
  const [, label, body] = m;
  // Header lines ("Name: value") come before the base64 body.
  const lines = body.split(/\r?\n/);
  const headers = lines.filter((l) => l.includes(":")).join("\n");
  const b64 = lines.filter((l) => !l.includes(":")).join("").replace(/\s+/g, "");
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    throw new KeyFormatError("invalid format: bad base64");
  }
  try {
    if (isEncryptedPem(text)) {
      if (passphrase === undefined) throw new PassphraseRequiredError();
      await loadNodeCrypto(); // pem_decrypt.ts's CBC, MD5 and PBKDF2
      der = label === "ENCRYPTED "
        ? decryptPkcs8(der, passphrase)
        : decryptTraditional(headers, der, passphrase);
    }
    if (label === "RSA ") return await rsaFromPkcs1(der, source);
    if (label === "EC ") return await ecFromSec1(der, undefined, source);
    return await fromPkcs8(der, source);
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError(`invalid format: ${(e as Error).message}`);
  }
}
